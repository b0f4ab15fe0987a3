"""The Paystack adapter: the only module that speaks Paystack's HTTP API.

It takes and returns our own data objects. Amounts are integers in the currency's minor unit
(kobo, cents); Paystack's samples send them as strings, its schema as integers, so both are
read and integers are sent. A Paystack call that fails comes back as an ``AppError``: the
network or Paystack's 5xx as :class:`PaystackUnavailable` (503, worth retrying), a refusal as
:class:`PaystackError` (502) with Paystack's message, an unknown reference as
:class:`PaystackNotFound`. Secret keys never appear in an error or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from repdesk.billing.config import PaystackSettings, get_paystack_settings
from repdesk.kit.errors import AppError
from repdesk.kit.http import shared_client

SIGNATURE_HEADER = "x-paystack-signature"


class PaystackError(AppError):
    """Paystack refused the call (a bad key, a bad amount, a duplicate reference)."""

    status = 502
    code = "PAYSTACK_ERROR"

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class PaystackUnavailable(PaystackError):
    """Paystack could not be reached, timed out or failed on its side: try again later."""

    status = 503
    code = "PAYSTACK_UNAVAILABLE"


class PaystackNotFound(PaystackError):
    """Paystack knows no transaction with that reference."""

    status = 404
    code = "PAYSTACK_TRANSACTION_NOT_FOUND"


class PaystackNotConfigured(AppError):
    """No Paystack key for this: the server's state, not Paystack's (409, as a request that
    cannot be served as things are configured)."""

    status = 409
    code = "PAYSTACK_NOT_CONFIGURED"


@dataclass(frozen=True)
class Initialized:
    authorization_url: str
    access_code: str
    reference: str


@dataclass(frozen=True)
class Transaction:
    """A transaction as ``GET /transaction/verify/:reference`` reports it. ``status`` is the
    payment's result (success, failed, abandoned, ongoing, pending, processing, queued,
    reversed), not the API call's."""

    id: int | None
    reference: str
    status: str
    amount: int
    currency: str
    paid_at: str | None = None
    channel: str | None = None
    gateway_response: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Refund:
    id: int | None
    status: str
    amount: int
    currency: str


def minor_amount(value: Any) -> int:
    """An amount as Paystack writes it (an integer, or a string of digits) as an int."""
    if isinstance(value, bool):
        raise ValueError("an amount, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(f"not an amount in minor units: {value!r}")


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """``x-paystack-signature``: hex HMAC-SHA512 of the raw body keyed with the secret key,
    compared in constant time."""
    if not header or not secret:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, header.strip().lower())


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def transaction_from(data: dict[str, Any]) -> Transaction:
    """A transaction object (verify's ``data``, a ``charge.success`` webhook's ``data``)."""
    try:
        amount = minor_amount(data.get("amount"))
    except ValueError as exc:
        raise PaystackError("Paystack answered a transaction without a valid amount.") from exc
    raw_id = data.get("id")
    metadata = data.get("metadata")
    return Transaction(
        id=raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None,
        reference=str(data.get("reference") or ""),
        status=str(data.get("status") or ""),
        amount=amount,
        currency=str(data.get("currency") or "").upper(),
        paid_at=data.get("paid_at") or data.get("paidAt"),
        channel=data.get("channel"),
        gateway_response=data.get("gateway_response"),
        metadata=metadata if isinstance(metadata, dict) else {},
    )


# -- webhooks ------------------------------------------------------------------------------


class PaystackSignatureError(AppError):
    status = 401
    code = "INVALID_SIGNATURE"


