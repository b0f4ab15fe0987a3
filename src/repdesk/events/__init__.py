"""Domain events.

``emit(session, name, data, ...)`` records one event inside the caller's transaction:
- a durable ``events.dispatch`` job, so that every consumer registered with ``@on_event``
  (developer webhooks, workflows, notifications) runs even if the process dies right after;
- a realtime publication on the bus (inbox, widget), sent only after the commit.
"""
