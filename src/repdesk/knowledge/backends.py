"""Where sentence embeddings come from: the bundled all-MiniLM-L6-v2 run locally in numpy
(default), or an OpenAI-compatible ``POST {base}/embeddings`` endpoint configured by the
operator (``REPDESK_EMBEDDINGS=http``). Both return unit vectors; ``model`` names the vector
space, and is stored with every cached chunk vector so a change of model re-embeds."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import httpx
import numpy as np

from repdesk.kit.http import shared_client
from repdesk.knowledge import embeddings
from repdesk.knowledge.config import get_knowledge_settings
from repdesk.knowledge.embeddings import Vector

log = logging.getLogger("repdesk.knowledge.backends")


class EmbeddingError(Exception):
    """The embedding provider failed (network, status, malformed answer)."""


class EmbeddingBackend(Protocol):
    model: str

    async def embed(self, texts: list[str]) -> Vector:
        """One unit vector per text."""
        ...


class LocalBackend:
    model = embeddings.MODEL_NAME

    def __init__(self, encoder: embeddings.Encoder) -> None:
        self.encoder = encoder

    async def embed(self, texts: list[str]) -> Vector:
        return await asyncio.to_thread(self.encoder.encode, texts)


class HttpBackend:
    """OpenAI-compatible embeddings (OpenAI, Azure, Ollama, vLLM, LM Studio, llama.cpp)."""

    batch = 64

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout: float) -> None:
        self.url = base_url.rstrip("/") + "/embeddings"
        self.api_key = api_key
        self.model_name = model
        self.model = f"http:{model}"[:64]
        self.timeout = timeout

    async def embed(self, texts: list[str]) -> Vector:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        rows: list[list[float]] = []
        client = shared_client()  # one pooled client per event loop (kit/http.py)
        for start in range(0, len(texts), self.batch):
            chunk = [t or " " for t in texts[start : start + self.batch]]
            try:
                r = await client.post(
                    self.url,
                    json={"model": self.model_name, "input": chunk},
                    headers=headers,
                    timeout=self.timeout,
                )
            except httpx.HTTPError as exc:
                raise EmbeddingError(
                    f"embedding provider unreachable: {type(exc).__name__}"
                ) from exc
            if r.status_code != 200:
                raise EmbeddingError(f"embedding provider answered HTTP {r.status_code}")
            try:
                data = sorted(r.json()["data"], key=lambda d: int(d["index"]))
                vectors = [[float(x) for x in d["embedding"]] for d in data]
            except (ValueError, KeyError, TypeError) as exc:
                raise EmbeddingError("embedding provider sent a malformed answer") from exc
            if len(vectors) != len(chunk) or len({len(v) for v in vectors}) != 1:
                raise EmbeddingError("embedding provider sent the wrong number of vectors")
            rows.extend(vectors)
        if not rows:
            return np.zeros((0, 1), dtype=np.float32)
        matrix = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)  # type: ignore[no-any-return]


def backend_configured() -> bool:
    """Whether embeddings are on, without loading the model."""
    settings = get_knowledge_settings()
    if settings.embeddings == "http":
        return bool(settings.embeddings_base_url)
    return embeddings.available()


def configured_model() -> str:
    settings = get_knowledge_settings()
    if settings.embeddings == "http":
        return f"http:{settings.embeddings_model}"[:64]
    return embeddings.MODEL_NAME


def get_backend() -> EmbeddingBackend | None:
    """The configured backend, or None: retrieval then uses BM25 alone."""
    settings = get_knowledge_settings()
    if settings.embeddings == "off":
        return None
    if settings.embeddings == "http":
        if not settings.embeddings_base_url:
            log.warning(
                "REPDESK_EMBEDDINGS=http needs REPDESK_EMBEDDINGS_BASE_URL; using BM25 only"
            )
            return None
        return HttpBackend(
            base_url=settings.embeddings_base_url,
            api_key=settings.embeddings_api_key,
            model=settings.embeddings_model,
            timeout=settings.embeddings_timeout,
        )
    encoder = embeddings.get_encoder()
    return LocalBackend(encoder) if encoder is not None else None
