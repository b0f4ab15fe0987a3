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
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.knowledge import embeddings
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
    key: tuple[int, int]
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
    """True when the embedding model is installed and not switched off."""
    return embeddings.available()


def forget(assistant_id: str) -> None:
    with _cache_lock:
        _cache.pop(assistant_id, None)


@lru_cache(maxsize=2048)
def _query_vector(query: str) -> bytes | None:
    encoder = embeddings.get_encoder()
    if encoder is None:
        return None
    return embeddings.to_bytes(encoder.encode([query])[0])


def embedding_input(title: str, text: str) -> str:
    """What is embedded for a chunk: its title and text (once, when the text repeats it)."""
    return text if not title or text.startswith(title) else f"{title}\n{text}"


def _build(key: tuple[int, int], rows: list[Any], model: str | None) -> _Snapshot:
    ids, kinds, titles, texts, sources, metas, token_sets = [], [], [], [], [], [], []
    corpus: list[list[str]] = []
    vectors = np.zeros((len(rows), embeddings.DIM), dtype=np.float32) if model else None
    has_vector = np.zeros(len(rows), dtype=bool)
    missing: list[int] = []
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
            else:
                missing.append(i)
    if (
        vectors is not None
        and missing
        and len(missing) <= get_knowledge_settings().knowledge_inline_embed_limit
    ):
        # Fresh content the background job has not embedded yet: embed the few chunks now.
        encoder = embeddings.get_encoder()
        if encoder is not None:
            vectors[missing] = encoder.encode(
                [embedding_input(titles[i], texts[i]) for i in missing]
            )
            has_vector[missing] = True
    n = len(rows)
    df: dict[str, int] = {}
    for toks in token_sets:
        for t in toks:
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


def _score(snap: _Snapshot, query: str, k: int, kinds: set[str] | None) -> list[Hit]:
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
            candidates = np.argsort(-bm)[:_CANDIDATES]
            for i in candidates:
                if bm[i] <= 0:
                    break
                present = sum(w for t, w in weights.items() if t in snap.tokens[i])
                lexical[i] = (present / total) * (0.5 + 0.5 * bm[i] / top)
    fused = lexical
    semantic: npt.NDArray[np.float32] | None = None
    if snap.vectors is not None and snap.has_vector.any():
        raw = _query_vector(query.strip()[:2000])
        if raw is not None:
            qv = embeddings.from_bytes(raw)
            semantic = np.clip(snap.vectors @ qv, 0.0, 1.0)
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
    order = np.argsort(-priority, kind="stable")[: max(k, 0)]
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


async def _snapshot(session: AsyncSession, assistant_id: str) -> _Snapshot:
    state = (
        await session.execute(
            select(KnowledgeIndex.version, KnowledgeIndex.indexed_version).where(
                KnowledgeIndex.assistant_id == assistant_id
            )
        )
    ).first()
    key = (int(state[0]), int(state[1])) if state else (0, 0)
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
    model = embeddings.MODEL_NAME if embeddings_enabled() else None
    snap = await asyncio.to_thread(_build, key, list(rows), model)
    with _cache_lock:
        _cache[assistant_id] = snap
        _cache.move_to_end(assistant_id)
        while len(_cache) > MAX_CACHED_ASSISTANTS:
            _cache.popitem(last=False)
    return snap


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
    if kinds is not None:
        unknown = set(kinds) - KINDS
        if unknown:
            raise ValueError(f"unknown kinds: {sorted(unknown)}")
    if not query.strip() or k <= 0:
        return []
    snap = await _snapshot(session, assistant_id)
    return _score(snap, query, k, kinds)
