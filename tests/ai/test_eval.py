"""The evaluation set runs in the suite: the built-in engine must stay above the floor."""

from __future__ import annotations

from repdesk.ai.eval.runner import FLOOR, load_set, run_eval


def test_evalset_is_versioned_and_large_enough() -> None:
    data = load_set()
    assert data["version"] >= 1
    cases = data["cases"]
    assert len(cases) >= 150
    cats = {c["category"] for c in cases}
    assert {
        "answerable",
        "unanswerable",
        "price",
        "availability",
        "order",
        "handoff",
        "smalltalk",
        "pidgin",
    } <= cats


async def test_builtin_engine_meets_the_floor_on_the_evalset() -> None:
    report = await run_eval()
    assert report.below_floor() == [], (report.metrics(), [f.id for f in report.failures])
    assert report.invented_amount_rate == FLOOR["invented_amount_rate"] == 0.0
