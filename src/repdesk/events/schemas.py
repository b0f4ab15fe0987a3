"""Payloads of the events domain's jobs."""

from __future__ import annotations

from typing import Any, ClassVar

from repdesk.jobs.registry import JobPayload


class DispatchEventJob(JobPayload):
    """Run an event's durable consumers (``events.dispatch``). The payload is the event's
    envelope, exactly as consumers and developer webhooks receive it; ``data`` is the event's
    model already written to the wire (``repdesk.events.types``)."""

    kind: ClassVar[str] = "events.dispatch"
    event: str
    timestamp: str
    workspace_id: str
    assistant_id: str | None = None
    data: dict[str, Any]

    def envelope(self) -> dict[str, Any]:
        """``{"event","timestamp","workspaceId","assistantId","data"}``, in that order."""
        return self.model_dump(by_alias=True)
