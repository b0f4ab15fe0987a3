"""Broadcast settings (env prefix ``REPDESK_``). Defaults are the seed's numbers."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class CampaignSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_", extra="ignore")

    # The pause between two recipients ("not a bulk send": it protects the quality rating).
    broadcast_delay_seconds: float = 1.0
    broadcast_max_recipients: int = 10000


@lru_cache(maxsize=1)
def get_campaign_settings() -> CampaignSettings:
    return CampaignSettings()


def reset_campaign_settings() -> None:
    """Forget the cached settings (tests that change the environment)."""
    get_campaign_settings.cache_clear()
