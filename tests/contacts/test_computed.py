"""Computed attributes: formulas, kept current by events (inbound, orders), derived at query
time (purchase behaviour as days pass), refreshed as recency fades."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from repdesk.assistants.models import Assistant
from repdesk.catalog import service as catalog
from repdesk.contacts import computed, consumers, query
from repdesk.contacts.models import Contact
from repdesk.contacts.sentiment import score_text
from repdesk.db.engine import Database
from repdesk.kit.time import utcnow
from repdesk.orders import service as orders
from tests.contacts.helpers import contact, inbound


def test_sentiment_lexicon_reads_english_pidgin_emoji_and_negation() -> None:
    assert score_text("Thank you, the shoes are lovely") == 1.0
    assert score_text("This thing e no good, I dey vex") == -1.0
    assert score_text("😍🔥") == 1.0 and score_text("👎") == -1.0
    assert score_text("not good") == -1.0 and score_text("no problem") == 1.0
    assert score_text("How much is delivery to Ikeja?") is None
    assert score_text("e choke! but delivery was late") == 0.0


def test_engagement_formula() -> None:
    now = utcnow()
    assert (
        computed.engagement(
            last_message_at=now, message_count=20, prompts_count=4, replies_count=4, now=now
        )
        == 100
    )
    assert computed.engagement(
        last_message_at=now - timedelta(days=15),
        message_count=10,
        prompts_count=4,
        replies_count=1,
        now=now,
    ) == round(40 * 0.5 + 30 * 0.5 + 30 * 0.25)
    assert (
        computed.engagement(
            last_message_at=None, message_count=0, prompts_count=3, replies_count=0, now=now
        )
        == 0
    )
    assert computed.sentiment_label(computed.next_sentiment(1.0, -1.0)) == "positive"  # 0.4
    assert computed.next_sentiment(0.4, -1.0) == -0.02


async def test_inbound_messages_update_counters_sentiment_and_reply_rate(
    db: Database, assistant: Assistant
) -> None:
    cid = await inbound(db, assistant.id, phone="+2348030000001", text="I love am 😍")
    first = await contact(db, cid)
    assert first.message_count == 1 and first.conversations_count == 1
    assert first.sentiment == "positive" and first.sentiment_score == 1.0
    # 40 x recency (a hair under 1 a moment later) + 30 x 1/20 = 41.5 - epsilon
    assert first.engagement_score == 41
    async with db.transaction() as session:  # as if we had written to them
        await session.execute(
            update(Contact).where(Contact.id == cid).values(awaiting_reply=True, prompts_count=1)
        )
    await inbound(db, assistant.id, phone="+2348030000001", text="where is my order?")
    later = await contact(db, cid)
    assert later.message_count == 2 and later.replies_count == 1 and not later.awaiting_reply
    assert later.sentiment_score == 1.0  # a message without sentiment leaves it
    assert later.engagement_score == round(40 + 30 * 2 / 20 + 30)


async def test_orders_set_totals_budget_and_purchase_behaviour(
    db: Database, assistant: Assistant
) -> None:
    cid = await inbound(db, assistant.id, phone="+2348030000002")
    async with db.transaction() as session:
        for price in (1000, 5000, 9000, 20000, 50000, 90000):
            await catalog.create_product(
                session, assistant_id=assistant.id, name=f"p{price}", price=price
            )
    made = []
    for price in (60000, 90000):
        async with db.transaction() as session:
            a = await session.get(Assistant, assistant.id)
            assert a is not None
            order = await orders.create(
                session,
                assistant=a,
                new=orders.NewOrder(
                    currency="NGN", items=[orders.LineItem(name="x", quantity=2, unit_price=price)]
                ),
                contact_id=cid,
            )
            made.append(order.id)
    c = await contact(db, cid)
    assert (c.orders_count, c.total_spent, c.total_paid) == (2, 300000, 0)
    assert c.budget_range == "high" and c.last_order_at is not None
    async with db.transaction() as session:
        order = await orders.get_for_workspace(
            session, workspace_id=assistant.workspace_id, order_id=made[1]
        )
        await orders.update(session, order, by="test", status="cancelled")
    async with db.transaction() as session:
        order = await orders.get_for_workspace(
            session, workspace_id=assistant.workspace_id, order_id=made[0]
        )
        await orders.update(session, order, by="test", payment_status="paid")
    c = await contact(db, cid)
    assert (c.orders_count, c.total_spent, c.total_paid) == (1, 120000, 120000)

    async def behaviour(days_later: int) -> list[str]:
        now = utcnow() + timedelta(days=days_later)
        async with db.transaction() as session:
            expr = computed.purchase_behaviour(now=now, lapsed_days=90)
            return list(await session.scalars(select(expr).where(Contact.id == cid)))

    # The clock moves; nothing is written, and the contact becomes lapsed.
    assert await behaviour(0) == ["one_time"]
    assert await behaviour(91) == ["lapsed"]
    async with db.transaction() as session:
        lapsed = query.ids_query(
            assistant.id,
            query.ContactFilter(purchase_behaviour="lapsed"),
            lapsed_days=90,
            now=utcnow() + timedelta(days=91),
        )
        assert list(await session.scalars(lapsed)) == [cid]
        aov = await session.scalar(select(computed.average_order_value()).where(Contact.id == cid))
        assert aov == 120000


async def test_refresh_lowers_engagement_as_recency_fades(
    db: Database, assistant: Assistant
) -> None:
    cid = await inbound(db, assistant.id, phone="+2348030000003")
    async with db.transaction() as session:
        await session.execute(
            update(Contact)
            .where(Contact.id == cid)
            .values(last_message_at=utcnow() - timedelta(days=15))
        )
    async with db.transaction() as session:
        await consumers.refresh_engagement(session)
    # 40 x 0.5 (a hair less: the refresh runs a moment later) + 30 x 1/20
    assert (await contact(db, cid)).engagement_score == 21
