"""Evaluation v2: businesses the engine was not written for, taught and asked through the API.

Each business file (``sets/v2/tune`` for tuning, ``sets/v2/heldout`` for the honest measure)
is loaded into a fresh SQLite database the way an owner does it: an account, an assistant
(``POST /api/assistants``), knowledge text, FAQs and policies, products, delivery options and
uploaded documents through the public ``/api`` routes; the worker is drained so the index is
built as in production. Customers' questions then go through ``POST …/playground`` (one new
session per question) and order conversations through one session each; the order the
conversation created is read back from ``GET …/orders``.

Scoring is by facts (``score``): a correct answer states every expected amount and key string
and none of the forbidden ones, and is not a handoff; an unanswerable question must be handed
off. Amounts in replies are checked against the business's own data, independently of the
engine's grounding check.
"""

from __future__ import annotations

import io
import json
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import httpx

from repdesk.ai.eval import score
from repdesk.ai.eval.schema import CATEGORIES, ORDER_TAGS, Business, OrderCase, Question
from repdesk.config import Settings

SETS = Path(__file__).parent / "sets" / "v2"
SPLITS = ("tune", "heldout")
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


class RunnerError(RuntimeError):
    """The evaluation could not run (an API call failed): not a missed target."""


def business_files(split: str = "heldout") -> list[Path]:
    splits = SPLITS if split == "all" else (split,)
    if any(s not in SPLITS for s in splits):
        raise RunnerError(f"unknown split {split!r}: use tune, heldout or all")
    return [p for s in splits for p in sorted((SETS / s).glob("*.json"))]


def load_business(path: Path) -> Business:
    from pydantic import ValidationError

    try:
        return Business.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise RunnerError(f"{path}: {exc}") from exc


# Documents ----------------------------------------------------------------------------------


