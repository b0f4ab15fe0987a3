"""Every module that registers routes, pages, jobs, CLI commands or event consumers, by domain.

The app imports each; a module may define ``router`` (API), ``pages`` (dashboard) and
``setup_app``. A domain lists its ``routes``, ``pages``, ``tasks`` and ``commands`` under its
heading; the order is the routing order, and only the first entry's place matters (keep /v1
first). Menus sort by their own weights, not by this order.
"""

from __future__ import annotations

MODULES: list[str] = [
    # developer_api's /v1 mount first. Routing walks the routes in order and the Developer API is
    # the hot path; behind the dashboard's routes it paid ~0.3 ms of matching per request.
    "repdesk.developer_api.routes",
    # inbound: every provider's webhook POSTs (the other hot path), and the queue's jobs
    "repdesk.inbound.routes",
    "repdesk.inbound.tasks",
    # events (the domain-event bus and its durable delivery job)
    "repdesk.events.service",
    "repdesk.events.tasks",
    # accounts
    "repdesk.accounts.email",
    "repdesk.accounts.tasks",
    "repdesk.accounts.routes",
    # assistants
    "repdesk.assistants.routes",
    # billing
    "repdesk.billing.routes",
    "repdesk.billing.pages",
    "repdesk.billing.webhook",
    "repdesk.billing.tasks",
    # conversations (the message pipeline's jobs; its API and page are the inbox's)
    "repdesk.conversations.service",
    "repdesk.conversations.tasks",
    # inbox
    "repdesk.inbox.routes",
    "repdesk.inbox.pages",
    # dashboard (home, settings, billing pages)
    "repdesk.dashboard.pages",
    # files
    "repdesk.files.routes",
    "repdesk.files.tasks",
    # channels.whatsapp
    "repdesk.channels.whatsapp.sender",
    "repdesk.channels.whatsapp.webhook",
    "repdesk.channels.whatsapp.inbound",
    "repdesk.channels.whatsapp.tasks",
    "repdesk.channels.whatsapp.routes",
    "repdesk.channels.whatsapp.template_routes",
    "repdesk.channels.whatsapp.pages",
    # channels.widget
    "repdesk.channels.widget.routes",
    "repdesk.channels.widget.sender",
    "repdesk.channels.widget.pages",
    # developer_api (its dashboard page, outbound webhooks)
    "repdesk.developer_api.pages",
    "repdesk.developer_api.webhooks",
    "repdesk.developer_api.tasks",
    # campaigns (broadcasts)
    "repdesk.campaigns.routes",
    "repdesk.campaigns.pages",
    "repdesk.campaigns.tasks",
    # campaigns.scheduled (scheduled messages)
    "repdesk.campaigns.scheduled.routes",
    "repdesk.campaigns.scheduled.pages",
    "repdesk.campaigns.scheduled.tasks",
    # ai
    "repdesk.ai.routes",
    "repdesk.ai.pages",
    "repdesk.ai.tasks",
    "repdesk.ai.cli",
    # knowledge
    "repdesk.knowledge.routes",
    "repdesk.knowledge.pages",
    "repdesk.knowledge.tasks",
    "repdesk.knowledge.commands",
    # catalog
    "repdesk.catalog.routes",
    "repdesk.catalog.pages",
    # orders
    "repdesk.orders.routes",
    "repdesk.orders.pages",
    # payments (order payments on each workspace's own Paystack account)
    "repdesk.payments.routes",
    "repdesk.payments.pages",
    "repdesk.payments.tasks",
    "repdesk.payments.consumers",
    # training
    "repdesk.training.routes",
    "repdesk.training.pages",
    # transcription
    "repdesk.transcription.tasks",
    "repdesk.transcription.commands",
    # contacts
    "repdesk.contacts.routes",
    "repdesk.contacts.consumers",
    "repdesk.contacts.tasks",
    "repdesk.contacts.pages",
    # segments
    "repdesk.segments.routes",
    "repdesk.segments.pages",
]
