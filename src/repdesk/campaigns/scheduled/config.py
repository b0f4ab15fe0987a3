"""Scheduled-message settings (env prefix ``REPDESK_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ScheduleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_", extra="ignore")

    # A message handled later than this after its send time is marked ``late`` (every worker
    # was down, or the queue was far behind).
    schedule_late_seconds: float = 60.0
    # Messages one schedules.send job sends in its transaction (its own and others already due),
    # and for how long it keeps taking more: every send holds the workspace's credit row until
    # the transaction commits, so a long batch makes every other worker wait (ADR 15).
    schedule_batch_size: int = 20
    schedule_batch_seconds: float = 1.0
    # How far ahead a message may be scheduled.
    schedule_max_days_ahead: int = 366


@lru_cache(maxsize=1)
def get_schedule_settings() -> ScheduleSettings:
    return ScheduleSettings()


def reset_schedule_settings() -> None:
    """Forget the cached settings (tests that change the environment)."""
    get_schedule_settings.cache_clear()
