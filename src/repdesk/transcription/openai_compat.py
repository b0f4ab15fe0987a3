"""Any OpenAI-compatible ``POST {base_url}/audio/transcriptions`` endpoint (multipart)."""

from __future__ import annotations

import logging
import time

import httpx

from repdesk.kit.http import shared_client
from repdesk.transcription.base import Transcript, TranscriptionError

log = logging.getLogger("repdesk.transcription")


class OpenAICompatibleTranscriber:
    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        model: str = "whisper-1",
        language: str = "en",
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.language = language
        self.timeout = timeout
        self.description = f"OpenAI-compatible endpoint ({model})"

    async def transcribe(self, audio: bytes, *, mime_type: str, filename: str) -> Transcript:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        data = {"model": self.model, "response_format": "json"}
        if self.language:
            data["language"] = self.language
        started = time.monotonic()
        try:
            r = await shared_client().post(
                f"{self.base_url}/audio/transcriptions",
                headers=headers,
                data=data,
                files={"file": (filename or "voice", audio, mime_type)},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise TranscriptionError(
                f"transcription endpoint unreachable: {type(exc).__name__}", retryable=True
            ) from exc
        if r.status_code >= 500 or r.status_code == 429:
            raise TranscriptionError(
                f"transcription endpoint answered {r.status_code}", retryable=True
            )
        if r.status_code >= 400:
            raise TranscriptionError(f"transcription endpoint refused the audio ({r.status_code})")
        try:
            text = str(r.json()["text"])
        except (ValueError, KeyError, TypeError) as exc:
            raise TranscriptionError("transcription endpoint returned no text") from exc
        log.info(
            "transcribed %d bytes with %s in %.2fs",
            len(audio),
            self.model,
            time.monotonic() - started,
        )
        return Transcript(text=text.strip(), provider=self.name, language=self.language or None)
