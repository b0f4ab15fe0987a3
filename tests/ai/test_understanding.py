"""The built-in engine answers by meaning (embeddings), in English, Pidgin and texting
spellings; it says what it does not sell and hands off what it does not know."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from repdesk.ai.engine.base import DeliveryOption, EngineContext, Fact, Product
from repdesk.ai.engine.builtin import BuiltinEngine, days_named, model_tokens
from repdesk.ai.engine.catalog_match import CatalogIndex
from repdesk.ai.engine.normalise import to_english
from repdesk.ai.memory_source import MemorySource
from repdesk.knowledge import embeddings
from repdesk.knowledge.chunking import units

KNOWLEDGE = {
    "About us": "Crumbs is a bakery at 23 Adeniran Ogunsanya Street, Surulere, Lagos. "
    "Call or WhatsApp 0812 345 6789.",
    "Opening hours": "Monday to Friday: 8am - 7pm\nSaturday: 9am - 8pm\nSunday: 12pm - 5pm",
    "Payment": "We accept bank transfer to GTBank and POS when you pick up.",
}
PRODUCTS = [
    Product("p1", "Red Velvet Cake", "", 1800000, "NGN"),
    Product("p2", "Banana Bread Loaf", "", 350000, "NGN"),
    Product("p3", "Samsung Galaxy A54", "", 40000000, "NGN"),
]
DELIVERY = [DeliveryOption("Lekki, VI, Ikoyi", "delivery", 350000, ("lekki", "ikoyi"))]


def _source() -> MemorySource:
    facts = [
        Fact("knowledge", f"k{i}:{j}", title, u.text, 0.0, f"k{i}", {"context": u.context})
        for i, (title, text) in enumerate(KNOWLEDGE.items())
        for j, u in enumerate(units(text))
    ]
    facts += [Fact("product", p.id, p.name, p.name, 0.0, p.id) for p in PRODUCTS]
    return MemorySource(facts, PRODUCTS)


async def _ask(text: str) -> tuple[str, bool]:
    ctx = EngineContext("Crumbs", "widget", text, _source(), delivery=DELIVERY)
    result = await BuiltinEngine().respond(ctx)
    return " ".join(result.replies), result.escalated


def test_texting_and_pidgin_are_rewritten_before_matching() -> None:
    assert to_english("hw much be d cake") == "how much is the cake"
    assert to_english("wetin be una address") == "what is your address"
    assert to_english("una dey open sunday?") == "are you open sunday?"


def test_numbers_are_what_they_are() -> None:
    assert model_tokens("can I get 20% off if I buy 4 of them") == set()
    assert model_tokens("how much is the A54?") == {"a54"}
    index = CatalogIndex(PRODUCTS)
    assert index.match("how much is the samsung a55") == []
    assert [m.product.id for m in index.match("price of the a54")] == ["p3"]
    assert index.match("Do you sell gluten-free bread?") == []
    assert days_named("Mon - Sat") == {
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    }


needs_model = pytest.mark.skipif(not embeddings.available(), reason="embedding model absent")


@pytest.fixture(autouse=True)
def _with_embeddings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests are about meaning: the embedding model on (tests/ai turns it off)."""
    from repdesk.knowledge.config import get_knowledge_settings

    monkeypatch.setenv("REPDESK_EMBEDDINGS", "auto")
    get_knowledge_settings.cache_clear()
    yield
    get_knowledge_settings.cache_clear()


@needs_model
@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("what time do you people start on Sundays?", "12pm"),
        ("wetin be una address", "Adeniran Ogunsanya"),
        ("which bank should I send the money to?", "GTBank"),
        ("how much to bring it to my house in Ikoyi?", "₦3,500"),
        ("pls wat tym una dey close on satday", "8pm"),
    ],
)
async def test_paraphrases_and_pidgin_find_the_line_that_answers(
    question: str, wanted: str
) -> None:
    reply, escalated = await _ask(question)
    assert wanted in reply and not escalated, reply
    assert "Monday to Friday" not in reply or "Monday" in question  # the line, not the list


@needs_model
async def test_not_sold_is_said_and_unknown_is_handed_off() -> None:
    reply, escalated = await _ask("Do you sell pizza?")
    assert "don't sell" in reply and escalated
    reply, escalated = await _ask("Is your kitchen NAFDAC registered?")
    assert escalated and "₦" not in reply
