"""The computed attributes of a contact: their formulas, in one place.

Stored columns are kept current incrementally by the event consumers in
``repdesk.contacts.consumers`` (each event adds to the counters; nothing rescans a contact's
messages). Attributes that depend on the clock are derived at query time from stored columns:
``purchase_behaviour`` and ``average_order_value`` here return SQLAlchemy expressions that the
contact list, exports and segments use, so there is one definition of each. The dashboard's help
page (``contacts/help.html``) states the same formulas.

- last message date = the time of the contact's last inbound message; last contacted = of the
  last outbound message the channel accepted; first seen = when the contact was created.
- interaction count (``message_count``) = inbound messages; conversations count = times a
  conversation with the contact was opened (new, or reopened by a message after it was closed).
- orders count, total spent, last order date = over the contact's orders that are not cancelled
  (test orders excluded), in the assistant's currency; total paid = the same over paid orders;
  average order value = total spent / orders count.
- purchase behaviour: ``never`` (no order), ``lapsed`` (last order more than N days ago, N per
  assistant, default 90), ``one_time`` (one order), ``repeat`` (two or more).
- budget range: the mean unit price of the items the contact ordered, against the terciles of
  the assistant's product prices: below the first tercile ``low``, above the second ``high``,
  else ``mid``.
- sentiment: an exponentially weighted mean of the scores of the contact's inbound messages
  that carry sentiment (``repdesk.contacts.sentiment``), the newest weighing 0.3:
  ``score = 0.7 * score + 0.3 * message``; positive at or above 0.2, negative at or below -0.2.
- engagement score 0-100 = round(40 * recency + 30 * frequency + 30 * reply rate), where
  recency = max(0, 1 - days since the last inbound message / 30), frequency =
  min(1, inbound messages / 20), reply rate = replies / prompts (0 with no prompt): a prompt is
  our first outbound message since the customer last wrote, a reply their first message after
  one. Recency decays with time: ``contacts.refresh_engagement`` recomputes it hourly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast
from sqlalchemy.sql.elements import ColumnElement

from repdesk.contacts.models import Contact
from repdesk.kit.time import ensure_utc

SENTIMENT_WEIGHT = 0.3
SENTIMENT_THRESHOLD = 0.2
RECENCY_DAYS = 30
FREQUENCY_FULL = 20
DEFAULT_LAPSED_DAYS = 90
PURCHASE_BEHAVIOURS = ("never", "one_time", "repeat", "lapsed")
BUDGET_RANGES = ("low", "mid", "high")
SENTIMENTS = ("positive", "neutral", "negative")


def next_sentiment(previous: float | None, message_score: float) -> float:
    if previous is None:
        return round(message_score, 4)
    return round((1 - SENTIMENT_WEIGHT) * previous + SENTIMENT_WEIGHT * message_score, 4)


def sentiment_label(score: float | None) -> str | None:
    if score is None:
        return None
    if score >= SENTIMENT_THRESHOLD:
        return "positive"
    if score <= -SENTIMENT_THRESHOLD:
        return "negative"
    return "neutral"


def reply_rate(prompts: int, replies: int) -> float:
    return min(1.0, replies / prompts) if prompts > 0 else 0.0


def engagement(
    *,
    last_message_at: datetime | None,
    message_count: int,
    prompts_count: int,
    replies_count: int,
    now: datetime,
) -> int:
    if last_message_at is None:
        recency = 0.0
    else:
        age_days = (now - ensure_utc(last_message_at)).total_seconds() / 86400
        recency = max(0.0, min(1.0, 1 - age_days / RECENCY_DAYS))
    frequency = min(1.0, (message_count or 0) / FREQUENCY_FULL)
    rate = reply_rate(prompts_count or 0, replies_count or 0)
    return round(40 * recency + 30 * frequency + 30 * rate)


def engagement_of(contact: Contact, now: datetime) -> int:
    return engagement(
        last_message_at=contact.last_message_at,
        message_count=contact.message_count,
        prompts_count=contact.prompts_count,
        replies_count=contact.replies_count,
        now=now,
    )


def lapsed_days_of(settings: dict[str, Any] | None) -> int:
    """N of "lapsed": the assistant's ``settings["contacts"]["lapsedDays"]`` or 90."""
    value = ((settings or {}).get("contacts") or {}).get("lapsedDays")
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_LAPSED_DAYS


def purchase_behaviour(*, now: datetime, lapsed_days: int) -> ColumnElement[str]:
    """``never`` | ``one_time`` | ``repeat`` | ``lapsed`` of each contact, evaluated at ``now``
    (so a contact becomes lapsed as days pass, with no write)."""
    cutoff = now - timedelta(days=lapsed_days)
    return case(
        (Contact.orders_count <= 0, "never"),
        (Contact.last_order_at < cutoff, "lapsed"),
        (Contact.orders_count == 1, "one_time"),
        else_="repeat",
    )


def purchase_behaviour_of(
    orders_count: int, last_order_at: datetime | None, *, now: datetime, lapsed_days: int
) -> str:
    """The same as :func:`purchase_behaviour`, for one loaded contact."""
    if orders_count <= 0:
        return "never"
    if last_order_at is not None and ensure_utc(last_order_at) < now - timedelta(days=lapsed_days):
        return "lapsed"
    return "one_time" if orders_count == 1 else "repeat"


def average_order_value() -> ColumnElement[int | None]:
    """Total spent / orders count in minor units (integer division), NULL without orders."""
    return case(
        (Contact.orders_count > 0, cast(Contact.total_spent / Contact.orders_count, Integer)),
        else_=None,
    )


def average_order_value_of(contact: Contact) -> int | None:
    return contact.total_spent // contact.orders_count if contact.orders_count > 0 else None


def budget_range(mean_price: float, terciles: tuple[int, int] | None) -> str | None:
    if terciles is None:
        return None
    low, high = terciles
    if mean_price < low:
        return "low"
    if mean_price > high:
        return "high"
    return "mid"
