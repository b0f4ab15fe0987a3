"""A small customer book with known attributes: every filter test reads the same four people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact, ContactTag
from repdesk.db.engine import Database
from repdesk.orders.models import Order

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


def contact(assistant_id: str, name: str, **columns: Any) -> Contact:
    return Contact(assistant_id=assistant_id, name=name, **columns)


def order(assistant_id: str, contact_id: str, number: int, **columns: Any) -> Order:
    items = [{"productId": p, "name": p, "quantity": 1} for p in columns.pop("products", [])]
    return Order(
        assistant_id=assistant_id,
        contact_id=contact_id,
        number=number,
        currency="NGN",
        items=items,
        total=columns.pop("total", 100_000),
        **columns,
    )


async def seed_book(db: Database, assistant: Assistant, other: Assistant) -> dict[str, str]:
    """ada, bola, chidi, dayo on ``assistant``; eve (who matches everything) on ``other``."""
    a = assistant.id
    people = {
        "ada": contact(
            a, "Ada Obi", phone="+2348010000001", email="ada@shop.ng", language="en",
            last_message_at=ago(hours=1), last_contacted_at=ago(hours=2),
            created_at=ago(days=100), message_count=40, conversations_count=2,
            orders_count=3, total_spent=9_000_000, total_paid=6_000_000,
            last_order_at=ago(days=10), budget_range="high", sentiment="positive",
            sentiment_score=0.8, engagement_score=90, opted_out=False,
            attributes={"city": "Lagos", "vipLevel": 3, "newsletter": True,
                        "birthday": "1990-05-01"},
        ),
        "bola": contact(
            a, "Bola 100%_x", phone="+2348010000002", email="bola@mail.com",
            last_message_at=ago(days=20), last_contacted_at=ago(days=19),
            created_at=ago(days=30), message_count=5, conversations_count=1,
            orders_count=1, total_spent=2_000_000, total_paid=0,
            last_order_at=ago(days=200), budget_range="low", sentiment="negative",
            sentiment_score=-0.6, engagement_score=20, opted_out=True,
            attributes={"city": "Abuja", "vipLevel": "gold", "newsletter": False,
                        "birthday": "2001-12-24T08:00:00Z"},
        ),
        "chidi": contact(
            a, None, visitor_id="v0001", created_at=ago(days=1), message_count=0,
            attributes={},
        ),
        "dayo": contact(
            a, "Dayo", phone="+2348010000004", language="yo",
            last_message_at=ago(hours=25), created_at=ago(days=60), message_count=12,
            conversations_count=1, orders_count=2, total_spent=3_000_000,
            total_paid=3_000_000, last_order_at=ago(days=5), budget_range="mid",
            sentiment="neutral", sentiment_score=0.0, engagement_score=50,
            attributes={"city": None, "vipLevel": 1.5},
        ),
    }  # fmt: skip
    eve = contact(
        other.id, "Eve", phone="+2348010000005", last_message_at=ago(days=30),
        created_at=ago(days=300), orders_count=9, total_spent=90_000_000,
        last_order_at=ago(days=1), engagement_score=99, opted_out=False,
        attributes={"city": "Lagos", "vipLevel": 9},
    )  # fmt: skip
    async with db.transaction() as s:
        s.add_all([*people.values(), eve])
        await s.flush()
        ids = {k: c.id for k, c in people.items()}
        tags = [("ada", "vip"), ("ada", "lagos"), ("bola", "lagos")]
        s.add_all(ContactTag(contact_id=ids[k], tag=t, assistant_id=a) for k, t in tags)
        s.add(ContactTag(contact_id=eve.id, tag="vip", assistant_id=other.id))
        s.add_all(
            [
                order(a, ids["ada"], 1, products=["prod_dress", "prod_bag"]),
                order(a, ids["bola"], 2, products=["prod_shoe"]),
                order(a, ids["bola"], 3, products=["prod_dress"], status="cancelled"),
                order(a, ids["dayo"], 4, products=["prod_dress"], test=True),
                order(a, ids["dayo"], 5, products=["prod_hat"]),
                order(other.id, eve.id, 1, products=["prod_dress", "prod_shoe", "prod_hat"]),
            ]
        )
    return ids
