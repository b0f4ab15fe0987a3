"""Payloads of the files domain's jobs."""

from __future__ import annotations

from typing import ClassVar

from repdesk.jobs.registry import JobPayload


class CollectFilesJob(JobPayload):
    """Remove stored files nothing refers to any more (``files.collect``, periodic)."""

    kind: ClassVar[str] = "files.collect"
