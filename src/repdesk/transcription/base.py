"""The transcription provider interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Transcript:
    text: str
    provider: str
    language: str | None = None
    duration_seconds: float | None = None


class TranscriptionError(Exception):
    """The provider could not transcribe; ``retryable`` when trying again later may help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class Transcriber(Protocol):
    name: str
    # Human-readable, shown in settings: which provider, which languages.
    description: str

    async def transcribe(self, audio: bytes, *, mime_type: str, filename: str) -> Transcript: ...
