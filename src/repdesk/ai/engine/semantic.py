"""Sentence vectors for the engine: the same embedding backend and query cache as retrieval,
so a customer's message is embedded once per reply (for intent, facts and products)."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import numpy.typing as npt

from repdesk.knowledge import backends
from repdesk.knowledge.retrieval import query_vector

Vector = npt.NDArray[np.float32]
_texts: OrderedDict[tuple[str, str], Vector] = OrderedDict()
_lock = threading.Lock()
_MAX = 20000


def enabled() -> bool:
    return backends.backend_configured()


def model_name() -> str | None:
    """The vector space in use (None without embeddings): what cached vectors are keyed by."""
    backend = backends.get_backend()
    return backend.model if backend is not None else None


async def embed_query(text: str) -> Vector | None:
    backend = backends.get_backend()
    if backend is None or not text.strip():
        return None
    return await query_vector(backend, text.strip()[:2000])


async def embed_texts(texts: list[str]) -> Vector | None:
    """Vectors for business texts (example phrases, facts held in memory), cached by text."""
    backend = backends.get_backend()
    if backend is None:
        return None
    with _lock:
        missing = [t for t in dict.fromkeys(texts) if (backend.model, t) not in _texts]
    if missing:
        try:
            vectors = await backend.embed(missing)
        except backends.EmbeddingError:
            return None
        with _lock:
            for t, v in zip(missing, vectors, strict=True):
                _texts[(backend.model, t)] = v
            while len(_texts) > _MAX:
                _texts.popitem(last=False)
    with _lock:
        rows = [_texts.get((backend.model, t)) for t in texts]
    if any(r is None for r in rows):
        return None
    if not rows:
        return np.zeros((0, 1), dtype=np.float32)
    return np.stack([r for r in rows if r is not None])
