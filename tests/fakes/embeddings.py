"""A fake embedding provider: a real HTTP server speaking OpenAI's ``POST /v1/embeddings``.

Vectors are deterministic: hashed word buckets, with a small table of synonyms mapped to the
same bucket, so that "parcel" and "delivery" are close while sharing no letters. Requests are
recorded in ``requests``; ``fail_with`` makes every call answer that HTTP status.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import kept_fake

DIM = 48
SYNONYMS = {
    "parcel": "delivery",
    "package": "delivery",
    "shipping": "delivery",
    "arrive": "take",
    "come": "take",
    "gown": "dress",
    "frock": "dress",
}


def vector(text: str) -> list[float]:
    out = [0.0] * DIM
    for word in re.findall(r"[a-z]+", text.lower()):
        word = SYNONYMS.get(word.rstrip("s"), word.rstrip("s"))
        if len(word) < 3:
            continue
        bucket = int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIM
        out[bucket] += 1.0
    return out


@dataclass
class FakeEmbeddings:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    fail_with: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.auth.clear()
            self.fail_with = 0


def _build(state: FakeEmbeddings) -> Starlette:
    async def embeddings(request: Request) -> JSONResponse:
        body = await request.json()
        with state.lock:
            state.requests.append(body)
            state.auth.append(request.headers.get("authorization", ""))
            failing = state.fail_with
        if failing:
            return JSONResponse({"error": {"message": "scripted failure"}}, status_code=failing)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": vector(t)}
            for i, t in enumerate(inputs)
        ]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )

    return Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])


@pytest.fixture
def embedding_server() -> Iterator[FakeEmbeddings]:
    """The fake provider (one per test process, state reset per test)."""
    fake = kept_fake("fake embeddings server", lambda url: FakeEmbeddings(url=f"{url}/v1"), _build)
    fake.reset()
    yield fake
    fake.reset()
