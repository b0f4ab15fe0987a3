"""Every filter field and operator against a known customer book, on the backend under test
(SQLite and PostgreSQL), through the one query other domains use."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.db.engine import Database
from repdesk.segments import service
from tests.factories import create_account, create_assistant
from tests.segments.factories import NOW, seed_book

Case = tuple[dict[str, Any], set[str]]


def c(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def ngn(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "NGN"}


DATES: list[Case] = [
    (c("lastMessageAt", "before", {"ago": {"days": 14}}), {"bola"}),
    (c("lastMessageAt", "after", {"ago": {"hours": 2}}), {"ada"}),
    (c("lastMessageAt", "within", {"days": 2}), {"ada", "dayo"}),
    (c("lastMessageAt", "within", {"weeks": 3}), {"ada", "bola", "dayo"}),
    (c("lastMessageAt", "is_not_set"), {"chidi"}),
    (c("lastMessageAt", "is_set"), {"ada", "bola", "dayo"}),
    (c("lastMessageAt", "before", "2026-05-20"), {"bola"}),
    (c("lastMessageAt", "after", "2026-05-31T10:00:00Z"), {"ada", "dayo"}),
    (
        c("lastMessageAt", "between", [{"ago": {"days": 30}}, {"ago": {"days": 1}}]),
        {"bola", "dayo"},
    ),
    (c("lastMessageAt", "between", ["2026-06-01", "2026-05-01"]), {"bola", "dayo"}),  # any order
    (c("lastContactedAt", "within", {"days": 1}), {"ada"}),
    (c("lastContactedAt", "is_not_set"), {"chidi", "dayo"}),
    (c("firstSeenAt", "within", {"days": 31}), {"bola", "chidi"}),
    (c("firstSeenAt", "before", {"ago": {"days": 90}}), {"ada"}),
    (c("lastOrderAt", "before", {"ago": {"days": 180}}), {"bola"}),
    (c("lastOrderAt", "within", {"days": 7}), {"dayo"}),
    (c("lastOrderAt", "is_not_set"), {"chidi"}),
]
NUMBERS: list[Case] = [
    (c("engagementScore", "gt", 50), {"ada"}),
    (c("engagementScore", "gte", 50), {"ada", "dayo"}),
    (c("engagementScore", "gt", 49.5), {"ada", "dayo"}),  # a fraction against an integer
    (c("interactionCount", "in", [12.0, 5.5]), {"dayo"}),
    (c("engagementScore", "lt", 50), {"bola"}),
    (c("engagementScore", "lte", 50), {"bola", "dayo"}),
    (c("engagementScore", "eq", 20), {"bola"}),
    (c("engagementScore", "neq", 20), {"ada", "chidi", "dayo"}),  # unset counts as not 20
    (c("engagementScore", "between", [60, 10]), {"bola", "dayo"}),
    (c("engagementScore", "in", [90, 50]), {"ada", "dayo"}),
    (c("engagementScore", "is_not_set"), {"chidi"}),
    (c("engagementScore", "is_set"), {"ada", "bola", "dayo"}),
    (c("interactionCount", "gte", 12), {"ada", "dayo"}),
    (c("interactionCount", "eq", 0), {"chidi"}),
    (c("conversationsCount", "gt", 1), {"ada"}),
    (c("totalOrders", "gte", 2), {"ada", "dayo"}),
    (c("totalOrders", "eq", 0), {"chidi"}),
    (c("sentimentScore", "lt", 0), {"bola"}),
    (c("sentimentScore", "between", [-0.1, 0.9]), {"ada", "dayo"}),
]
MONEY: list[Case] = [
    (c("totalSpent", "gt", ngn(5_000_000)), {"ada"}),  # the seed's "spent over ₦50,000"
    (c("totalSpent", "gte", ngn(3_000_000)), {"ada", "dayo"}),
    (c("totalSpent", "lt", ngn(3_000_000)), {"bola", "chidi"}),
    (c("totalSpent", "lte", ngn(2_000_000)), {"bola", "chidi"}),
    (c("totalSpent", "eq", ngn(0)), {"chidi"}),
    (c("totalSpent", "neq", ngn(0)), {"ada", "bola", "dayo"}),
    (c("totalSpent", "between", [ngn(1_000_000), ngn(3_000_000)]), {"bola", "dayo"}),
    (c("totalPaid", "gt", ngn(0)), {"ada", "dayo"}),
    (c("totalPaid", "eq", ngn(0)), {"bola", "chidi"}),
    # average order value: ada 30,000, bola 20,000, dayo 15,000; chidi has none
    (c("averageOrderValue", "gt", ngn(1_500_000)), {"ada", "bola"}),
    (c("averageOrderValue", "gte", ngn(1_500_000)), {"ada", "bola", "dayo"}),
    (c("averageOrderValue", "lt", ngn(2_000_000)), {"dayo"}),
    (c("averageOrderValue", "lte", ngn(2_000_000)), {"bola", "dayo"}),
    (c("averageOrderValue", "eq", ngn(3_000_000)), {"ada"}),
    (c("averageOrderValue", "neq", ngn(3_000_000)), {"bola", "chidi", "dayo"}),
    (c("averageOrderValue", "between", [ngn(1_600_000), ngn(3_000_000)]), {"ada", "bola"}),
]
CHOICES: list[Case] = [
    (c("sentiment", "eq", "negative"), {"bola"}),
    (c("sentiment", "neq", "negative"), {"ada", "chidi", "dayo"}),
    (c("sentiment", "in", ["positive", "neutral"]), {"ada", "dayo"}),
    (c("sentiment", "is_not_set"), {"chidi"}),
    (c("sentiment", "is_set"), {"ada", "bola", "dayo"}),
    (c("purchaseBehaviour", "eq", "never"), {"chidi"}),
    (c("purchaseBehaviour", "eq", "lapsed"), {"bola"}),
    (c("purchaseBehaviour", "eq", "repeat"), {"ada", "dayo"}),
    (c("purchaseBehaviour", "in", ["one_time", "never"]), {"chidi"}),
    (c("purchaseBehaviour", "neq", "repeat"), {"bola", "chidi"}),
    (c("budgetRange", "eq", "high"), {"ada"}),
    (c("budgetRange", "in", ["low", "mid"]), {"bola", "dayo"}),
    (c("budgetRange", "is_not_set"), {"chidi"}),
    (c("channel", "eq", "widget"), {"chidi"}),
    (c("channel", "eq", "whatsapp"), {"ada", "bola", "dayo"}),
    (c("channel", "neq", "whatsapp"), {"chidi"}),
    (c("channel", "in", ["widget", "whatsapp"]), {"ada", "bola", "chidi", "dayo"}),
]
FLAGS: list[Case] = [
    (c("optedOut", "eq", True), {"bola"}),
    (c("optedOut", "eq", False), {"ada", "chidi", "dayo"}),
    (c("optedOut", "neq", True), {"ada", "chidi", "dayo"}),
    (c("windowOpen", "eq", True), {"ada"}),  # dayo wrote 25 hours ago
    (c("windowOpen", "eq", False), {"bola", "chidi", "dayo"}),
    (c("windowOpen", "neq", False), {"ada"}),
]
TAGS_AND_PRODUCTS: list[Case] = [
    (c("tags", "has", "vip"), {"ada"}),
    (c("tags", "not_has", "vip"), {"bola", "chidi", "dayo"}),
    (c("tags", "in", ["vip", "lagos"]), {"ada", "bola"}),
    (c("tags", "is_set"), {"ada", "bola"}),
    (c("tags", "is_not_set"), {"chidi", "dayo"}),
    # bola's dress order was cancelled and dayo's was a test: neither counts
    (c("orderedProduct", "has", "prod_dress"), {"ada"}),
    (c("orderedProduct", "not_has", "prod_dress"), {"bola", "chidi", "dayo"}),
    (c("orderedProduct", "in", ["prod_shoe", "prod_hat"]), {"bola", "dayo"}),
    (c("orderedProduct", "has", "prod_none"), set()),
]
TEXT: list[Case] = [
    (c("name", "eq", "Dayo"), {"dayo"}),
    (c("name", "neq", "Dayo"), {"ada", "bola", "chidi"}),
    (c("name", "contains", "OBI"), {"ada"}),
    (c("name", "contains", "100%_"), {"bola"}),  # LIKE wildcards are literal
    (c("name", "contains", "%"), {"bola"}),
    (c("name", "in", ["Dayo", "Ada Obi"]), {"ada", "dayo"}),
    (c("name", "is_not_set"), {"chidi"}),
    (c("email", "contains", "@shop.ng"), {"ada"}),
    (c("email", "is_set"), {"ada", "bola"}),
    (c("phone", "eq", "+2348010000002"), {"bola"}),
    (c("phone", "is_not_set"), {"chidi"}),
    (c("language", "in", ["yo", "ha"]), {"dayo"}),
]
ATTRIBUTES: list[Case] = [
    (c("attributes.city", "eq", "Lagos"), {"ada"}),
    (c("attributes.city", "neq", "Lagos"), {"bola", "chidi", "dayo"}),
    (c("attributes.city", "contains", "BUJ"), {"bola"}),
    (c("attributes.city", "in", ["Lagos", "Abuja"]), {"ada", "bola"}),
    (c("attributes.city", "is_set"), {"ada", "bola"}),  # JSON null is not set
    (c("attributes.city", "is_not_set"), {"chidi", "dayo"}),
    # bola's vipLevel is the text "gold": it never matches a number (and never errors)
    (c("attributes.vipLevel", "gt", 1), {"ada", "dayo"}),
    (c("attributes.vipLevel", "lte", 1.5), {"dayo"}),
    (c("attributes.vipLevel", "between", [1, 2]), {"dayo"}),
    (c("attributes.vipLevel", "in", [3, 9]), {"ada"}),
    (c("attributes.vipLevel", "eq", "gold"), {"bola"}),
    (c("attributes.newsletter", "eq", True), {"ada"}),
    (c("attributes.newsletter", "eq", False), {"bola"}),
    (c("attributes.newsletter", "neq", True), {"bola", "chidi", "dayo"}),
    (c("attributes.birthday", "before", "2000-01-01"), {"ada"}),
    (c("attributes.birthday", "after", "2000-01-01"), {"bola"}),
    (c("attributes.birthday", "between", ["1990-05-01", "1990-05-01"]), {"ada"}),
    (c("attributes.birthday", "within", {"days": 9000}), {"bola"}),
    (c("attributes.missing", "is_not_set"), {"ada", "bola", "chidi", "dayo"}),
]
GROUPS: list[Case] = [
    ({"all": []}, {"ada", "bola", "chidi", "dayo"}),
    (
        {"any": [c("tags", "has", "vip"), c("purchaseBehaviour", "eq", "lapsed")]},
        {"ada", "bola"},
    ),
]


@pytest.fixture
async def book(db: Database) -> tuple[Assistant, dict[str, str]]:
    _u, ws = await create_account(db)
    assistant = await create_assistant(db, workspace_id=ws.id)
    _u2, ws2 = await create_account(db, email="other@shop.test")
    other = await create_assistant(db, workspace_id=ws2.id)
    return assistant, await seed_book(db, assistant, other)


async def _matches(db: Database, assistant: Assistant, flt: dict[str, Any]) -> set[str]:
    async with db.session() as s:
        ids = await service.matching_contacts_query(s, assistant.id, flt, now=NOW)
        rows = await s.execute(select(Contact.name, Contact.visitor_id).where(Contact.id.in_(ids)))
        return {(name or visitor or "").split()[0].lower() for name, visitor in rows}


async def _check(db: Database, book: tuple[Assistant, dict[str, str]], cases: list[Case]) -> None:
    assistant, _ids = book
    wrong = []
    for cond, expected in cases:
        flt = cond if "all" in cond else {"all": [cond]}
        got = {"v0001": "chidi"}
        found = {got.get(n, n) for n in await _matches(db, assistant, flt)}
        if found != expected:
            wrong.append((cond, sorted(found), sorted(expected)))
    assert wrong == []


async def test_date_fields_and_relative_dates(db: Database, book: Any) -> None:
    await _check(db, book, DATES)


async def test_number_fields(db: Database, book: Any) -> None:
    await _check(db, book, NUMBERS)


async def test_money_fields_including_average_order_value(db: Database, book: Any) -> None:
    await _check(db, book, MONEY)


async def test_choice_fields_purchase_behaviour_budget_and_channel(db: Database, book: Any) -> None:
    await _check(db, book, CHOICES)


async def test_opted_out_and_window_open(db: Database, book: Any) -> None:
    await _check(db, book, FLAGS)


async def test_tags_and_ordered_products(db: Database, book: Any) -> None:
    await _check(db, book, TAGS_AND_PRODUCTS)


async def test_text_fields(db: Database, book: Any) -> None:
    await _check(db, book, TEXT)


async def test_custom_attributes_typed_by_their_value(db: Database, book: Any) -> None:
    await _check(db, book, ATTRIBUTES)


async def test_and_across_items_and_or_within_a_group(db: Database, book: Any) -> None:
    await _check(db, book, GROUPS)
    both = {
        "all": [
            c("optedOut", "eq", False),
            {"any": [c("tags", "has", "vip"), c("purchaseBehaviour", "eq", "lapsed")]},
        ]
    }
    await _check(db, book, [(both, {"ada"})])
