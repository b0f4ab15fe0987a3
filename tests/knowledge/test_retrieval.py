from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from repdesk.assistants.models import Assistant
from repdesk.catalog import service as catalog
from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.knowledge import embeddings, retrieval
from repdesk.knowledge import service as knowledge
from repdesk.knowledge.models import IndexChunk, KnowledgeIndex

needs_model = pytest.mark.skipif(not embeddings.available(), reason="embedding model not installed")


async def _teach(db: Database, assistant_id: str) -> None:
    async with db.transaction() as s:
        await knowledge.create_text(
            s,
            assistant_id=assistant_id,
            title="About us",
            content="Ada's Shop sells handmade Ankara dresses and leather sandals in Lekki, Lagos.",
        )
        await knowledge.create_text(
            s,
            assistant_id=assistant_id,
            title="Delivery",
            content="We deliver within Lagos in 1-2 days for ₦2,000. Outside Lagos takes 3-5 days.",
        )
        await knowledge.create_faq(
            s,
            assistant_id=assistant_id,
            question="When are you open?",
            answer="Monday to Saturday, 9am to 6pm.",
            category="hours",
        )
        await knowledge.create_faq(
            s,
            assistant_id=assistant_id,
            question="Do you accept bank transfer?",
            answer="Yes, bank transfer and card payments.",
        )
        await catalog.create_product(
            s,
            assistant_id=assistant_id,
            name="Ankara Maxi Dress",
            price=2500000,
            currency="NGN",
            description="Floor-length dress in bold Ankara print.",
            variants=[catalog.VariantData("Small"), catalog.VariantData("Large", 2700000, False)],
        )


@needs_model
def test_paraphrases_are_closer_than_unrelated_sentences() -> None:
    enc = embeddings.get_encoder()
    assert enc is not None
    v = enc.encode(["How much is shipping?", "What does delivery cost?", "I like football"])
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert float(v[0] @ v[1]) > 0.5 > float(v[0] @ v[2])
    # Padding in a batch does not change a sentence's vector.
    alone = enc.encode(["How much is shipping?"])[0]
    assert float(alone @ v[0]) > 0.9999


async def test_search_finds_each_kind_and_policies_come_first(
    db: Database, assistant: Assistant
) -> None:
    await _teach(db, assistant.id)
    async with db.session() as s:
        hits = await retrieval.search(s, assistant_id=assistant.id, query="what time do you open")
        assert hits[0].kind == "policy"
        assert "9am" in hits[0].text
        assert 0 < hits[0].score <= 1
        products = await retrieval.search(
            s, assistant_id=assistant.id, query="ankara dress", kinds={"product"}
        )
        assert [h.kind for h in products] == ["product"]
        assert products[0].metadata["price"] == 2500000
        assert products[0].metadata["variants"][1] == {
            "id": products[0].metadata["variants"][1]["id"],
            "name": "Large",
            "price": 2700000,
            "available": False,
        }
        none = await retrieval.search(s, assistant_id=assistant.id, query="   ")
        assert none == []
        with pytest.raises(ValueError):
            await retrieval.search(s, assistant_id=assistant.id, query="x", kinds={"bogus"})


@needs_model
async def test_paraphrased_question_finds_the_fact_with_embeddings(
    db: Database, assistant: Assistant, worker: Worker
) -> None:
    await _teach(db, assistant.id)
    await worker.drain()
    async with db.session() as s:
        state = await s.get(KnowledgeIndex, assistant.id)
        assert state is not None and state.status == "ready"
        assert state.indexed_version == state.version
        hits = await retrieval.search(
            s, assistant_id=assistant.id, query="how long until my parcel arrives in lagos?"
        )
        assert hits[0].title == "Delivery"
        assert hits[0].metadata["semantic"] > 0.3
        unrelated = await retrieval.search(
            s, assistant_id=assistant.id, query="who won the world cup"
        )
        assert not unrelated or unrelated[0].score < hits[0].score


async def test_reindex_keeps_unchanged_embeddings(
    db: Database, assistant: Assistant, worker: Worker
) -> None:
    await _teach(db, assistant.id)
    await worker.drain()
    async with db.session() as s:
        rows = (await s.execute(select(IndexChunk.title, IndexChunk.embedding))).all()
        before = dict(rows)
        items, _, _ = await knowledge.list_items(s, assistant_id=assistant.id)
        about = next(i for i in items if i.title == "About us")
    async with db.transaction() as s:
        item = await knowledge.get_item_or_404(s, assistant_id=assistant.id, item_id=about.id)
        await knowledge.update_item(s, item, title="About Ada's Shop")
    async with db.session() as s:
        rows = (await s.execute(select(IndexChunk.title, IndexChunk.embedding))).all()
        after = dict(rows)
    # The delivery chunk kept its cached vector; the renamed one must be recomputed.
    if embeddings.available():
        assert after["Delivery"] == before["Delivery"] and after["Delivery"] is not None
        assert after["About Ada's Shop"] is None
    assert "About us" not in after


async def test_bm25_only_when_embeddings_are_off(
    db: Database, assistant: Assistant, worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPDESK_EMBEDDINGS", "off")
    from repdesk.knowledge.config import get_knowledge_settings

    get_knowledge_settings.cache_clear()
    try:
        assert not retrieval.embeddings_enabled()
        await _teach(db, assistant.id)
        await worker.drain()
        async with db.session() as s:
            hits = await retrieval.search(s, assistant_id=assistant.id, query="delivery to Lagos")
            assert hits[0].title == "Delivery"
            assert "semantic" not in hits[0].metadata
            stored = (await s.scalars(select(IndexChunk.embedding))).all()
            assert stored and all(e is None for e in stored)
    finally:
        monkeypatch.delenv("REPDESK_EMBEDDINGS")
        get_knowledge_settings.cache_clear()
