"""An OpenAI-compatible embedding provider over HTTP (``REPDESK_EMBEDDINGS=http``), against a
real local server speaking that protocol."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.knowledge.config import get_knowledge_settings
from repdesk.knowledge.models import IndexChunk
from tests.fakes.embeddings import FakeEmbeddings


@pytest.fixture
def http_embeddings(
    embedding_server: FakeEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeEmbeddings]:
    monkeypatch.setenv("REPDESK_EMBEDDINGS", "http")
    monkeypatch.setenv("REPDESK_EMBEDDINGS_BASE_URL", embedding_server.url)
    monkeypatch.setenv("REPDESK_EMBEDDINGS_API_KEY", "sk-test-embed")
    monkeypatch.setenv("REPDESK_EMBEDDINGS_MODEL", "fake-embed")
    monkeypatch.setenv("REPDESK_KNOWLEDGE_INLINE_EMBED_LIMIT", "0")
    get_knowledge_settings.cache_clear()
    yield embedding_server
    get_knowledge_settings.cache_clear()


async def test_chunks_and_queries_are_embedded_by_the_provider(
    client: httpx.AsyncClient,
    assistant_id: str,
    db: Database,
    worker: Worker,
    http_embeddings: FakeEmbeddings,
) -> None:
    k = f"/api/assistants/{assistant_id}/knowledge"
    await client.post(
        k, json={"type": "text", "title": "Delivery", "content": "Delivery takes 2 days."}
    )
    await client.post(
        k, json={"type": "text", "title": "Payment", "content": "We accept bank transfer."}
    )
    await worker.drain()
    async with db.session() as s:
        models = set((await s.scalars(select(IndexChunk.embedding_model))).all())
    assert models == {"http:fake-embed"}
    assert http_embeddings.requests[0]["model"] == "fake-embed"
    assert http_embeddings.auth[0] == "Bearer sk-test-embed"
    status = (await client.get(f"{k}/status")).json()
    assert status["retrieval"] == "hybrid" and status["embeddingModel"] == "http:fake-embed"
    assert status["embeddedChunks"] == 2

    # No shared word with the delivery text: only the provider's vectors can find it.
    before = len(http_embeddings.requests)
    hits = (await client.get(f"{k}/search", params={"q": "when will my parcel come"})).json()[
        "data"
    ]
    assert hits[0]["title"] == "Delivery" and hits[0]["metadata"]["lexical"] == 0
    assert hits[0]["metadata"]["semantic"] > 0.5
    assert http_embeddings.requests[before]["input"] == ["when will my parcel come"]


async def test_a_failing_provider_degrades_search_to_keywords_and_retries_indexing(
    client: httpx.AsyncClient,
    assistant_id: str,
    db: Database,
    worker: Worker,
    http_embeddings: FakeEmbeddings,
) -> None:
    k = f"/api/assistants/{assistant_id}/knowledge"
    http_embeddings.fail_with = 500
    await client.post(
        k, json={"type": "text", "title": "Delivery", "content": "Delivery takes 2 days."}
    )
    await worker.run_once()
    status = (await client.get(f"{k}/status")).json()
    assert status["status"] == "indexing" and status["embeddedChunks"] == 0  # job will retry
    hits = (await client.get(f"{k}/search", params={"q": "delivery days"})).json()["data"]
    assert hits and hits[0]["title"] == "Delivery" and "semantic" not in hits[0]["metadata"]

    http_embeddings.fail_with = 0
    from repdesk.knowledge.tasks import reindex_now

    async with db.session() as s:
        assert await reindex_now(s, assistant_id)
        await s.commit()
    status = (await client.get(f"{k}/status")).json()
    assert status["status"] == "ready" and status["embeddedChunks"] == 1
