"""Payloads of the campaigns domain's jobs."""

from __future__ import annotations

from typing import ClassVar

from repdesk.jobs.registry import JobPayload


class SendBroadcastJob(JobPayload):
    """Handle a broadcast's next pending recipient (``broadcasts.send``)."""

    kind: ClassVar[str] = "broadcasts.send"
    broadcast_id: str
