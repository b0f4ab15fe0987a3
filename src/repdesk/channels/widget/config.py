"""Knobs of the web widget (environment variables with the ``REPDESK_`` prefix)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class WidgetSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_WIDGET_", extra="ignore")

    max_message_chars: int = 2000
    max_upload_bytes: int = 10 * 1024 * 1024
    max_voice_bytes: int = 5 * 1024 * 1024
    # Rate limits (``limits`` syntax): messages and uploads per visitor, all widget requests per
    # IP address, and new visitor sessions per IP address.
    visitor_rate_limit: str = "30/minute"
    ip_rate_limit: str = "600/minute"
    session_rate_limit: str = "60/minute"
    history_limit: int = 50


def widget_settings() -> WidgetSettings:
    return WidgetSettings()
