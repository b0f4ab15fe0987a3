"""Payloads of the transcription domain's jobs."""

from __future__ import annotations

from typing import ClassVar

from repdesk.jobs.registry import JobPayload


class TranscribeJob(JobPayload):
    """Transcribe one voice message (``transcription.transcribe``). Without ``file_id`` the
    message's own ``content.fileId`` is read."""

    kind: ClassVar[str] = "transcription.transcribe"
    message_id: str
    file_id: str = ""
