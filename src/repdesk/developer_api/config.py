"""Developer API settings (env prefix ``REPDESK_``). Defaults are the seed's numbers."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class DeveloperApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_", extra="ignore")

    # Per-key rate limits (the seed's table), in the ``limits`` notation.
    api_rate_send: str = "100/minute"
    api_rate_broadcast: str = "10/minute"
    api_rate_contacts_create: str = "200/minute"
    api_rate_reads: str = "300/minute"
    api_rate_burst: str = "20/second"
    # How long POST /v1/messages/send waits for a send another worker picked up.
    api_send_wait_seconds: float = 20.0

    # Outbound webhooks: a receiver must answer within this many seconds.
    webhook_timeout_seconds: float = 5.0
    # Seconds before each retry (5 retries, exponential); then the delivery is failed.
    webhook_retry_schedule: str = "30,120,600,3600,14400"

    @property
    def retry_delays(self) -> list[float]:
        return [float(x) for x in self.webhook_retry_schedule.split(",") if x.strip()]


@lru_cache(maxsize=1)
def get_api_settings() -> DeveloperApiSettings:
    return DeveloperApiSettings()


def reset_api_settings() -> None:
    """Forget the cached settings (tests that change the environment)."""
    get_api_settings.cache_clear()
