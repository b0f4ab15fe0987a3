"""Paystack webhook benchmark: a burst of signed ``charge.success`` deliveries for a workspace's
order payments, posted concurrently to a running repdesk through the one inbound intake, then
all of them again as redeliveries.

    .venv/bin/python bench/paystack_ingest.py [--orders 1000] [--concurrency 16]
        [--backend sqlite|postgres|both] [--pg postgresql://postgres@127.0.0.1:5432/test]

For each backend: a fresh database is migrated; a workspace with its own Paystack key (on the
fake Paystack, ``tests/fakes/paystack.py``, in its own process), N orders and a payment link
each (initialized on the fake, then paid there) are created; ``repdesk serve --no-worker`` and
one ``repdesk worker`` are started. Reported: acknowledged deliveries/s and p50/p99 per phase,
server CPU per delivery, how long until every order was paid (each verified with the fake
Paystack by a ``payments.confirm`` job), and whether any order was paid twice or not at all.
Compare the acknowledgement rate with ``bench/ingest.py`` run in the same sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, drop_pg, free_port, make_pg, pct, post_webhooks  # noqa: E402

KEY = "sk_test_bench1234567890abcdef"


def start_fake() -> tuple[subprocess.Popen[bytes], str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.paystack", KEY],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    url = str(json.loads(proc.stdout.readline())["url"])
    return proc, url


async def prepare(url: str, data_dir: Path, n: int) -> tuple[str, list[tuple[str, int, str]]]:
    """The workspace, its Paystack account, N paid order links: (webhook path, payments)."""
    from repdesk import config, vault
    from repdesk.accounts import service as accounts
    from repdesk.assistants import service as assistants
    from repdesk.config import Settings
    from repdesk.db.engine import Database
    from repdesk.db.models_all import import_all_models
    from repdesk.orders import service as orders
    from repdesk.payments import orders as order_payments
    from repdesk.payments import service as payments

    import_all_models()
    settings = Settings(data_dir=data_dir, database_url=url, public_url="http://127.0.0.1")
    config.use_settings(settings)
    vault.init("", data_dir)
    db = Database(settings.resolved_database_url)
    links: list[tuple[str, int, str, str]] = []
    try:
        async with db.transaction() as session:
            _, ws = await accounts.register(
                session,
                email="bench@shop.test",
                password="bench password 1",
                business_name="Bench",
                verified=True,
                send_email=False,
            )
            assistant = await assistants.create(
                session, workspace_id=ws.id, name="Bench", platform="widget"
            )
            account = await payments.update(
                session, workspace_id=ws.id, paystack_secret_key=KEY, instructions=None
            )
            path = account.webhook_path
            for i in range(n):
                order = await orders.create(
                    session,
                    assistant=assistant,
                    new=orders.NewOrder(
                        currency="NGN",
                        items=[orders.LineItem(name="Soap", quantity=1, unit_price=10_000 + i)],
                    ),
                )
                p = await order_payments.payment_link(
                    session, workspace_id=ws.id, order=order, email=f"c{i}@bench.test"
                )
                links.append((p.reference, p.amount, p.currency, p.url))
    finally:
        await db.dispose()
    async with httpx.AsyncClient(timeout=30) as client:
        for _, _, _, link in links:  # the customers pay on the fake's checkout
            r = await client.post(link + "/pay")
            assert r.status_code == 302, r.text
    return path, [(r, a, c) for r, a, c, _ in links]


def charge_webhooks(payments: list[tuple[str, int, str]]) -> list[tuple[bytes, str]]:
    out = []
    for i, (reference, amount, currency) in enumerate(payments):
        body = json.dumps(
            {
                "event": "charge.success",
                "data": {
                    "id": 5_000_000 + i,
                    "domain": "test",
                    "status": "success",
                    "reference": reference,
                    "amount": amount,
                    "currency": currency,
                    "gateway_response": "Successful",
                    "channel": "card",
                    "paid_at": "2026-12-04T09:15:02.000Z",
                    "customer": {"email": f"c{i}@bench.test"},
                },
            }
        ).encode()
        out.append((body, hmac.new(KEY.encode(), body, hashlib.sha512).hexdigest()))
    return out


async def paid_counts(url: str) -> tuple[int, int]:
    """(orders paid, orders whose history records 'paid' more than once)."""
    from repdesk.orders.models import Order

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(Order.payment_status, Order.history))).all()
    finally:
        await engine.dispose()
    paid = sum(1 for status, _ in rows if status == "paid")
    twice = sum(
        1 for _, history in rows if sum(h.get("paymentStatus") == "paid" for h in history) > 1
    )
    return paid, twice


async def run_backend(backend: str, args: argparse.Namespace, fake_url: str) -> dict[str, Any]:
    from repdesk.db.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix=f"paystack-{backend}-"))
    data_dir = tmp / "data"
    data_dir.mkdir()
    pg_name = None
    if backend == "postgres":
        pg_name, url = await make_pg(args.pg, "repdesk_bench_paystack")
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'repdesk.db'}"
    await asyncio.to_thread(upgrade, url)
    path, payments = await prepare(url, data_dir, args.orders)
    port = free_port()
    env = dict(
        os.environ,
        REPDESK_DATABASE_URL=url,
        REPDESK_DATA_DIR=str(data_dir),
        REPDESK_LOG_LEVEL="WARNING",
        REPDESK_LOG_FORMAT="text",
        REPDESK_PAYSTACK_API_URL=fake_url,
        PYTHONPATH=str(ROOT / "src"),
    )
    cli = [sys.executable, "-m", "repdesk.cli"]
    serve = [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*serve, "--no-migrate", "--no-worker"], env=env, stderr=subprocess.DEVNULL
    )
    worker = subprocess.Popen([*cli, "worker"], env=env, stderr=subprocess.DEVNULL)
    result: dict[str, Any] = {"backend": backend, "orders": args.orders}
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                try:
                    if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        items = charge_webhooks(payments)
        # Warm-up (not counted): charges of references that are nobody's (stored, then
        # ignored by the handler), as bench/ingest.py warms up with a few messages.
        warm = charge_webhooks([(f"warm-{i}", 100, "NGN") for i in range(50)])
        await post_webhooks(
            port, f"/webhooks/paystack/{path}", warm, 4, signature_header="x-paystack-signature"
        )
        t_start = time.perf_counter()
        for phase in ("first delivery", "redelivery"):
            cpu0 = cpu_seconds(server.pid)
            seconds, lat, errors = await post_webhooks(
                port,
                f"/webhooks/paystack/{path}",
                items,
                args.concurrency,
                signature_header="x-paystack-signature",
            )
            result[phase] = {
                "deliveries": len(items),
                "acked_per_second": round(len(items) / seconds, 1),
                "p50_ms": round(pct(lat, 50) * 1000, 1),
                "p99_ms": round(pct(lat, 99) * 1000, 1),
                "errors": errors,
                "server_cpu_ms_per_delivery": round(
                    (cpu_seconds(server.pid) - cpu0) / len(items) * 1000, 2
                ),
            }
            print(backend, phase, result[phase], flush=True)
        deadline = time.perf_counter() + 600
        paid, twice = await paid_counts(url)
        while paid < args.orders and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
            paid, twice = await paid_counts(url)
        result["seconds_until_all_paid"] = round(time.perf_counter() - t_start, 1)
        result["paid"] = paid
        result["paid_twice"] = twice
        result["each_paid_once"] = paid == args.orders and twice == 0
    finally:
        for proc in (server, worker):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if pg_name:
            await drop_pg(args.pg, pg_name)
    return result


async def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--orders", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="postgres")
    p.add_argument(
        "--pg",
        default=os.environ.get("REPDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = p.parse_args()
    fake, fake_url = start_fake()
    os.environ["REPDESK_PAYSTACK_API_URL"] = fake_url  # prepare() checks the key on the fake
    try:
        backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
        results = {
            "machine": f"{os.cpu_count()} cores, {platform.machine()}",
            "python": platform.python_version(),
            "concurrency": args.concurrency,
            "runs": [await run_backend(b, args, fake_url) for b in backends],
        }
    finally:
        fake.terminate()
        fake.wait(10)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
