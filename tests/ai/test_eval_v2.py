"""Evaluation v2: the business files, the scorer and one small run through the API.

No accuracy target is asserted here (the report records them); these tests check that the
set is what it claims to be and that the scoring would catch a wrong reply.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError

from repdesk.ai.eval import score
from repdesk.ai.eval.schema import ORDER_TAGS, Business, Question
from repdesk.ai.eval.v2 import (
    SETS,
    allowed_amounts,
    business_files,
    check_order,
    document_bytes,
    invented_in,
    load_business,
    run_v2,
    score_question,
)

# The set --------------------------------------------------------------------------------------


def test_every_business_file_loads_and_the_splits_are_honest() -> None:
    tune = [load_business(p) for p in business_files("tune")]
    held = [load_business(p) for p in business_files("heldout")]
    assert len(tune) >= 4 and len(held) >= 4
    assert {b.split for b in tune} == {"tune"} and {b.split for b in held} == {"heldout"}
    assert len(business_files("all")) == len(tune) + len(held)
    # Different businesses and business types on each side; no question copied across.
    assert not {b.id for b in tune} & {b.id for b in held}
    assert not {b.type for b in tune} & {b.type for b in held}
    tune_texts = {q.text.lower() for b in tune for q in b.questions}
    assert not tune_texts & {q.text.lower() for b in held for q in b.questions}
    for b in tune + held:
        assert len(b.questions) >= 40, b.id
        assert len(b.orders) >= 5, b.id
        assert b.knowledge and b.faqs and b.products and b.delivery, b.id
        assert any(p.variants for p in b.products), b.id
        cats = Counter(q.category for q in b.questions)
        assert set(cats) == {
            "worded_like_data",
            "paraphrase",
            "pidgin_texting",
            "unanswerable",
            "adversarial",
        }, b.id
    for split in (tune, held):  # every way of saying an order is in each split
        assert {t for b in split for o in b.orders for t in o.tags} == set(ORDER_TAGS)
    everything = [q for b in tune + held for q in b.questions]
    cats = Counter(q.category for q in everything)
    assert cats["paraphrase"] * 3 >= len(everything)
    assert cats["pidgin_texting"] * 5 >= len(everything)
    assert sum(1 for b in tune if b.documents) >= 1 and sum(1 for b in held if b.documents) >= 1
    assert {d.format for b in tune + held for d in b.documents} >= {"docx", "pdf", "txt"}


def test_every_expected_fact_is_in_the_business_data() -> None:
    """An answer the engine could not give from what the owner taught would measure the set,
    not the engine: every expected amount and key string is in the data (only an adversarial
    question may expect words of its own, such as "we don't sell")."""
    from repdesk.ai.eval.v2 import _data_texts

    for path in business_files("all"):
        b = load_business(path)
        texts = "\n".join(_data_texts(b))
        amounts = score.all_amounts(texts) | {p.price for p in b.products}
        amounts |= {v.price for p in b.products for v in p.variants if v.price is not None}
        amounts |= {d.fee for d in b.delivery if d.fee is not None}
        for q in b.questions:
            if q.expect != "answer":
                continue
            assert set(q.amounts) <= amounts, (b.id, q.id)
            assert all(score.contains(texts, c) for c in q.contains), (b.id, q.id)
            if q.category != "adversarial":
                for group in q.contains_any:
                    assert any(score.contains(texts, c) for c in group), (b.id, q.id)


def test_the_schema_rejects_a_file_whose_expectations_do_not_follow_from_its_data() -> None:
    good = json.loads((SETS / "tune" / "bakery_surulere.json").read_text())
    Business.model_validate(good)
    wrong_total = json.loads(json.dumps(good))
    wrong_total["orders"][0]["expect"]["total"] += 100
    with pytest.raises(ValidationError, match="total"):
        Business.model_validate(wrong_total)
    wrong_fee = json.loads(json.dumps(good))
    wrong_fee["orders"][0]["expect"]["delivery_fee"] = 123
    with pytest.raises(ValidationError, match="delivery fee"):
        Business.model_validate(wrong_fee)
    unknown = json.loads(json.dumps(good))
    unknown["orders"][0]["expect"]["items"][0]["variant"] = "20 inch"
    with pytest.raises(ValidationError, match="no variant"):
        Business.model_validate(unknown)
    with pytest.raises(ValidationError, match="expects a handoff"):
        Question(id="x", text="?", category="unanswerable", expect="answer", contains=["a"])
    with pytest.raises(ValidationError, match="needs facts"):
        Question(id="x", text="?", category="paraphrase", expect="answer")
    extra = json.loads(json.dumps(good))
    extra["questions"][0]["amount"] = [1]  # a typo of "amounts"
    with pytest.raises(ValidationError):
        Business.model_validate(extra)


def test_documents_are_written_in_their_format() -> None:
    assert document_bytes("pdf", "Screen: N45,000").startswith(b"%PDF-1.4")
    assert document_bytes("docx", "Screen: N45,000")[:2] == b"PK"
    assert document_bytes("txt", "Screen: N45,000") == b"Screen: N45,000"


# The scorer -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["₦18,500", "N18500", "NGN 18,500.00", "#18,500", "18,500 naira", "₦18.5k", "it's N 18,500!"],
)
def test_amounts_are_read_however_they_are_written(text: str) -> None:
    assert score.money_amounts(text) == [1850000]
    assert score.has_amount(text, 1850000)


def test_numbers_that_are_not_amounts_are_not_read_as_amounts() -> None:
    assert score.money_amounts("call 0803 123 4567 or come at 12:30pm") == []
    assert score.stated_amounts("open 9am - 6:30pm, 2 to 4 working days, 30% down") == []
    assert not score.has_amount("we open at 12pm", 1200)
    assert not score.has_amount("₦18,500", 185000)  # a tenth of it is a different amount
    assert score.has_amount("Lekki - 3500", 350000)  # typed by the owner without a currency
    assert score.stated_amounts("Total: 26,500 for 2") == [2650000]


def test_times_and_text_are_normalised() -> None:
    for said in ("12pm", "12 pm", "12:00 pm", "12:00PM", "12 p.m."):
        assert score.contains(f"Sunday: {said} - 5pm", "12pm"), said
    assert score.contains("We open at 9:30 AM", "9:30am")
    assert not score.contains("We open at 9:30 AM", "9am")
    assert score.contains("**Closed** on Sundays", "closed")
    assert score.contains("a 3 months warranty", "3 month")
    assert score.contains("We take POS.", "pos") and not score.contains("It's possible", "pos")
    assert not score.contains("Delivery is ₦1,500", "50")
    assert score.contains("Buy 50 or more for 10% off", "50")
    assert score.contains("10% off", "10%") and not score.contains("110% sure", "10%")
    assert score.contains("Call 0809-222-3344", "0809 222 3344")
    assert score.contains("Call +234 809 222 3344", "0809 222 3344")
    assert not score.contains("Call 0809 222 3345", "0809 222 3344")


def test_handoff_is_an_escalation_or_a_reply_that_says_so() -> None:
    assert score.is_handoff(["ok"], [{"type": "escalate", "reason": "x"}])
    assert score.is_handoff(["Let me check with the team and get back to you shortly."], [])
    assert score.is_handoff(["Make I check with the team, we go get back to you."], [])
    assert not score.is_handoff(["We open at 12pm on Sundays."], [{"type": "tag"}])


def test_a_reply_is_scored_by_its_facts() -> None:
    q = Question(
        id="p1",
        text="what time do you people start on Sundays?",
        category="paraphrase",
        expect="answer",
        contains=["12pm"],
        not_contains=["closed"],
    )
    assert score_question(q, ["On Sundays we open 12:00 pm till 5pm."], [])[0]
    assert score_question(q, ["On Sundays we open at 1pm."], [])[2].startswith("missing")
    assert score_question(q, ["Sunday 12pm, closed on holidays"], [])[2].startswith("forbidden")
    handed = score_question(q, ["Sunday: 12pm"], [{"type": "escalate"}])
    assert handed == (False, True, "handed off")
    price = Question(
        id="w2",
        text="how much to fix iphone 12 screen",
        category="worded_like_data",
        expect="answer",
        amounts=[6500000],
        not_amounts=[32000000],
    )
    assert score_question(price, ["iPhone 12 screen replacement is ₦65,000."], [])[0]
    assert not score_question(price, ["The iPhone 12 is ₦320,000."], [])[0]
    assert not score_question(price, ["₦65,000 (the phone itself is ₦320,000)"], [])[0]
    unknown = Question(id="u1", text="NAFDAC?", category="unanswerable", expect="handoff")
    assert score_question(unknown, ["Let me check with the team."], [])[0]
    assert not score_question(unknown, ["Our Red Velvet Cake is ₦18,000."], [])[0]


def test_invented_amounts_are_counted_from_the_business_data() -> None:
    b = load_business(SETS / "tune" / "bakery_surulere.json")
    allowed = allowed_amounts(b)
    fees = [0, 150000, 250000, 350000, 450000]
    assert invented_in("Red Velvet Cake (10 inch) is ₦25,000", allowed, fees) == []
    two = allowed_amounts(b, said=["how much for 2 meat pies to Yaba?"])
    assert invented_in("2 × Meat Pie: ₦1,600, delivery ₦1,500", two, fees) == []
    assert invented_in("2 × Meat Pie: ₦1,600", allowed, fees) == [160000]  # 2 nobody said
    assert invented_in("The red velvet cake is ₦17,000", allowed, fees) == [1700000]
    # In an order conversation, any quantity; a summary's total is the sum of its own lines
    # (arithmetic on a misunderstood order is an order failure, not an invented amount).
    order = allowed_amounts(b, b.orders[0], b.orders[0].turns)
    assert invented_in("3 × Chin Chin: ₦13,500, total ₦17,000", order, fees) == []
    summary = "1 × Wedding Cake: ₦150,000\n3 × Meat Pie: ₦2,400\nTotal: ₦152,400"
    assert invented_in(summary, order, fees) == []
    assert invented_in(summary.replace("152,400", "152,300"), order, fees) == [15230000]
    assert invented_in("That comes to ₦19,999.50", allowed, fees) == [1999950]
    # An amount the customer said, or their quantity times a price in the data, is allowed.
    said = allowed_amounts(b, said=["is it N10,000?"])
    assert invented_in("It is not ₦10,000", said, fees) == []


def test_an_order_is_checked_field_by_field() -> None:
    b = load_business(SETS / "tune" / "bakery_surulere.json")
    case = next(o for o in b.orders if o.id == "o1")
    got = {
        "items": [{"name": "Red Velvet Cake", "variant": "10 inch", "quantity": 1}],
        "total": 2650000,
        "deliveryFee": 150000,
        "deliveryMethod": "Surulere, Yaba, Mushin",  # the option's name is what is stored
        "customerName": "chidi",
        "customerPhone": "+234 803 123 4567",
        "deliveryAddress": "23 Bode Thomas Street, Surulere, Lagos",
    }
    assert check_order(b, case, got) == ""
    assert "phone" in check_order(b, case, got | {"customerPhone": "08031234568"})
    assert "name" in check_order(b, case, got | {"customerName": "Surulere"})
    assert "address" in check_order(b, case, got | {"deliveryAddress": "23 Bode Thomas"})
    assert "method" in check_order(b, case, got | {"deliveryMethod": "Pickup at the bakery"})
    assert "items" in check_order(
        b, case, got | {"items": [{"name": "Red Velvet Cake", "variant": "8 inch", "quantity": 1}]}
    )
    assert check_order(b, case, None) == "no order created"


# One small run through the API -----------------------------------------------------------------

TINY = {
    "id": "tiny_kiosk",
    "split": "tune",
    "type": "kiosk",
    "name": "Tiny Kiosk",
    "knowledge": [{"title": "Hours", "content": "Monday to Sunday: 8am - 8pm"}],
    "faqs": [{"question": "Where are you?", "answer": "5 Broad Street, Lagos Island."}],
    "products": [
        {"name": "Zobo Drink", "price": 50000, "variants": [{"name": "Small"}, {"name": "Big"}]}
    ],
    "delivery": [{"name": "Pickup", "method": "pickup", "fee": 0}],
    "documents": [
        {"filename": "menu.txt", "format": "txt", "content": "Puff puff: N100 per piece"}
    ],
    "questions": [
        {
            "id": "w1",
            "category": "worded_like_data",
            "expect": "answer",
            "text": "How much is the zobo drink?",
            "amounts": [50000],
        },
        {
            "id": "t1",
            "category": "pidgin_texting",
            "expect": "answer",
            "text": "hw much be puff puff",
            "amounts": [10000],
        },
        {
            "id": "u1",
            "category": "unanswerable",
            "expect": "handoff",
            "text": "Is your zobo NAFDAC approved?",
        },
    ],
    "orders": [
        {
            "id": "o1",
            "tags": ["one_at_a_time"],
            "turns": ["I want 2 zobo drink big", "pickup", "Ada", "08031234567", "yes"],
            "expect": {
                "items": [{"product": "Zobo Drink", "variant": "Big", "quantity": 2}],
                "delivery_method": "pickup",
                "delivery_fee": 0,
                "total": 100000,
                "customer_name": "Ada",
                "customer_phone": "08031234567",
            },
        }
    ],
}


async def test_a_tiny_business_runs_through_the_api_and_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY))
    report = await run_v2(paths=[path])
    m = report.overall
    assert (m["questions"], m["answerable"], m["orders"]) == (3, 2, 1)
    cats = m["categories"]
    assert cats["worded_like_data"]["questions"] == 1
    assert cats["pidgin_texting"]["questions"] == 1
    assert cats["unanswerable"]["questions"] == 1 and cats["unanswerable"]["answerable"] == 0
    assert cats["paraphrase"]["questions"] == 0 and cats["paraphrase"]["accuracy"] is None
    assert m["replies"] >= 3 + 5  # every message got at least one reply
    assert m["p50_ms"] > 0 and m["p99_ms"] >= m["p50_ms"]
    assert m["order_tags"] == {
        "one_at_a_time": {"orders": 1, "exact": int(report.order_results[0].ok)}
    }
    assert report.retrieval == "bm25"  # the test's settings switch embeddings off
    assert list(report.businesses) == ["tiny_kiosk"]
    assert report.businesses["tiny_kiosk"]["questions"] == 3
    # Each result is consistent with its own reply (scored, not assumed).
    for q in report.question_results:
        assert q.reply
        if score.is_handoff([q.reply], []):
            assert q.handed_off
    [order] = report.order_results
    assert order.ok == (order.why == "")
    if order.order is not None:  # read back from the orders API
        assert order.order["test"] is True and order.order["items"]
    out = report.to_json(failures=True)
    assert out["split"] == "files" and "missed_targets" in out
    assert len(out["failures"]) == sum(not q.ok for q in report.question_results) + (
        0 if order.ok else 1
    )
