"""The inbox: the team's door onto conversations (list, history, manual replies, live updates).

Why the conversations' routes live here and not in ``conversations/``: ``conversations`` is the
message pipeline (inbound, outbound, delivery, the service window), called by every channel,
the AI, broadcasts and the Developer API, and it has no front door of its own. The
``/api/conversations`` routes and the Messages page are what a person on the team uses to read
and answer; they need reads that only the inbox wants (search, cursor paging by activity,
unread counts) and they change state only through ``conversations.service``. Keeping them in
``inbox/`` keeps the pipeline free of HTTP and the inbox free of pipeline writes. The Developer
API's ``/v1/conversations`` is the other door onto the same service.
"""
