"""WhatsApp settings (env prefix ``REPDESK_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class WhatsAppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_", extra="ignore")

    # Where the Graph API lives (tests point this at a local fake).
    graph_api_url: str = "https://graph.facebook.com"
    graph_api_version: str = "v21.0"
    graph_timeout_seconds: float = 15.0
    # Embedded Signup: the platform operator's Meta app. Empty: only BYOK is offered.
    meta_app_id: str = ""
    meta_app_secret: str = ""
    meta_config_id: str = ""
    # Verify token of the platform webhook /webhooks/whatsapp (Embedded Signup numbers).
    meta_verify_token: str = ""
    # How often templates are re-synced from every connected WABA.
    template_sync_seconds: int = 6 * 3600
    # The webhook batching window and sweep are the inbound intake's (repdesk/inbound/config.py).

    @property
    def graph_base(self) -> str:
        return f"{self.graph_api_url.rstrip('/')}/{self.graph_api_version}"


@lru_cache(maxsize=1)
def get_whatsapp_settings() -> WhatsAppSettings:
    return WhatsAppSettings()


def reset_whatsapp_settings() -> None:
    """Forget the cached settings (tests that change the environment)."""
    get_whatsapp_settings.cache_clear()
