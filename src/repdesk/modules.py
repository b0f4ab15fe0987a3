"""Every module that registers routes, pages, jobs or event consumers, in one list.

The app imports each; a module may define ``router`` (API) and ``pages`` (dashboard) routers.
Add a domain's modules under its heading (the order is the routing order: keep /v1 first).
"""

from __future__ import annotations

MODULES: list[str] = [
    # developer_api's /v1 mount first. Routing walks the routes in order and the Developer API is
    # the hot path; behind the dashboard's routes it paid ~0.3 ms of matching per request.
    "repdesk.developer_api.routes",
    # events, accounts, assistants, billing, conversations, dashboard, ai jobs, files
    "repdesk.events.tasks",
    "repdesk.accounts.tasks",
    "repdesk.accounts.routes",
    "repdesk.assistants.routes",
    "repdesk.billing.routes",
    "repdesk.conversations.service",
    "repdesk.dashboard.pages",
    "repdesk.ai.tasks",
    "repdesk.files.routes",
    "repdesk.files.tasks",
    # channels.whatsapp and inbox
    "repdesk.channels.whatsapp.sender",
    "repdesk.channels.whatsapp.tasks",
    "repdesk.channels.whatsapp.routes",
    "repdesk.inbox.routes",
    "repdesk.inbox.pages",
    "repdesk.channels.whatsapp.pages",
    # developer_api (pages, webhooks) and campaigns
    "repdesk.developer_api.pages",
    "repdesk.developer_api.webhooks",
    "repdesk.developer_api.tasks",
    "repdesk.campaigns.tasks",
    # knowledge, orders, ai, training, catalog
    "repdesk.knowledge.commands",
    "repdesk.orders.routes",
    "repdesk.ai.routes",
    "repdesk.ai.cli",
    "repdesk.training.routes",
    "repdesk.orders.pages",
    "repdesk.ai.pages",
    "repdesk.training.pages",
    "repdesk.knowledge.tasks",
    "repdesk.knowledge.routes",
    "repdesk.catalog.routes",
    "repdesk.knowledge.pages",
    "repdesk.catalog.pages",
    # channels.widget and transcription
    "repdesk.channels.widget.routes",
    "repdesk.channels.widget.sender",
    "repdesk.channels.widget.pages",
    "repdesk.transcription.tasks",
    "repdesk.transcription.commands",
]
