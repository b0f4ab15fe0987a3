"""Retrieval quality on paraphrased shop questions (what customers actually write): the
weighted fusion of BM25 and embeddings must find the right fact first far more often than
BM25 alone. The set is small and versioned beside this test (paraphrases.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repdesk.assistants.models import Assistant
from repdesk.db.engine import Database
from repdesk.knowledge import embeddings, retrieval
from repdesk.knowledge import service as knowledge
from repdesk.knowledge.config import get_knowledge_settings
from repdesk.knowledge.tasks import reindex_now

DATA = json.loads((Path(__file__).parent / "paraphrases.json").read_text(encoding="utf-8"))


async def _top1_accuracy(db: Database, assistant_id: str, ids: dict[str, str]) -> float:
    right = 0
    async with db.session() as s:
        for question, fact in DATA["questions"]:
            hits = await retrieval.search(s, assistant_id=assistant_id, query=question, k=1)
            right += bool(hits) and hits[0].source_id == ids[fact]
    return right / len(DATA["questions"])


@pytest.mark.skipif(not embeddings.available(), reason="embedding model not installed")
async def test_hybrid_retrieval_beats_bm25_on_paraphrases(
    db: Database, assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids: dict[str, str] = {}
    async with db.transaction() as s:
        for key, text in DATA["facts"].items():
            item = await knowledge.create_text(s, assistant_id=assistant.id, title="", content=text)
            ids[key] = item.id
    async with db.session() as s:
        await reindex_now(s, assistant.id)
        await s.commit()

    hybrid = await _top1_accuracy(db, assistant.id, ids)
    monkeypatch.setenv("REPDESK_EMBEDDINGS", "off")
    get_knowledge_settings.cache_clear()
    try:
        bm25 = await _top1_accuracy(db, assistant.id, ids)
    finally:
        monkeypatch.delenv("REPDESK_EMBEDDINGS")
        get_knowledge_settings.cache_clear()
    print(f"top-1 on {len(DATA['questions'])} paraphrases: hybrid {hybrid:.0%}, bm25 {bm25:.0%}")
    # Measured 2026-11-22: hybrid 76% (the same as embeddings alone), BM25 36%.
    assert hybrid >= 0.72
    assert hybrid >= bm25 + 0.25
