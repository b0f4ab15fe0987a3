"""Evaluation v2's scoring: which amounts a reply may state (the business's data and its
arithmetic), whether a reply answers a question, and whether an order is the expected one."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Any

from repdesk.ai.eval import score
from repdesk.ai.eval.schema import Business, OrderCase, Question

# Allowed amounts -----------------------------------------------------------------------------


def _data_texts(b: Business) -> list[str]:
    texts = [f"{t.title}\n{t.content}" for t in b.knowledge]
    texts += [f"{f.question}\n{f.answer}" for f in b.faqs]
    texts += [d.content for d in b.documents]
    texts += [
        f"{p.name} {p.description} {' '.join(v.name for v in p.variants)}" for p in b.products
    ]
    texts += [f"{d.name} {' '.join(d.areas)}" for d in b.delivery]
    return texts


def _fees(b: Business) -> list[int]:
    return sorted({0, *(d.fee for d in b.delivery if d.fee is not None)})


def allowed_amounts(
    b: Business, order: OrderCase | None = None, said: Iterable[str] = ()
) -> set[int]:
    """Every amount a reply may state: the business's data (typed, in documents, catalog
    prices, delivery fees), catalog arithmetic (a price times a quantity, plus a fee),
    an expected order's subtotals and total, amounts the customer said, and the customer's
    quantities times an amount in the data ("3 yards" at N2,200 a yard is N6,600)."""
    data: set[int] = set()
    for t in _data_texts(b):
        data |= score.all_amounts(t)
    prices = [p.price for p in b.products] + [
        v.price for p in b.products for v in p.variants if v.price is not None
    ]
    fees = _fees(b)
    data |= set(prices) | set(fees)
    allowed = set(data)
    said = list(said)
    # A price times a quantity, plus a fee: any quantity up to 50 in an order conversation
    # (the customer changes it as they go), else only the quantities the customer said.
    quantities = set(range(1, 51)) if order is not None else {1}
    for text in said:
        quantities |= score.quantities(text)
    for price in prices:
        for q in quantities:
            allowed |= {price * q + fee for fee in fees}
    if order is not None:
        e = order.expect
        lines = [b.product(i.product).price_of(i.variant) * i.quantity for i in e.items]
        for n in range(1, len(lines) + 1):
            for combo in combinations(lines, n):
                allowed |= {sum(combo) + fee for fee in fees}
    for text in said:
        allowed |= score.all_amounts(text)
        for q in score.quantities(text):
            allowed |= {a * q for a in data}
    return allowed


def invented_in(reply: str, allowed: set[int], fees: Iterable[int] = (0,)) -> list[int]:
    """Amounts ``reply`` states that are not allowed. An order summary's total is catalog
    arithmetic when it is a sum of the reply's own allowed line amounts (plus a fee), even if
    the order understood is the wrong one (that is an order failure, not an invented amount)."""
    sums = derived_sums(reply, allowed, fees)
    return [a for a in score.stated_amounts(reply) if a not in allowed and a not in sums]


def derived_sums(reply: str, allowed: set[int], fees: Iterable[int] = (0,)) -> set[int]:
    good = [a for a in score.stated_amounts(reply) if a in allowed][:12]
    return {
        sum(c) + f for n in range(2, len(good) + 1) for c in combinations(good, n) for f in fees
    }


# Scoring -------------------------------------------------------------------------------------


def score_question(
    q: Question, replies: list[str], actions: list[dict[str, Any]]
) -> tuple[bool, bool, str]:
    """(correct, handed off, why not)."""
    text = "\n".join(replies)
    handed = score.is_handoff(replies, actions)
    bad = [s for s in q.not_contains if score.contains(text, s)]
    bad += [str(a) for a in q.not_amounts if score.has_amount(text, a)]
    if q.expect == "handoff":
        if not handed:
            return False, handed, "not handed off"
        if bad:
            return False, handed, f"forbidden: {bad}"
        return True, handed, ""
    if handed and not q.handoff_ok:
        return False, handed, "handed off"
    missing = [str(a) for a in q.amounts if not score.has_amount(text, a)]
    missing += [s for s in q.contains if not score.contains(text, s)]
    missing += ["|".join(g) for g in q.contains_any if not any(score.contains(text, s) for s in g)]
    if missing:
        return False, handed, f"missing: {missing}"
    if bad:
        return False, handed, f"forbidden: {bad}"
    return True, handed, ""


def _method_of(b: Business, stored: str | None) -> str | None:
    """The order stores the delivery option's name (or the bare method): which method it is."""
    if not stored:
        return None
    if stored in ("delivery", "pickup"):
        return stored
    for d in b.delivery:
        if d.name.lower() == stored.lower():
            return d.method
    return None


def check_order(b: Business, case: OrderCase, got: dict[str, Any] | None) -> str:
    """'' when ``got`` (an order from the orders API) is exactly the expected order."""
    if got is None:
        return "no order created"
    e = case.expect
    want = sorted((i.product.lower(), (i.variant or "").lower(), i.quantity) for i in e.items)
    have = sorted(
        (str(i["name"]).lower(), str(i.get("variant") or "").lower(), int(i["quantity"]))
        for i in got.get("items", [])
    )
    problems = []
    if have != want:
        problems.append(f"items {have} != {want}")
    if int(got.get("total") or 0) != e.total:
        problems.append(f"total {got.get('total')} != {e.total}")
    if int(got.get("deliveryFee") or 0) != e.delivery_fee:
        problems.append(f"fee {got.get('deliveryFee')} != {e.delivery_fee}")
    method = _method_of(b, got.get("deliveryMethod"))
    if method != e.delivery_method:
        problems.append(f"method {got.get('deliveryMethod')!r} is not {e.delivery_method}")
    if not score.same_name(got.get("customerName"), e.customer_name):
        problems.append(f"name {got.get('customerName')!r} != {e.customer_name!r}")
    if not score.same_phone(got.get("customerPhone"), e.customer_phone):
        problems.append(f"phone {got.get('customerPhone')!r} != {e.customer_phone!r}")
    if e.delivery_method == "delivery" and not score.address_kept(
        got.get("deliveryAddress"), e.delivery_address or ""
    ):
        problems.append(f"address {got.get('deliveryAddress')!r} != {e.delivery_address!r}")
    return "; ".join(problems)
