"""A scripted LLM provider: a real HTTP server speaking OpenAI chat completions
(``POST /v1/chat/completions``) and Anthropic Messages (``POST /v1/messages``).

Tests script what the next calls answer, in order::

    llm.script(llm.text("The dress is ₦18,500."))
    llm.script(llm.tool_call("find_products", {"query": "dress"}), llm.text("..."))
    llm.script(llm.error(429), llm.error(500), llm.slow(3.0))

Each call pops one scripted step (an empty script answers a plain "OK"). Every request body is
recorded in ``llm.requests``. Steps written with ``llm.tool_call`` are rendered in the wire
format of whichever endpoint is called, so the same script drives both providers.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import kept_fake


@dataclass
class Step:
    kind: str  # text | tools | error | slow
    text: str = ""
    calls: list[tuple[str, str]] = field(default_factory=list)  # (name, raw arguments)
    status: int = 200
    delay: float = 0.0


@dataclass
class FakeLLM:
    url: str = ""
    steps: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # the client's port per request: the same port twice is one connection reused
    peers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.steps.clear()
            self.requests.clear()
            self.headers.clear()
            self.peers.clear()

    def script(self, *steps: Step) -> None:
        with self.lock:
            self.steps.extend(steps)

    @staticmethod
    def text(text: str) -> Step:
        return Step("text", text=text)

    @staticmethod
    def tool_call(name: str, arguments: dict[str, Any] | str, *more: tuple[str, Any]) -> Step:
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        calls = [(name, raw)]
        for n, a in more:
            calls.append((n, a if isinstance(a, str) else json.dumps(a)))
        return Step("tools", calls=calls)

    @staticmethod
    def error(status: int) -> Step:
        return Step("error", status=status)

    @staticmethod
    def slow(seconds: float, text: str = "late") -> Step:
        return Step("slow", text=text, delay=seconds)

    def _next(self) -> Step:
        with self.lock:
            return self.steps.pop(0) if self.steps else Step("text", text="OK")


def _usage_openai() -> dict[str, int]:
    return {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}


def _build(state: FakeLLM) -> Starlette:
    async def openai_chat(request: Request) -> JSONResponse:
        body = await request.json()
        state.requests.append(body)
        state.headers.append(dict(request.headers))
        state.peers.append(request.client.port if request.client else 0)
        step = state._next()
        if step.kind == "error":
            return JSONResponse(
                {"error": {"message": f"scripted {step.status}", "type": "error", "code": None}},
                status_code=step.status,
            )
        if step.kind == "slow":
            await asyncio.sleep(step.delay)
        message: dict[str, Any] = {"role": "assistant", "content": step.text or None}
        finish = "stop"
        if step.kind == "tools":
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": f"call_{uuid.uuid4().hex[:8]}",
                    "type": "function",
                    "function": {"name": n, "arguments": a},
                }
                for n, a in step.calls
            ]
            finish = "tool_calls"
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:10]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": _usage_openai(),
            }
        )

    async def anthropic_messages(request: Request) -> JSONResponse:
        body = await request.json()
        state.requests.append(body)
        state.headers.append(dict(request.headers))
        if not request.headers.get("x-api-key") or not request.headers.get("anthropic-version"):
            return JSONResponse(
                {
                    "type": "error",
                    "error": {"type": "authentication_error", "message": "missing headers"},
                },
                401,
            )
        step = state._next()
        if step.kind == "error":
            return JSONResponse(
                {
                    "type": "error",
                    "error": {"type": "api_error", "message": f"scripted {step.status}"},
                },
                status_code=step.status,
            )
        if step.kind == "slow":
            await asyncio.sleep(step.delay)
        content: list[dict[str, Any]] = []
        if step.kind == "tools":
            for n, a in step.calls:
                try:
                    args = json.loads(a)
                except ValueError:
                    args = {"_raw": a}
                content.append(
                    {
                        "type": "tool_use",
                        "id": f"toolu_{uuid.uuid4().hex[:8]}",
                        "name": n,
                        "input": args,
                    }
                )
        else:
            content.append({"type": "text", "text": step.text})
        return JSONResponse(
            {
                "id": f"msg_{uuid.uuid4().hex[:10]}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", "fake"),
                "content": content,
                "stop_reason": "tool_use" if step.kind == "tools" else "end_turn",
                "usage": {"input_tokens": 110, "output_tokens": 25},
            }
        )

    return Starlette(
        routes=[
            Route("/v1/chat/completions", openai_chat, methods=["POST"]),
            Route("/v1/messages", anthropic_messages, methods=["POST"]),
        ]
    )


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    """The scripted LLM server (one per test process, script reset per test)."""
    fake = kept_fake("fake LLM server", lambda url: FakeLLM(url=url), _build)
    fake.reset()
    yield fake
    fake.reset()
