"""A fake Paystack: a real HTTP server on a free local port, in Paystack's formats.

It speaks ``POST /transaction/initialize``, ``GET /transaction/verify/:reference`` and
``POST /refund`` (Bearer secret key), serves a checkout page per transaction (HTML with a
"Pay" button that completes the charge and redirects to ``callback_url?trxref=…&reference=…``)
and signs ``charge.success`` webhooks (``x-paystack-signature``, HMAC-SHA512 of the raw body
with the secret key). Forced failures: a declined card, an abandoned checkout (never paid),
a timeout or a 5xx on the next API calls, and a verify that disagrees with the webhook.

Use the ``paystack`` fixture (``REPDESK_PAYSTACK_API_URL`` and a secret key point at it)::

    paystack.pay(reference)                 # the customer pays (as the Pay button does)
    body, headers = paystack.webhook(reference)   # a signed charge.success to post ourselves
    paystack.fail_next("5xx", times=2)      # or "timeout"; path_contains="verify"
    paystack.decline_next()                 # the next payment is declined
    paystack.verify_overrides[reference] = {"amount": 1}   # verify disagrees
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.server import kept_fake

SECRET_KEY = "sk_test_fake0000000000000000000000000000"
PUBLIC_KEY = "pk_test_fake0000000000000000000000000000"
CURRENCIES = {"NGN", "USD", "GHS", "ZAR", "KES"}
REFERENCE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.=")


@dataclass
class FakeTransaction:
    id: int
    reference: str
    access_code: str
    email: str
    amount: int
    currency: str
    callback_url: str
    metadata: dict[str, Any]
    key: str
    status: str = "abandoned"  # Paystack's answer for an initialized, unpaid transaction
    paid_at: str | None = None
    refunded: int = 0

    def data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "domain": "test",
            "status": self.status,
            "reference": self.reference,
            "receipt_number": None,
            "amount": self.amount,
            "message": None,
            "gateway_response": {
                "success": "Successful",
                "failed": "Declined",
                "abandoned": "The transaction was not completed",
            }.get(self.status, self.status),
            "paid_at": self.paid_at,
            "created_at": "2026-12-04T09:14:24.000Z",
            "channel": "card",
            "currency": self.currency,
            "ip_address": "197.210.54.33",
            "metadata": self.metadata or "",
            "fees": self.amount // 100 if self.status == "success" else None,
            "authorization": {
                "authorization_code": "AUTH_" + self.access_code[:10],
                "bin": "408408",
                "last4": "4081",
                "exp_month": "12",
                "exp_year": "2030",
                "channel": "card",
                "card_type": "visa ",
                "bank": "TEST BANK",
                "country_code": "NG",
                "brand": "visa",
                "reusable": True,
            },
            "customer": {
                "id": 181873746,
                "first_name": None,
                "last_name": None,
                "email": self.email,
                "customer_code": "CUS_" + self.access_code[:12],
                "phone": None,
                "metadata": None,
                "risk_action": "default",
            },
            "plan": None,
            "requested_amount": self.amount,
        }


@dataclass
class Failure:
    kind: str  # "timeout" | "5xx"
    path_contains: str


@dataclass
class FakePaystack:
    url: str = ""
    secret_key: str = SECRET_KEY
    public_key: str = PUBLIC_KEY
    keys: set[str] = field(default_factory=set)
    transactions: dict[str, FakeTransaction] = field(default_factory=dict)
    by_code: dict[str, str] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    # reference -> fields verify reports instead of the transaction's own
    verify_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    webhook_url: str = ""  # where a payment made on the checkout page is announced
    webhooks_sent: list[int] = field(default_factory=list)  # their HTTP statuses
    timeout_seconds: float = 3.0
    decline: int = 0
    next_id: int = 4099260516
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.reset()

    # -- test controls ------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.keys = {self.secret_key}
            self.transactions.clear()
            self.by_code.clear()
            self.failures.clear()
            self.verify_overrides.clear()
            self.requests.clear()
            self.refunds.clear()
            self.webhook_url = ""
            self.webhooks_sent.clear()
            self.decline = 0

    def fail_next(self, kind: str, *, times: int = 1, path_contains: str = "") -> None:
        """The next ``times`` API calls (whose path contains ``path_contains``) time out
        (``"timeout"``: the answer comes after ``timeout_seconds``) or answer 5xx."""
        if kind not in ("timeout", "5xx"):
            raise ValueError(kind)
        with self.lock:
            self.failures.extend(Failure(kind, path_contains) for _ in range(times))

    def decline_next(self, times: int = 1) -> None:
        """The next ``times`` payments are declined (the transaction becomes ``failed``)."""
        self.decline += times

    def pay(self, reference: str) -> FakeTransaction:
        """The customer pays on the checkout page (success, or failed when declined)."""
        with self.lock:
            tx = self.transactions[reference]
            if self.decline:
                self.decline -= 1
                tx.status = "failed"
            else:
                tx.status = "success"
                tx.paid_at = "2026-12-04T09:15:02.000Z"
            return tx

    def webhook(
        self, reference: str, *, key: str | None = None, **overrides: Any
    ) -> tuple[bytes, dict[str, str]]:
        """A ``charge.success`` body for the transaction (``overrides`` replace fields of its
        ``data``) and the headers Paystack sends, signed with ``key`` (default the key that
        initialized it)."""
        tx = self.transactions[reference]
        data = {**tx.data(), "status": "success", **overrides}
        body = json.dumps({"event": "charge.success", "data": data}).encode()
        signature = hmac.new((key or tx.key).encode(), body, hashlib.sha512).hexdigest()
        return body, {"content-type": "application/json", "x-paystack-signature": signature}

    async def send_webhook(self, url: str, reference: str, **overrides: Any) -> int:
        body, headers = self.webhook(reference, **overrides)
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(url, content=body, headers=headers)
        self.webhooks_sent.append(r.status_code)
        return r.status_code

    def calls(self, contains: str) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if contains in r[1]]

    # -- the server ---------------------------------------------------------------------------

    @staticmethod
    def error(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"status": False, "message": message}, status_code=status)

    def _take_failure(self, path: str) -> Failure | None:
        with self.lock:
            for i, f in enumerate(self.failures):
                if f.path_contains in path:
                    return self.failures.pop(i)
        return None

    async def api(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self.error("Invalid JSON")
        path = request.url.path
        with self.lock:
            self.requests.append((request.method, path, body))
        failure = self._take_failure(path)
        if failure is not None:
            if failure.kind == "timeout":
                await asyncio.sleep(self.timeout_seconds)
            return JSONResponse({"status": False, "message": "An error occurred"}, status_code=503)
        auth = request.headers.get("authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        if key not in self.keys:
            return self.error("Invalid key", 401)
        if path == "/transaction/initialize" and request.method == "POST":
            return self._initialize(key, body, request)
        if path.startswith("/transaction/verify/") and request.method == "GET":
            return self._verify(key, path.rsplit("/", 1)[-1])
        if path == "/refund" and request.method == "POST":
            return self._refund(key, body)
        return self.error(f"Unknown path {path}", 404)

    def _initialize(self, key: str, body: Any, request: Request) -> Response:
        if not isinstance(body, dict):
            return self.error("Invalid request body")
        email = str(body.get("email") or "")
        if "@" not in email:
            return self.error("Invalid Email Address Passed")
        raw_amount = body.get("amount")
        if isinstance(raw_amount, str) and raw_amount.isdigit():
            raw_amount = int(raw_amount)
        if not isinstance(raw_amount, int) or isinstance(raw_amount, bool) or raw_amount <= 0:
            return self.error("Invalid Amount Sent")
        currency = str(body.get("currency") or "NGN").upper()
        if currency not in CURRENCIES:
            return self.error("Currency not supported by merchant")
        reference = str(body.get("reference") or secrets.token_hex(5))
        if not set(reference) <= REFERENCE_CHARS:
            return self.error("Invalid transaction reference")
        metadata = body.get("metadata")
        with self.lock:
            if reference in self.transactions:
                return self.error("Duplicate Transaction Reference")
            code = secrets.token_hex(8)
            self.next_id += 1
            self.transactions[reference] = FakeTransaction(
                id=self.next_id,
                reference=reference,
                access_code=code,
                email=email,
                amount=raw_amount,
                currency=currency,
                callback_url=str(body.get("callback_url") or ""),
                metadata=metadata if isinstance(metadata, dict) else {},
                key=key,
            )
            self.by_code[code] = reference
        return JSONResponse(
            {
                "status": True,
                "message": "Authorization URL created",
                "data": {
                    "authorization_url": f"{self.url}/checkout/{code}",
                    "access_code": code,
                    "reference": reference,
                },
            }
        )

    def _verify(self, key: str, reference: str) -> Response:
        tx = self.transactions.get(reference)
        if tx is None or tx.key != key:
            return self.error("Transaction reference not found")
        data = {**tx.data(), **self.verify_overrides.get(reference, {})}
        return JSONResponse({"status": True, "message": "Verification successful", "data": data})

    def _refund(self, key: str, body: Any) -> Response:
        if not isinstance(body, dict):
            return self.error("Invalid request body")
        ref = str(body.get("transaction") or "")
        tx = self.transactions.get(ref) or next(
            (t for t in self.transactions.values() if str(t.id) == ref), None
        )
        if tx is None or tx.key != key:
            return self.error("Transaction not found")
        if tx.status != "success":
            return self.error("Transaction has not been paid")
        amount = body.get("amount", tx.amount - tx.refunded)
        if not isinstance(amount, int) or amount <= 0 or amount > tx.amount - tx.refunded:
            return self.error("Refund amount cannot be more than the unrefunded amount")
        tx.refunded += amount
        refund = {
            "id": 3018284 + len(self.refunds),
            "transaction": {"id": tx.id, "reference": tx.reference, "amount": tx.amount},
            "amount": amount,
            "currency": tx.currency,
            "status": "pending",
        }
        self.refunds.append(refund)
        return JSONResponse(
            {"status": True, "message": "Refund has been queued for processing", "data": refund}
        )

    # -- the checkout page --------------------------------------------------------------------

    async def checkout(self, request: Request) -> Response:
        reference = self.by_code.get(request.path_params["code"])
        if reference is None:
            return HTMLResponse("<h1>Invalid transaction</h1>", status_code=404)
        tx = self.transactions[reference]
        amount = f"{tx.currency} {tx.amount / 100:,.2f}"
        page = (
            "<!doctype html><html><head><title>Paystack Checkout</title></head><body>"
            f"<h1>Pay {html.escape(amount)}</h1><p>{html.escape(tx.email)}</p>"
            f'<form method="post" action="/checkout/{tx.access_code}/pay">'
            f'<button type="submit">Pay {html.escape(amount)}</button></form>'
            "</body></html>"
        )
        return HTMLResponse(page)

    async def checkout_pay(self, request: Request) -> Response:
        reference = self.by_code.get(request.path_params["code"])
        if reference is None:
            return HTMLResponse("<h1>Invalid transaction</h1>", status_code=404)
        tx = self.pay(reference)
        if tx.status == "success" and self.webhook_url:
            await self.send_webhook(self.webhook_url, reference)
        query = urlencode({"trxref": reference, "reference": reference})
        sep = "&" if "?" in tx.callback_url else "?"
        return RedirectResponse(f"{tx.callback_url}{sep}{query}", status_code=302)


def _app(state: FakePaystack) -> Starlette:
    return Starlette(
        routes=[
            Route("/checkout/{code}", state.checkout, methods=["GET"]),
            Route("/checkout/{code}/pay", state.checkout_pay, methods=["POST"]),
            Route("/{path:path}", state.api, methods=["GET", "POST"]),
        ]
    )


@pytest.fixture
def paystack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePaystack]:
    """The fake Paystack (one server per test process, state reset per test), configured as
    the operator's account."""
    from repdesk.billing.config import reset_paystack_settings
    from repdesk.inbound.config import reset_inbound_settings

    state = kept_fake("fake Paystack", lambda url: FakePaystack(url=url), _app)
    state.reset()
    monkeypatch.setenv("REPDESK_PAYSTACK_API_URL", state.url)
    monkeypatch.setenv("REPDESK_PAYSTACK_SECRET_KEY", state.secret_key)
    monkeypatch.setenv("REPDESK_PAYSTACK_PUBLIC_KEY", state.public_key)
    monkeypatch.setenv("REPDESK_PAYSTACK_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("REPDESK_INGEST_BATCH_MS", "0")
    reset_paystack_settings()
    reset_inbound_settings()
    yield state
    reset_paystack_settings()
    reset_inbound_settings()


if __name__ == "__main__":
    # A standalone fake Paystack for the benchmarks (its own process): prints {"url": ...}
    # once it listens, then serves until killed.
    import sys

    from tests.fakes.server import ThreadedServer, free_port

    port = free_port()
    fake = FakePaystack(url=f"http://127.0.0.1:{port}")
    if len(sys.argv) > 1:
        fake.keys.add(sys.argv[1])
    server = ThreadedServer(_app(fake), port=port, name="fake Paystack").start()
    print(json.dumps({"url": fake.url}), flush=True)
    try:
        server.thread.join()
    except KeyboardInterrupt:
        sys.exit(0)
