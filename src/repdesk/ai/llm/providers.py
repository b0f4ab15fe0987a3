"""Chat providers: the one place that talks to LLM vendors.

``OpenAIProvider`` uses the ``openai`` SDK against any OpenAI-compatible base URL (OpenAI,
Azure, Groq, OpenRouter, Ollama, vLLM, llama.cpp, LM Studio). ``AnthropicProvider`` speaks the
Messages API over httpx. Both take and return our own data objects.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from repdesk.kit.http import guarded_client, guarded_http_client2, shared_client
from repdesk.kit.urlguard import Reach

if TYPE_CHECKING:
    import openai


class ProviderError(Exception):
    """The provider did not answer usefully: ``status`` is timeout, rate_limited or error."""

    def __init__(self, message: str, *, status: str = "error") -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text, as the model wrote it


@dataclass
class ChatResponse:
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""


@dataclass
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]


class ChatProvider(Protocol):
    name: str
    model: str

    async def complete(
        self, *, system: str, messages: list[dict[str, Any]], tools: list[ToolSpec]
    ) -> ChatResponse: ...


# The OpenAI SDK's clients, per event loop and configuration. Each holds its own connection
# pool (the SDK brings its own HTTP library, so it cannot share ``kit.http``'s): one per reply
# would open a new connection, and a TLS handshake, for every reply.
_OPENAI_CLIENTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, ...], openai.AsyncOpenAI]
] = weakref.WeakKeyDictionary()
MAX_OPENAI_CLIENTS = 64  # per process; beyond it the oldest is dropped (and closed when collected)


def _openai_client(
    base_url: str, api_key: str, timeout: float, reach: Reach | None
) -> openai.AsyncOpenAI:
    import openai

    clients = _OPENAI_CLIENTS.setdefault(asyncio.get_running_loop(), {})
    key = (
        base_url,
        hashlib.sha256(api_key.encode()).hexdigest(),
        repr(timeout),
        reach.value if reach else "",
    )
    client = clients.get(key)
    if client is None:
        if len(clients) >= MAX_OPENAI_CLIENTS:
            clients.pop(next(iter(clients)))
        client = openai.AsyncOpenAI(
            base_url=base_url or None,
            api_key=api_key or "none",
            timeout=timeout,
            max_retries=0,
            # A tenant's URL: every connection checked by the URL guard (kit.urlguard).
            http_client=guarded_http_client2(reach, timeout) if reach else None,
        )
        clients[key] = client
    return client


class OpenAIProvider:
    """``reach``: the URL guard's policy for a tenant's endpoint; None for the operator's."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        timeout: float,
        reach: Reach | None = None,
    ) -> None:
        import openai

        self.model = model
        self._openai = openai
        self._config = (base_url, api_key, timeout, reach)

    async def complete(
        self, *, system: str, messages: list[dict[str, Any]], tools: list[ToolSpec]
    ) -> ChatResponse:
        openai = self._openai
        wire: list[dict[str, Any]] = [{"role": "system", "content": system}]
        for m in messages:
            if m["role"] == "tool":
                wire.append({"role": "tool", "tool_call_id": m["id"], "content": m["content"]})
            elif m["role"] == "assistant" and m.get("tool_calls"):
                wire.append(
                    {
                        "role": "assistant",
                        "content": m.get("content") or None,
                        "tool_calls": [
                            {
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments},
                            }
                            for c in m["tool_calls"]
                        ],
                    }
                )
            else:
                wire.append({"role": m["role"], "content": m["content"]})
        try:
            client = _openai_client(*self._config)
            resp = await client.chat.completions.create(
                model=self.model,
                messages=wire,  # type: ignore[arg-type]
                tools=[
                    {
                        "type": "function",
                        "function": {
                            "name": t.name,
                            "description": t.description,
                            "parameters": t.parameters,
                        },
                    }
                    for t in tools
                ],
                temperature=0.2,
            )
        except openai.APITimeoutError as exc:
            raise ProviderError("timed out", status="timeout") from exc
        except openai.RateLimitError as exc:
            raise ProviderError("rate limited (429)", status="rate_limited") from exc
        except openai.APIStatusError as exc:
            raise ProviderError(f"HTTP {exc.status_code}") from exc
        except openai.APIConnectionError as exc:
            raise ProviderError("could not connect") from exc
        if not resp.choices:
            raise ProviderError("empty response")
        msg = resp.choices[0].message
        calls = []
        for c in msg.tool_calls or []:
            function = getattr(c, "function", None)
            if function is not None:  # custom (non-function) tool calls are not ours
                calls.append(ToolCall(c.id, function.name, function.arguments or ""))
        usage = resp.usage
        return ChatResponse(
            content=msg.content or "",
            tool_calls=calls,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            model=resp.model or self.model,
        )


class AnthropicProvider:
    name = "anthropic"
    VERSION = "2023-06-01"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        timeout: float,
        reach: Reach | None = None,
    ) -> None:
        self.model = model
        self.base_url = (base_url or "https://api.anthropic.com").rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.reach = reach

    async def complete(
        self, *, system: str, messages: list[dict[str, Any]], tools: list[ToolSpec]
    ) -> ChatResponse:
        wire: list[dict[str, Any]] = []
        for m in messages:
            if m["role"] == "tool":
                block = {"type": "tool_result", "tool_use_id": m["id"], "content": m["content"]}
                if wire and wire[-1]["role"] == "user" and isinstance(wire[-1]["content"], list):
                    wire[-1]["content"].append(block)
                else:
                    wire.append({"role": "user", "content": [block]})
            elif m["role"] == "assistant" and m.get("tool_calls"):
                content: list[dict[str, Any]] = []
                if m.get("content"):
                    content.append({"type": "text", "text": m["content"]})
                for c in m["tool_calls"]:
                    try:
                        args = json.loads(c.arguments or "{}")
                    except ValueError:
                        args = {}
                    content.append({"type": "tool_use", "id": c.id, "name": c.name, "input": args})
                wire.append({"role": "assistant", "content": content})
            else:
                wire.append({"role": m["role"], "content": m["content"]})
        body = {
            "model": self.model,
            "max_tokens": 800,
            "system": system,
            "messages": wire,
            "tools": [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in tools
            ],
        }
        headers = {"x-api-key": self.api_key, "anthropic-version": self.VERSION}
        try:
            http = guarded_client(self.reach) if self.reach else shared_client()
            r = await http.post(
                f"{self.base_url}/v1/messages", json=body, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException as exc:
            raise ProviderError("timed out", status="timeout") from exc
        except httpx.HTTPError as exc:
            raise ProviderError("could not connect") from exc
        if r.status_code == 429:
            raise ProviderError("rate limited (429)", status="rate_limited")
        if r.status_code >= 400:
            raise ProviderError(f"HTTP {r.status_code}")
        try:
            data = r.json()
        except ValueError as exc:
            raise ProviderError("response is not JSON") from exc
        text_parts: list[str] = []
        calls: list[ToolCall] = []
        for block in data.get("content") or []:
            if block.get("type") == "text":
                text_parts.append(str(block.get("text") or ""))
            elif block.get("type") == "tool_use":
                calls.append(
                    ToolCall(
                        str(block.get("id")),
                        str(block.get("name")),
                        json.dumps(block.get("input") or {}),
                    )
                )
        usage = data.get("usage") or {}
        return ChatResponse(
            content="".join(text_parts),
            tool_calls=calls,
            prompt_tokens=int(usage.get("input_tokens") or 0),
            completion_tokens=int(usage.get("output_tokens") or 0),
            model=str(data.get("model") or self.model),
        )
