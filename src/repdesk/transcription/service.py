"""Choosing the transcription provider, and transcribing stored voice messages."""

from __future__ import annotations

from repdesk.transcription import local
from repdesk.transcription.base import Transcriber
from repdesk.transcription.config import TranscriptionSettings
from repdesk.transcription.openai_compat import OpenAICompatibleTranscriber


def transcription_settings() -> TranscriptionSettings:
    return TranscriptionSettings()


def get_transcriber(settings: TranscriptionSettings | None = None) -> Transcriber | None:
    """The configured provider, or None when no transcription is available."""
    s = settings or transcription_settings()
    if s.provider == "none":
        return None
    if s.provider == "openai" or (s.provider == "auto" and s.base_url):
        if not s.base_url:
            return None
        return OpenAICompatibleTranscriber(
            base_url=s.base_url,
            api_key=s.api_key,
            model=s.model,
            language=s.language,
            timeout=s.timeout_seconds,
        )
    if local.available(s.local_model_dir):
        return local.LocalWhisperTranscriber(model_dir=s.local_model_dir, threads=s.local_threads)
    return None


def is_available() -> bool:
    return get_transcriber() is not None
