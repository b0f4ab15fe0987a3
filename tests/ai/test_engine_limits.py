"""What the built-in engine must not answer, and the caches that keep a reply fast without
going stale."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from repdesk.ai.engine import facts
from repdesk.ai.engine.base import EngineContext, Fact, Product
from repdesk.ai.engine.builtin import BuiltinEngine
from repdesk.ai.memory_source import MemorySource
from repdesk.ai.service import DbSource
from repdesk.catalog import service as catalog
from repdesk.db.engine import Database
from repdesk.knowledge import embeddings
from repdesk.knowledge.chunking import units
from tests.factories import create_assistant, signed_in

PAYMENT = "We accept bank transfer to GTBank and POS when you pick up."


def _line(text: str, semantic: float) -> Fact:
    return Fact("knowledge", text[:20], "Repair prices", text, 0.5, "k1", {"semantic": semantic})


def test_a_line_about_another_model_is_no_answer() -> None:
    question = "how much is a samsung s23 ultra screen replacement?"
    topics = [("price", 0.5)]
    other = _line("Samsung A14 screen replacement: N28,000", 0.65)
    assert facts.best_facts(question, [other], topics) == ([], 0.0)
    same = _line("Samsung S23 Ultra screen replacement: N95,000", 0.65)
    found, score = facts.best_facts(question, [other, same], topics)
    assert found == [same] and score > facts.ANSWER_SCORE


@pytest.fixture
def _with_embeddings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from repdesk.knowledge.config import get_knowledge_settings

    monkeypatch.setenv("REPDESK_EMBEDDINGS", "auto")
    get_knowledge_settings.cache_clear()
    yield
    get_knowledge_settings.cache_clear()


@pytest.mark.skipif(not embeddings.available(), reason="embedding model absent")
@pytest.mark.usefixtures("_with_embeddings")
async def test_a_short_question_about_what_the_data_never_mentions_is_handed_off() -> None:
    lines = [
        Fact("knowledge", f"k0:{j}", "Payment", u.text, 0.0, "k0", {"context": u.context})
        for j, u in enumerate(units(PAYMENT))
    ]
    source = MemorySource(lines, [Product("p1", "Banana Bread Loaf", "", 350000, "NGN")])

    async def ask(text: str) -> tuple[str, bool]:
        result = await BuiltinEngine().respond(EngineContext("Crumbs", "widget", text, source))
        return " ".join(result.replies), result.escalated

    reply, escalated = await ask("Can I pay with bitcoin?")
    assert escalated and "GTBank" not in reply, reply
    reply, escalated = await ask("Can I pay by bank transfer?")
    assert "GTBank" in reply and not escalated, reply


async def test_the_catalog_cache_follows_every_product_change(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    async with db.transaction() as session:
        product = await catalog.create_product(
            session, assistant_id=assistant.id, name="Meat Pie", price=50000
        )
    async with db.session() as session:
        first = await DbSource(session, assistant.id).products()
    async with db.session() as session:
        assert await DbSource(session, assistant.id).products() is first  # read once
    async with db.transaction() as session:
        row = await catalog.get_product(session, assistant_id=assistant.id, product_id=product.id)
        assert row is not None
        await catalog.update_product(session, row, price=60000)
    async with db.session() as session:
        source = DbSource(session, assistant.id)
        assert [p.price for p in await source.products()] == [60000]
        assert "meat" in await source.vocabulary()
