"""A fake OpenAI-compatible speech-to-text server: ``POST /v1/audio/transcriptions``.

A real HTTP server (stdlib, its own thread) on a free local port. It parses the multipart
upload like the real endpoint does, records what it received, and answers ``{"text": ...}``
with the transcript the test scripted (or an error status when told to). ``fake_stt`` points
repdesk's transcription at it; ``no_stt`` turns transcription off.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    fields: dict[str, str]
    filename: str
    content_type: str
    audio: bytes
    authorization: str


@dataclass
class FakeTranscription:
    transcript: str = "What time do you open on Saturday?"
    status: int = 200
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeTranscription:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _json(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                if self.path != "/v1/audio/transcriptions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                ctype = self.headers.get("Content-Type", "")
                if not ctype.startswith("multipart/form-data"):
                    self._json(400, {"error": {"message": "expected multipart/form-data"}})
                    return
                msg = email.message_from_bytes(
                    f"Content-Type: {ctype}\r\n\r\n".encode() + body, policy=email.policy.HTTP
                )
                fields: dict[str, str] = {}
                audio, filename, file_type = b"", "", ""
                for part in msg.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if name == "file":
                        audio = part.get_payload(decode=True) or b""
                        filename = part.get_filename() or ""
                        file_type = part.get_content_type()
                    elif name:
                        fields[str(name)] = str(part.get_content()).strip()
                fake.requests.append(
                    Received(
                        fields, filename, file_type, audio, self.headers.get("Authorization", "")
                    )
                )
                if not audio or "model" not in fields:
                    self._json(400, {"error": {"message": "file and model are required"}})
                    return
                if fake.status != 200:
                    self._json(fake.status, {"error": {"message": "scripted failure"}})
                    return
                self._json(200, {"text": fake.transcript})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def fake_stt(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTranscription]:
    fake = FakeTranscription().start()
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "openai")
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_BASE_URL", fake.base_url)
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_API_KEY", "sk-test-stt")
    yield fake
    fake.stop()


@pytest.fixture
def no_stt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "none")
