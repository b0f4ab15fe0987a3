"""Retrieval over an assistant's FAQs and policies, knowledge chunks and products.

``search`` fuses a lexical score (BM25 via ``bm25s``) and a semantic one (all-MiniLM-L6-v2
cosine similarity) by weighted sum, 0.2 and 0.8: measured on paraphrased shop questions, that
keeps the embeddings' quality where reciprocal-rank fusion loses much of it. Without the
embedding model it works on the lexical score alone (the dashboard says answers are weaker).

Scores are in 0..1 and mean the same across queries (cosine similarity and the share of the
query's informative words found), so a caller can set a confidence threshold on them.

The index lives in memory per assistant and process, keyed by the (version, indexed_version)
pair stored in the database, so every web and worker process notices any change.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.knowledge import backends, embeddings
from repdesk.knowledge.config import get_knowledge_settings
from repdesk.knowledge.models import IndexChunk, KnowledgeIndex
from repdesk.knowledge.text import tokenize

LEXICAL_WEIGHT = 0.2
SEMANTIC_WEIGHT = 0.8
# FAQs and policies are matched first: one that matches well (score at least FAQ_FIRST, or
# FAQ_FIRST_LEXICAL without embeddings) ranks ahead of every knowledge chunk and product; a weaker
# one still ranks ahead of hits scoring up to FAQ_PRIORITY more.
FAQ_FIRST = 0.45
FAQ_FIRST_LEXICAL = 0.5
FAQ_PRIORITY = 0.05
KINDS = frozenset({"faq", "policy", "knowledge", "product"})
log = logging.getLogger("repdesk.knowledge.retrieval")
MAX_CACHED_ASSISTANTS = 256
_CANDIDATES = 400


@dataclass(frozen=True)
class Hit:
    kind: str  # faq | policy | knowledge | product
    id: str  # stable: "{source_id}:{position}"
    title: str
    text: str
    score: float  # 0..1
    source_id: str  # the knowledge item, FAQ or product id
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Snapshot:
    key: tuple[int, int, str | None]
    ids: list[str]
    kinds: npt.NDArray[np.str_]
    titles: list[str]
    texts: list[str]
    source_ids: list[str]
    metas: list[dict[str, Any]]
    tokens: list[frozenset[str]]
    idf: dict[str, float]
    bm25: bm25s.BM25 | None
    vectors: npt.NDArray[np.float32] | None  # (n, 384), zero rows where missing
    has_vector: npt.NDArray[np.bool_]

    @property
    def size(self) -> int:
        return len(self.ids)


_cache: OrderedDict[str, _Snapshot] = OrderedDict()
_cache_lock = threading.Lock()


def embeddings_enabled() -> bool:
    """True when embeddings are configured: the bundled model installed (and not switched
    off), or an HTTP embedding provider."""
    return backends.backend_configured()


def forget(assistant_id: str) -> None:
    with _cache_lock:
        _cache.pop(assistant_id, None)


_query_cache: OrderedDict[tuple[str, str], npt.NDArray[np.float32]] = OrderedDict()
_QUERY_CACHE_SIZE = 2048


def clear_query_cache() -> None:
    with _cache_lock:
        _query_cache.clear()


async def query_vector(
    backend: backends.EmbeddingBackend, query: str
) -> npt.NDArray[np.float32] | None:
    key = (backend.model, query)
    with _cache_lock:
        cached = _query_cache.get(key)
        if cached is not None:
            _query_cache.move_to_end(key)
            return cached
    try:
        vector: npt.NDArray[np.float32] = (await backend.embed([query]))[0]
    except backends.EmbeddingError as exc:
        log.warning("query embedding failed, searching by keywords only: %s", exc)
        return None
    with _cache_lock:
        _query_cache[key] = vector
        while len(_query_cache) > _QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vector


def embedding_input(title: str, text: str) -> str:
    """What is embedded for a chunk: its title and text (once, when the text repeats it)."""
    return text if not title or text.startswith(title) else f"{title}\n{text}"


def _missing(rows: list[Any], model: str | None) -> list[int]:
    if model is None:
        return []
    return [i for i, r in enumerate(rows) if r.embedding is None or r.embedding_model != model]


def _build(
    key: tuple[int, int, str | None],
    rows: list[Any],
    model: str | None,
    fresh: dict[int, npt.NDArray[np.float32]],
) -> _Snapshot:
    ids: list[str] = []
    kinds: list[str] = []
    titles: list[str] = []
    texts: list[str] = []
    sources: list[str] = []
    metas: list[dict[str, Any]] = []
    token_sets: list[frozenset[str]] = []
    corpus: list[list[str]] = []
    dim = next(
        (
            len(r.embedding) // 4
            for r in rows
            if r.embedding is not None and r.embedding_model == model
        ),
        next((len(v) for v in fresh.values()), 0),
    )
    vectors = np.zeros((len(rows), dim), dtype=np.float32) if model and dim else None
    has_vector = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        ids.append(f"{row.source_id}:{row.position}")
        kinds.append(row.kind)
        titles.append(row.title)
        texts.append(row.text)
        sources.append(row.source_id)
        metas.append(dict(row.meta or {}))
        toks = tokenize(f"{row.title} {row.text}")
        corpus.append(toks or [""])
        token_sets.append(frozenset(toks))
        if vectors is not None:
            if row.embedding is not None and row.embedding_model == model:
                vectors[i] = embeddings.from_bytes(row.embedding)
                has_vector[i] = True
            elif i in fresh:
                vectors[i] = fresh[i]
                has_vector[i] = True
    n = len(rows)
    df: dict[str, int] = {}
    for token_set in token_sets:
        for t in token_set:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
    retriever = None
    if n:
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
    return _Snapshot(
        key=key,
        ids=ids,
        kinds=np.array(kinds, dtype=str),
        titles=titles,
        texts=texts,
        source_ids=sources,
        metas=metas,
        tokens=token_sets,
        idf=idf,
        bm25=retriever,
        vectors=vectors,
        has_vector=has_vector,
    )


def _top(values: npt.NDArray[Any], n: int) -> npt.NDArray[np.intp]:
    """Indexes of the ``n`` largest values, largest first (ties: lower index first)."""
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    if n < values.size:
        part = np.argpartition(-values, n - 1)[:n]
        ordered: npt.NDArray[np.intp] = part[np.lexsort((part, -values[part]))]
        return ordered
    everything: npt.NDArray[np.intp] = np.argsort(-values, kind="stable")
    return everything


def _score(
    snap: _Snapshot,
    query: str,
    k: int,
    kinds: set[str] | None,
    query_vector: npt.NDArray[np.float32] | None,
) -> list[Hit]:
    if snap.size == 0:
        return []
    q_tokens = list(dict.fromkeys(tokenize(query)))
    lexical = np.zeros(snap.size, dtype=np.float32)
    if q_tokens and snap.bm25 is not None:
        bm = np.asarray(snap.bm25.get_scores(q_tokens), dtype=np.float32)
        top = float(bm.max()) if bm.size else 0.0
        if top > 0:
            # The share of the query's informative words (idf-weighted) present in each
            # candidate, scaled by BM25 relative to the best: comparable across queries.
            unseen_idf = math.log(1 + (snap.size + 0.5) / 0.5)
            weights = {t: snap.idf.get(t, unseen_idf) for t in q_tokens}
            total = sum(weights.values())
            candidates = _top(bm, _CANDIDATES)
            for i in candidates:
                if bm[i] <= 0:
                    break
                present = sum(w for t, w in weights.items() if t in snap.tokens[i])
                lexical[i] = (present / total) * (0.5 + 0.5 * bm[i] / top)
    fused = lexical
    semantic: npt.NDArray[np.float32] | None = None
    if (
        snap.vectors is not None
        and query_vector is not None
        and snap.has_vector.any()
        and query_vector.shape[0] == snap.vectors.shape[1]
    ):
        semantic = np.clip(snap.vectors @ query_vector, 0.0, 1.0)
        fused = np.where(
            snap.has_vector, LEXICAL_WEIGHT * lexical + SEMANTIC_WEIGHT * semantic, lexical
        )
    mask = np.ones(snap.size, dtype=bool)
    if kinds:
        mask = np.isin(snap.kinds, list(kinds))
    is_faq = np.isin(snap.kinds, ["faq", "policy"])
    first = FAQ_FIRST if semantic is not None else FAQ_FIRST_LEXICAL
    priority = fused + np.where(is_faq, np.where(fused >= first, 1.0, FAQ_PRIORITY), 0.0)
    priority = np.where(mask & (fused > 0), priority, -1.0)
    order = _top(priority, max(k, 0))
    hits = []
    for i in order:
        if priority[i] < 0:
            break
        meta = dict(snap.metas[i])
        meta["lexical"] = round(float(lexical[i]), 4)
        if semantic is not None and snap.has_vector[i]:
            meta["semantic"] = round(float(semantic[i]), 4)
        hits.append(
            Hit(
                kind=str(snap.kinds[i]),
                id=snap.ids[i],
                title=snap.titles[i],
                text=snap.texts[i],
                score=round(float(min(1.0, max(0.0, fused[i]))), 4),
                source_id=snap.source_ids[i],
                metadata=meta,
            )
        )
    return hits


async def _snapshot(
    session: AsyncSession, assistant_id: str, backend: backends.EmbeddingBackend | None
) -> _Snapshot:
    state = (
        await session.execute(
            select(KnowledgeIndex.version, KnowledgeIndex.indexed_version).where(
                KnowledgeIndex.assistant_id == assistant_id
            )
        )
    ).first()
    model = backend.model if backend else None
    key = (int(state[0]), int(state[1]), model) if state else (0, 0, model)
    with _cache_lock:
        snap = _cache.get(assistant_id)
        if snap is not None and snap.key == key:
            _cache.move_to_end(assistant_id)
            return snap
    rows = (
        await session.execute(
            select(
                IndexChunk.kind,
                IndexChunk.source_id,
                IndexChunk.position,
                IndexChunk.title,
                IndexChunk.text,
                IndexChunk.meta,
                IndexChunk.embedding,
                IndexChunk.embedding_model,
            )
            .where(IndexChunk.assistant_id == assistant_id)
            .order_by(IndexChunk.source_id, IndexChunk.position)
        )
    ).all()
    rows = list(rows)
    missing = _missing(rows, model)
    fresh: dict[int, npt.NDArray[np.float32]] = {}
    limit = get_knowledge_settings().knowledge_inline_embed_limit
    if backend is not None and 0 < len(missing) <= limit:
        # Fresh content the background job has not embedded yet: embed the few chunks now.
        try:
            vectors = await backend.embed(
                [embedding_input(rows[i].title, rows[i].text) for i in missing]
            )
            fresh = dict(zip(missing, vectors, strict=True))
        except backends.EmbeddingError as exc:
            log.warning("embedding fresh chunks failed: %s", exc)
    snap = await asyncio.to_thread(_build, key, rows, model, fresh)
    with _cache_lock:
        _cache[assistant_id] = snap
        _cache.move_to_end(assistant_id)
        while len(_cache) > MAX_CACHED_ASSISTANTS:
            _cache.popitem(last=False)
    return snap


class Reader:
    """One unit of work's view of an assistant's index: the index version is read once, so an
    engine reply that searches several times (the question, its topic, the catalog) asks the
    database once. Use one per request or job, not across them."""

    def __init__(self, session: AsyncSession, assistant_id: str) -> None:
        self.session = session
        self.assistant_id = assistant_id
        self._snap: _Snapshot | None = None
        self._backend: backends.EmbeddingBackend | None = None

    async def snapshot(self) -> _Snapshot:
        if self._snap is None:
            self._backend = backends.get_backend()
            self._snap = await _snapshot(self.session, self.assistant_id, self._backend)
        return self._snap

    async def version(self) -> int:
        """The index version: bumped in the same transaction as every change of knowledge,
        FAQs or products (so it keys caches of them)."""
        return (await self.snapshot()).key[0]

    async def texts(self) -> list[str]:
        """Every indexed chunk's title and text (for a vocabulary of the business's words)."""
        snap = await self.snapshot()
        return [f"{t} {x}" for t, x in zip(snap.titles, snap.texts, strict=True)]

    async def search(self, query: str, *, k: int = 5, kinds: set[str] | None = None) -> list[Hit]:
        if kinds is not None:
            unknown = set(kinds) - KINDS
            if unknown:
                raise ValueError(f"unknown kinds: {sorted(unknown)}")
        if not query.strip() or k <= 0:
            return []
        snap = await self.snapshot()
        backend = self._backend
        vector = None
        if backend is not None and snap.vectors is not None and snap.has_vector.any():
            vector = await query_vector(backend, query.strip()[:2000])
        embeddings.limit_blas_threads()
        return _score(snap, query, k, kinds, vector)


async def search(
    session: AsyncSession,
    *,
    assistant_id: str,
    query: str,
    k: int = 5,
    kinds: set[str] | None = None,
) -> list[Hit]:
    """The ``k`` best hits for ``query``, FAQs and policies first, best first.

    ``kinds`` limits the search to some of faq, policy, knowledge, product.
    """
    return await Reader(session, assistant_id).search(query, k=k, kinds=kinds)
