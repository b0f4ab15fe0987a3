"""Payloads of the ai domain's jobs."""

from __future__ import annotations

from typing import ClassVar

from repdesk.jobs.registry import JobPayload


class AiReplyJob(JobPayload):
    """Answer one customer message (``ai.reply``)."""

    kind: ClassVar[str] = "ai.reply"
    conversation_id: str
    message_id: str
