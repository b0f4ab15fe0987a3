from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from repdesk.db.base import Base, IdMixin, JSONType, TimestampMixin


class JobStatus(StrEnum):
    """A job row's state. A job that succeeded is deleted, so there is no "done"."""

    QUEUED = "queued"  # waiting for its run_at (or for a retry)
    RUNNING = "running"  # claimed by a worker, under a lease
    FAILED = "failed"  # out of attempts, permanent, or a payload that no longer validates


class Job(IdMixin, TimestampMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "status", "run_at"),)

    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Unique while the job exists: a periodic slot or a "do this once" key.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class JobSchedule(Base):
    """When each periodic kind is next due. A worker that finds a kind due moves
    ``next_due_at`` on with a conditional UPDATE and enqueues the run in the same transaction:
    of several workers, only the one whose UPDATE matched runs it."""

    __tablename__ = "job_schedules"

    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    next_due_at: Mapped[datetime]
