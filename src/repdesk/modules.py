"""Every module that registers routes, pages, jobs or event consumers, in one list.

The app imports each; a module may define ``router`` (API) and ``pages`` (dashboard) routers.
Add a domain's modules under its heading.
"""

from __future__ import annotations

MODULES: list[str] = [
    # First: the /v1 mount (issue 4). Routing walks the routes in order and the Developer API is
    # the hot path; behind the dashboard's routes it paid ~0.3 ms of matching per request.
    "repdesk.developer_api.routes",
    # foundation
    "repdesk.events.service",
    "repdesk.accounts.email",
    "repdesk.accounts.routes",
    "repdesk.assistants.routes",
    "repdesk.billing.routes",
    "repdesk.conversations.service",
    "repdesk.dashboard.pages",
    "repdesk.ai.tasks",
    "repdesk.files.routes",
    # whatsapp channel and inbox (issue 3)
    "repdesk.channels.whatsapp.sender",
    "repdesk.channels.whatsapp.tasks",
    "repdesk.channels.whatsapp.routes",
    "repdesk.inbox.routes",
    "repdesk.inbox.pages",
    "repdesk.channels.whatsapp.pages",
    # developer api, webhooks, broadcasts (issue 4)
    "repdesk.developer_api.pages",
    "repdesk.developer_api.webhooks",
    "repdesk.campaigns.service",
    # ai assistant: knowledge, catalog, training, orders (issue 5)
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
    # web widget (issue 6)
    "repdesk.channels.widget.routes",
    "repdesk.channels.widget.sender",
    "repdesk.channels.widget.pages",
    "repdesk.transcription.tasks",
    "repdesk.transcription.commands",
]
