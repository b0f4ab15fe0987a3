"""The operator's default engine, for workspaces that have not chosen their own."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class AISettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_AI_", extra="ignore")

    provider: Literal["builtin", "openai", "anthropic"] = "builtin"
    base_url: str = (
        ""  # OpenAI-compatible: https://api.openai.com/v1 ; Anthropic: https://api.anthropic.com
    )
    api_key: str = ""
    model: str = ""
    timeout: float = 20.0  # seconds per LLM call; on timeout the built-in engine answers


def ai_settings() -> AISettings:
    return AISettings()
