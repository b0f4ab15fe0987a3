"""Payloads of the conversations domain's jobs."""

from __future__ import annotations

from typing import ClassVar

from repdesk.jobs.registry import JobPayload


class SendMessageJob(JobPayload):
    """Hand one stored, queued message to its channel (``channel.send``)."""

    kind: ClassVar[str] = "channel.send"
    message_id: str