def _pdf(text: str) -> bytes:
    """A one-page PDF with a text layer (Helvetica), one line per line of ``text``."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 10 Tf", "13 TL", "40 760 Td"]
    ops += [f"({esc(line)}) Tj T*" for line in text.split("\n")]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{num} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def document_bytes(fmt: str, text: str) -> bytes:
    if fmt == "pdf":
        return _pdf(text)
    if fmt == "docx":
        return _docx(text)
    return text.encode("utf-8")


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


# Running -------------------------------------------------------------------------------------


class _Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, url: str, **kw: Any) -> Any:
        r = await self.client.request(method, url, **kw)
        if r.status_code >= 400:
            raise RunnerError(f"{method} {url} -> {r.status_code}: {r.text[:300]}")
        return r.json() if r.content else None


async def _teach(api: _Api, b: Business) -> str:
    a = await api.call(
        "POST", "/api/assistants", json={"name": f"{b.name} sales", "platform": b.platform}
    )
    aid = str(a["id"])
    base = f"/api/assistants/{aid}"
    for t in b.knowledge:
        await api.call(
            "POST",
            f"{base}/knowledge",
            json={"type": "text", "title": t.title, "content": t.content},
        )
    for f in b.faqs:
        await api.call(
            "POST",
            f"{base}/faqs",
            json={"question": f.question, "answer": f.answer, "category": f.category},
        )
    for p in b.products:
        body = p.model_dump(exclude_none=True)
        body["currency"] = b.currency
        await api.call("POST", f"{base}/products", json=body)
    if b.delivery:
        await api.call(
            "PUT",
            f"{base}/delivery-options",
            json={"options": [d.model_dump() for d in b.delivery]},
        )
    for d in b.documents:
        data = document_bytes(d.format, d.content)
        await api.call(
            "POST",
            f"{base}/knowledge/files",
            files={"file": (d.filename, data, "application/octet-stream")},
            data={"title": d.title},
        )
    return aid


async def _say(api: _Api, aid: str, text: str, sid: str | None, run: BusinessRun) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text} | ({"sessionId": sid} if sid else {})
    t0 = time.perf_counter()
    out: dict[str, Any] = await api.call("POST", f"/api/assistants/{aid}/playground", json=body)
    run.latencies.append((time.perf_counter() - t0) * 1000)
    run.replies += len(out["replies"])
    return out


async def _orders(api: _Api, aid: str) -> list[dict[str, Any]]:
    out = await api.call(
        "GET", f"/api/assistants/{aid}/orders", params={"test": "true", "limit": 100}
    )
    return list(out["data"])


async def _run_business(app: Any, db: Any, b: Business, n: int) -> BusinessRun:
    from repdesk.accounts import service as accounts
    from repdesk.jobs.worker import Worker

    run = BusinessRun(b)
    email, password = f"owner{n}@eval.repdesk.local", "eval password 12345"
    async with db.transaction() as session:
        await accounts.register(
            session,
            email=email,
            password=password,
            business_name=b.name,
            verified=True,
            send_email=False,
        )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://eval.local", timeout=60
    ) as client:
        api = _Api(client)
        login = await api.call(
            "POST", "/api/auth/login", json={"email": email, "password": password}
        )
        client.headers["X-CSRF-Token"] = login["csrfToken"]
        aid = await _teach(api, b)
        await Worker(db, concurrency=1).drain()
        status = await api.call("GET", f"/api/assistants/{aid}/knowledge/status")
        run.retrieval = str(status.get("retrieval") or "")
        # Warm up outside the timings (model load, first query of fresh chunks).
        for warm in ("hello", "how much is delivery"):
            await api.call("POST", f"/api/assistants/{aid}/playground", json={"text": warm})
        ai = await api.call("GET", "/api/workspace/ai")
        run.engine = str(ai.get("provider") or "builtin")
        for q in b.questions:
            out = await _say(api, aid, q.text, None, run)
            replies = [r["text"] for r in out["replies"]]
            ok, handed, why = score_question(q, replies, out["actions"])
            allowed = allowed_amounts(b, said=[q.text])
            invented = [a for r in replies for a in invented_in(r, allowed, _fees(b))]
            run.questions.append(
                QuestionResult(
                    b.id,
                    q.id,
                    q.category,
                    q.expect,
                    q.text,
                    ok,
                    handed,
                    "\n".join(replies),
                    invented,
                    why,
                )
            )
        for case in b.orders:
            run.orders.append(await _run_order(api, aid, b, case, run))
    return run


async def _run_order(
    api: _Api, aid: str, b: Business, case: OrderCase, run: BusinessRun
) -> OrderResult:
    before = {o["id"] for o in await _orders(api, aid)}
    sid: str | None = None
    replies: list[str] = []
    created_at: list[int] = []
    allowed = allowed_amounts(b, case, case.turns)
    invented: list[int] = []
    for i, text in enumerate(case.turns):
        out = await _say(api, aid, text, sid, run)
        sid = out["sessionId"]
        turn = [r["text"] for r in out["replies"]]
        replies += [f"> {text}", *turn]
        for r in turn:
            invented += invented_in(r, allowed, _fees(b))
            allowed |= derived_sums(r, allowed, _fees(b))  # a summary's total, said again later
        created_at += [i for a in out["actions"] if a.get("type") == "create_order"]
    new = [o for o in await _orders(api, aid) if o["id"] not in before]
    problems = []
    if len(new) != 1:
        problems.append(f"{len(new)} orders created")
    if created_at != [case.confirm_index]:
        problems.append(f"created at turns {created_at}, expected turn {case.confirm_index}")
    got = new[0] if len(new) == 1 else None
    if got is not None:
        diff = check_order(b, case, got)
        if diff:
            problems.append(diff)
    return OrderResult(
        b.id, case.id, not problems, "; ".join(problems), replies, got, invented, list(case.tags)
    )


async def run_v2(
    split: str = "heldout",
    *,
    paths: list[Path] | None = None,
    businesses: Iterable[str] | None = None,
    settings: Settings | None = None,
) -> ReportV2:
    """Run the businesses of ``split`` (or the files ``paths``) through the API of an app on a
    fresh SQLite database in a temporary directory."""
    from repdesk import config
    from repdesk.app import create_app
    from repdesk.db.engine import Database
    from repdesk.db.migrate import upgrade_async

    started = time.perf_counter()
    files = paths if paths is not None else business_files(split)
    loaded = [load_business(p) for p in files]
    if businesses:
        wanted = set(businesses)
        loaded = [b for b in loaded if b.id in wanted]
    if not loaded:
        where = ", ".join(str(p) for p in files) if paths is not None else str(SETS / split)
        raise RunnerError(f"no business to evaluate in {where} (check --split and --business)")
    previous = config._current  # restored afterwards: the caller's settings (tests have their own)
    base = settings or config.get_settings()
    runs: list[BusinessRun] = []
    with tempfile.TemporaryDirectory(prefix="repdesk-eval-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/eval.db"
        own = base.model_copy(
            update={
                "data_dir": Path(tmp) / "data",
                "database_url": url,
                "public_url": "http://eval.local",
                "worker_in_process": False,
                "login_rate_limit": "100000/minute",
            }
        )
        await upgrade_async(url)
        db = Database(url)
        try:
            app = create_app(own, db=db)
            async with app.router.lifespan_context(app):
                for n, b in enumerate(loaded):
                    runs.append(await _run_business(app, db, b, n))
        finally:
            await db.dispose()
            config.use_settings(previous)
    qs = [q for r in runs for q in r.questions]
    os_ = [o for r in runs for o in r.orders]
    lat = [x for r in runs for x in r.latencies]
    per = {
        r.business.id: {"type": r.business.type, "split": r.business.split}
        | summarise(r.questions, r.orders, r.latencies, r.replies)
        for r in runs
    }
    retrieval = ",".join(sorted({r.retrieval for r in runs}))
    return ReportV2(
        split=split if paths is None else "files",
        engine=",".join(sorted({r.engine for r in runs})),
        retrieval=retrieval,
        overall=summarise(qs, os_, lat, sum(r.replies for r in runs)),
        businesses=per,
        question_results=qs,
        order_results=os_,
        seconds=time.perf_counter() - started,
    )


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
