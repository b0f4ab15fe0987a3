"""Payloads of the inbound intake's jobs (neither carries anything: the queue is the table)."""

from __future__ import annotations

from typing import ClassVar

from repdesk.jobs.registry import JobPayload


class IngestJob(JobPayload):
    """Drain pending inbound events in batches (``inbound.ingest``)."""

    kind: ClassVar[str] = "inbound.ingest"


class SweepJob(JobPayload):
    """Periodic: an ingest for events no job covers; forget old ones (``inbound.sweep``)."""

    kind: ClassVar[str] = "inbound.sweep"
