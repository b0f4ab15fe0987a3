"""Inbound intake settings (env prefix ``REPDESK_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class InboundSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_", extra="ignore")

    # Webhook POSTs acknowledged within one window of this many milliseconds are processed
    # together by one ``inbound.ingest`` job at the window's end (0: a job per POST, at once).
    # Larger windows mean fewer, bigger transactions and a longer wait for the reply.
    ingest_batch_ms: int = 100
    # How often a sweep looks for inbound events that no job is scheduled for.
    ingest_sweep_seconds: int = 10


@lru_cache(maxsize=1)
def get_inbound_settings() -> InboundSettings:
    return InboundSettings()


def reset_inbound_settings() -> None:
    """Forget the cached settings (tests that change the environment)."""
    get_inbound_settings.cache_clear()
