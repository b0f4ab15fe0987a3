"""An SMTP sink: a real SMTP server (aiosmtpd) on a free local port that keeps what it receives."""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.fakes.server import free_port


@dataclass
class SmtpSink:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.sink = SmtpSink()
        self._port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self._port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def messages(self) -> list[Message]:
        return self.sink.messages
