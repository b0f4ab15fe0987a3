"""Evaluation v2's results: per question and order conversation, summarised per category
and business, the issue's targets, and the text and JSON reports."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from repdesk.ai.eval.schema import CATEGORIES, ORDER_TAGS, Business

ANSWERABLE_CATEGORIES = ("worded_like_data", "paraphrase", "pidgin_texting", "adversarial")

# The targets (built-in engine, held-out businesses); ``--check`` enforces them.
TARGETS = {
    "answer_accuracy": 0.95,
    "paraphrase_accuracy": 0.90,
    "pidgin_texting_accuracy": 0.90,
    "handoff_recall": 0.95,
    "false_handoff_rate": 0.05,
    "order_exactness": 0.95,
    "invented_amounts": 0,
    "p99_ms": 100.0,
}


# Results -------------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    business: str
    id: str
    category: str
    expect: str
    text: str
    ok: bool
    handed_off: bool
    reply: str
    invented: list[int] = field(default_factory=list)
    why: str = ""


@dataclass
class OrderResult:
    business: str
    id: str
    ok: bool
    why: str
    replies: list[str]
    order: dict[str, Any] | None
    invented: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class BusinessRun:
    business: Business
    questions: list[QuestionResult] = field(default_factory=list)
    orders: list[OrderResult] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    replies: int = 0
    retrieval: str = ""
    engine: str = ""


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def summarise(
    questions: list[QuestionResult],
    orders: list[OrderResult],
    latencies: list[float],
    replies: int,
) -> dict[str, Any]:
    answerable = [q for q in questions if q.expect == "answer"]
    handoffs = [q for q in questions if q.expect == "handoff"]
    unanswerable = [q for q in questions if q.category == "unanswerable"]
    cats: dict[str, Any] = {}
    for cat in CATEGORIES:
        rows = [q for q in questions if q.category == cat]
        ans = [q for q in rows if q.expect == "answer"]
        cats[cat] = {
            "questions": len(rows),
            "correct": sum(q.ok for q in rows),
            "accuracy": _ratio(sum(q.ok for q in rows), len(rows)),
            "answerable": len(ans),
            "answer_accuracy": _ratio(sum(q.ok for q in ans), len(ans)),
            "false_handoffs": sum(q.handed_off for q in ans),
        }
    invented = sum(len(q.invented) for q in questions) + sum(len(o.invented) for o in orders)
    return {
        "questions": len(questions),
        "answerable": len(answerable),
        "answer_accuracy": _ratio(sum(q.ok for q in answerable), len(answerable)),
        "paraphrase_accuracy": cats["paraphrase"]["answer_accuracy"],
        "pidgin_texting_accuracy": cats["pidgin_texting"]["answer_accuracy"],
        "handoff_recall": _ratio(sum(q.handed_off for q in handoffs), len(handoffs)),
        "unanswerable_handoff_recall": _ratio(
            sum(q.handed_off for q in unanswerable), len(unanswerable)
        ),
        "false_handoff_rate": _ratio(sum(q.handed_off for q in answerable), len(answerable)),
        "handoff_precision": _ratio(
            sum(q.handed_off for q in handoffs), sum(q.handed_off for q in questions)
        ),
        "orders": len(orders),
        "order_exactness": _ratio(sum(o.ok for o in orders), len(orders)),
        "order_tags": {
            tag: {"orders": len(tagged), "exact": sum(o.ok for o in tagged)}
            for tag in ORDER_TAGS
            if (tagged := [o for o in orders if tag in o.tags])
        },
        "invented_amounts": invented,
        "replies": replies,
        "p50_ms": round(_percentile(latencies, 50), 2),
        "p99_ms": round(_percentile(latencies, 99), 2),
        "categories": cats,
    }


@dataclass
class ReportV2:
    split: str
    engine: str
    retrieval: str
    overall: dict[str, Any]
    businesses: dict[str, dict[str, Any]]
    question_results: list[QuestionResult]
    order_results: list[OrderResult]
    seconds: float

    def to_json(self, *, failures: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "set": "v2",
            "split": self.split,
            "engine": self.engine,
            "retrieval": self.retrieval,
            "seconds": round(self.seconds, 1),
            "overall": self.overall,
            "businesses": self.businesses,
            "targets": TARGETS,
            "missed_targets": self.missed_targets(),
        }
        if failures:
            out["failures"] = [asdict(q) for q in self.question_results if not q.ok] + [
                asdict(o) for o in self.order_results if not o.ok
            ]
        return out

    def missed_targets(self) -> list[str]:
        m = self.overall
        out = []
        for key, target in TARGETS.items():
            value = m.get(key)
            if value is None:
                continue
            if key == "false_handoff_rate":
                if value >= target:
                    out.append(f"{key}={value} (target < {target})")
            elif key in ("invented_amounts", "p99_ms"):
                if value > target:
                    out.append(f"{key}={value} (target <= {target})")
            elif value < target:
                out.append(f"{key}={value} (target >= {target})")
        return out


def format_report(report: ReportV2, *, failures: bool = False) -> str:
    m = report.overall
    lines = [
        f"evaluation v2, split {report.split} ({len(report.businesses)} businesses, "
        f"retrieval {report.retrieval}, {report.seconds:.0f} s): {m['questions']} questions, "
        f"{m['orders']} order conversations, {m['replies']} replies",
    ]

    def pct(v: float | None) -> str:
        return "   -  " if v is None else f"{v:6.1%}"

    def block(name: str, s: dict[str, Any]) -> list[str]:
        cats = s["categories"]
        out = [
            f"{name}",
            f"  answer accuracy (answerable)  {pct(s['answer_accuracy'])}  of {s['answerable']}",
        ]
        for cat in CATEGORIES:
            c = cats[cat]
            if c["questions"]:
                out.append(
                    f"    {cat:<26}  {pct(c['accuracy'])}  of {c['questions']}"
                    f"  (false handoffs {c['false_handoffs']})"
                )
        out += [
            f"  handoff recall (expected)     {pct(s['handoff_recall'])}"
            f"  unanswerable {pct(s['unanswerable_handoff_recall'])}",
            f"  false handoff rate            {pct(s['false_handoff_rate'])}",
            f"  order exactness               {pct(s['order_exactness'])}  of {s['orders']}",
            f"  invented amounts              {s['invented_amounts']}",
            f"  reply latency p50/p99         {s['p50_ms']:.1f} ms / {s['p99_ms']:.1f} ms",
        ]
        return out

    lines += block("overall", m)
    tags = ", ".join(f"{t} {v['exact']}/{v['orders']}" for t, v in m["order_tags"].items())
    lines.append(f"  orders exact by wording: {tags or '-'}")
    for bid, s in report.businesses.items():
        lines += block(f"{bid} ({s['type']}, {s['split']})", s)
    missed = report.missed_targets()
    lines.append("targets missed: " + ("; ".join(missed) if missed else "none"))
    if failures:
        for q in report.question_results:
            if not q.ok or q.invented:
                lines.append(
                    f"FAIL {q.business}/{q.id} [{q.category}] {q.text!r}: {q.why}"
                    f"{' invented ' + str(q.invented) if q.invented else ''}"
                    f"\n    -> {q.reply[:300]!r}"
                )
        for o in report.order_results:
            if not o.ok or o.invented:
                lines.append(f"FAIL {o.business}/{o.id} [order]: {o.why} invented={o.invented}")
                lines += [f"    {r[:200]}" for r in o.replies]
    return "\n".join(lines)


def dumps(report: ReportV2, *, failures: bool = False) -> str:
    return json.dumps(report.to_json(failures=failures), indent=2, default=str)
