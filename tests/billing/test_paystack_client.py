"""The Paystack adapter against the fake Paystack: Paystack's formats in and out, its
refusals, timeouts and 5xx as our errors, and the webhook signature check."""

from __future__ import annotations

import pytest

from repdesk.billing.paystack import (
    PaystackClient,
    PaystackError,
    PaystackNotFound,
    PaystackUnavailable,
    minor_amount,
    signature_ok,
)
from tests.fakes.paystack import FakePaystack


async def initialize(client: PaystackClient, reference: str, amount: int = 500_000) -> str:
    init = await client.initialize(
        email="owner@shop.test",
        amount=amount,
        currency="NGN",
        reference=reference,
        callback_url="http://testserver/billing/top-ups/return",
        metadata={"workspace_id": "w1", "credits": 500},
    )
    assert init.reference == reference and init.access_code
    return init.authorization_url


async def test_initialize_verify_and_refund(paystack: FakePaystack) -> None:
    client = PaystackClient(paystack.secret_key)
    url = await initialize(client, "rd-1")
    assert url.startswith(paystack.url + "/checkout/")
    sent = paystack.calls("/transaction/initialize")[0][2]
    assert sent["amount"] == 500_000 and isinstance(sent["amount"], int)
    assert sent["metadata"] == {"workspace_id": "w1", "credits": 500}

    before = await client.verify("rd-1")
    assert (before.status, before.amount, before.currency) == ("abandoned", 500_000, "NGN")
    paystack.pay("rd-1")
    after = await client.verify("rd-1")
    assert after.status == "success" and after.reference == "rd-1" and after.id
    assert after.metadata["credits"] == 500

    refund = await client.refund(transaction="rd-1", amount=100_000)
    assert (refund.amount, refund.currency, refund.status) == (100_000, "NGN", "pending")


async def test_refusals_timeouts_and_5xx_are_our_errors(paystack: FakePaystack) -> None:
    client = PaystackClient(paystack.secret_key)
    with pytest.raises(PaystackNotFound):
        await client.verify("nobody-knows")
    with pytest.raises(PaystackError, match="Invalid key") as bad_key:
        await PaystackClient("sk_test_wrong").verify("x")
    assert bad_key.value.status == 502 and "sk_test_wrong" not in bad_key.value.message
    await initialize(client, "rd-2")
    with pytest.raises(PaystackError, match="Duplicate"):
        await initialize(client, "rd-2")
    paystack.fail_next("5xx")
    with pytest.raises(PaystackUnavailable) as five:
        await client.verify("rd-2")
    assert five.value.status == 503
    paystack.fail_next("timeout", path_contains="verify")
    with pytest.raises(PaystackUnavailable, match="in time"):
        await client.verify("rd-2")
    assert (await client.verify("rd-2")).status == "abandoned"


async def test_declined_payment_verifies_as_failed(paystack: FakePaystack) -> None:
    client = PaystackClient(paystack.secret_key)
    await initialize(client, "rd-3")
    paystack.decline_next()
    paystack.pay("rd-3")
    assert (await client.verify("rd-3")).status == "failed"


def test_signature_is_hex_hmac_sha512_of_the_raw_body(paystack: FakePaystack) -> None:
    paystack.transactions.clear()
    from tests.fakes.paystack import FakeTransaction

    paystack.transactions["r"] = FakeTransaction(
        1, "r", "code", "a@b.c", 100, "NGN", "", {}, paystack.secret_key
    )
    body, headers = paystack.webhook("r")
    sig = headers["x-paystack-signature"]
    assert signature_ok(paystack.secret_key, body, sig)
    assert signature_ok(paystack.secret_key, body, sig.upper())
    assert not signature_ok("sk_test_other", body, sig)
    assert not signature_ok(paystack.secret_key, body + b" ", sig)
    assert not signature_ok(paystack.secret_key, body, None)
    assert not signature_ok("", body, sig)


def test_amounts_are_read_as_integers_or_digit_strings() -> None:
    assert minor_amount(20000) == minor_amount("20000") == 20000
    for bad in ("20.5", None, True, "-1", 1.5):
        with pytest.raises(ValueError):
            minor_amount(bad)


def test_webhook_bodies_are_read_strictly() -> None:
    from repdesk.billing.paystack import charge_of, parse_webhook
    from repdesk.kit.errors import AppError

    for bad in (b"not json", b"[]", b'{"data": {}}'):
        with pytest.raises(AppError) as err:
            parse_webhook(bad)
        assert err.value.code == "INVALID_JSON" and err.value.status == 400
    ok = {
        "event": "charge.success",
        "data": {"reference": "r1", "amount": "500", "currency": "ngn"},
    }
    assert charge_of(ok) == ("r1", 500, "NGN")
    assert charge_of({**ok, "event": "transfer.success"}) is None
    assert charge_of({"event": "charge.success", "data": {"reference": "r", "amount": "x"}}) is None
    assert charge_of({"event": "charge.success", "data": {"amount": 1}}) is None