def parse_webhook(body: bytes) -> dict[str, Any]:
    """A webhook body as JSON (400 ``INVALID_JSON`` for anything else)."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise AppError("The body is not a Paystack webhook JSON object.", code="INVALID_JSON")
    return payload


def charge_of(payload: dict[str, Any]) -> tuple[str, int, str] | None:
    """(reference, amount, currency) of a ``charge.success``; None for anything else."""
    data = payload.get("data")
    if payload.get("event") != "charge.success" or not isinstance(data, dict):
        return None
    reference = data.get("reference")
    if not isinstance(reference, str) or not reference or len(reference) > 100:
        return None
    try:
        amount = minor_amount(data.get("amount"))
    except ValueError:
        return None
    return reference, amount, str(data.get("currency") or "").upper()[:3]


class PaystackClient:
    """Calls Paystack with one secret key (the operator's, or a workspace's)."""

    def __init__(self, secret_key: str, settings: PaystackSettings | None = None) -> None:
        if not secret_key:
            raise PaystackNotConfigured("No Paystack secret key is configured.")
        s = settings or get_paystack_settings()
        self._key = secret_key
        self._base = s.paystack_api_url.rstrip("/")
        self._timeout = s.paystack_timeout_seconds

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = await shared_client().request(
                method,
                self._base + path,
                json=body,
                headers={"Authorization": f"Bearer {self._key}", "Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise PaystackUnavailable("Paystack did not answer in time; try again.") from exc
        except httpx.HTTPError as exc:
            raise PaystackUnavailable(
                f"Paystack could not be reached ({type(exc).__name__}); try again."
            ) from exc
        try:
            payload = response.json()
        except ValueError:
            payload = None
        message = payload.get("message") if isinstance(payload, dict) else None
        message = str(message or "")[:300]
        if response.status_code >= 500:
            raise PaystackUnavailable(
                f"Paystack failed on its side (HTTP {response.status_code}); try again.",
                http_status=response.status_code,
            )
        refused = not isinstance(payload, dict) or not payload.get("status")
        if response.status_code >= 400 or refused:
            if response.status_code == 404 or "not found" in message.lower():
                raise PaystackNotFound(
                    message or "Paystack knows no such transaction.",
                    http_status=response.status_code,
                )
            raise PaystackError(
                f"Paystack refused the request: {message or f'HTTP {response.status_code}'}",
                http_status=response.status_code,
            )
        data = payload.get("data")
        if not isinstance(data, dict):
            raise PaystackError("Paystack answered without data.")
        return data

    async def initialize(
        self,
        *,
        email: str,
        amount: int,
        currency: str,
        reference: str,
        callback_url: str,
        metadata: dict[str, Any],
    ) -> Initialized:
        """``POST /transaction/initialize``: where to send the payer."""
        data = await self._call(
            "POST",
            "/transaction/initialize",
            {
                "email": email,
                "amount": amount,
                "currency": currency,
                "reference": reference,
                "callback_url": callback_url,
                "metadata": metadata,
            },
        )
        url = data.get("authorization_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise PaystackError("Paystack answered without an authorization URL.")
        return Initialized(
            authorization_url=url,
            access_code=str(data.get("access_code") or ""),
            reference=str(data.get("reference") or reference),
        )

    async def verify(self, reference: str) -> Transaction:
        """``GET /transaction/verify/:reference``: the payment's result, to check before
        giving value."""
        data = await self._call("GET", f"/transaction/verify/{quote(reference, safe='')}")
        return transaction_from(data)

    async def refund(self, *, transaction: str, amount: int | None = None) -> Refund:
        """``POST /refund`` of a transaction (its reference or id), in full or ``amount``."""
        body: dict[str, Any] = {"transaction": transaction}
        if amount is not None:
            body["amount"] = amount
        data = await self._call("POST", "/refund", body)
        try:
            refunded = minor_amount(data.get("amount"))
        except ValueError:
            refunded = amount or 0
        raw_id = data.get("id")
        return Refund(
            id=raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None,
            status=str(data.get("status") or ""),
            amount=refunded,
            currency=str(data.get("currency") or "").upper(),
        )


def operator_client() -> PaystackClient:
    """The operator's account (credit top-ups); PaystackNotConfigured without a key."""
    s = get_paystack_settings()
    if not s.configured:
        raise PaystackNotConfigured(
            "Top-ups are unavailable: this server has no Paystack secret key configured."
        )
    return PaystackClient(s.paystack_secret_key.strip(), s)
