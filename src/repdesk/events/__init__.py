"""Domain events.

``emit(session, Event.X, XData(...), ...)`` records one event inside the caller's transaction
(``events.types`` is the one list of events and their data models):
- for consumers registered with ``@on_event(..., inline=True)`` (the developer webhooks'
  fan-out), their rows, written in the same transaction;
- for the other ``@on_event`` consumers (transcription), a durable ``events.dispatch`` job, so
  that they run even if the process dies right after;
- a realtime publication on the bus (inbox, widget), sent only after the commit.
"""
