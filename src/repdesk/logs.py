"""Structured logs: one JSON object a line, secrets masked before anything is written."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

from repdesk.kit.time import isoformat, utcnow

_SECRET_PATTERNS = [
    re.compile(r"(rep_(?:live|test)_)[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]{8,}", re.IGNORECASE),
    re.compile(r"(EAA)[A-Za-z0-9]{10,}"),  # Meta access tokens
    re.compile(r"(sk-)[A-Za-z0-9_\-]{10,}"),  # LLM provider keys
    re.compile(
        r"((?:password|secret|token|api_key|apikey)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{4,}",
        re.IGNORECASE,
    ),
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": isoformat(utcnow()),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore", "aiosqlite", "asyncio", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
