"""The client IP (kit.clientip): X-Forwarded-For is believed only from REPDESK_TRUSTED_PROXIES,
so one client rotating the header cannot escape a per-IP limit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

import repdesk
from repdesk.config import Settings
from repdesk.kit.clientip import parse_networks, resolve
from tests.fakes.server import free_port


def _attempts(client: httpx.Client | Any, forwarded: list[str]) -> list[int]:
    return [
        client.post(
            "/api/auth/login",
            json={"email": f"u{n}@shop.test", "password": "wrong-one"},
            headers={"X-Forwarded-For": ip},
        ).status_code
        for n, ip in enumerate(forwarded)
    ]


ROTATING = [f"203.0.113.{n}" for n in range(1, 7)]


def test_resolve_takes_the_rightmost_address_that_is_not_a_trusted_proxy() -> None:
    proxies = parse_networks("10.0.0.0/8, 192.168.1.7,2001:db8::/32")
    # No trusted proxies: the header is ignored.
    assert resolve("10.1.2.3", ["1.1.1.1"], ()) == "10.1.2.3"
    # The peer is not trusted: ignored too.
    assert resolve("198.51.100.1", ["1.1.1.1"], proxies) == "198.51.100.1"
    # A trusted peer: the client's own claim (left) loses to what the proxies appended.
    assert resolve("10.0.0.1", ["6.6.6.6, 1.1.1.1"], proxies) == "1.1.1.1"
    assert resolve("10.0.0.1", ["6.6.6.6, 1.1.1.1, 192.168.1.7"], proxies) == "1.1.1.1"
    assert resolve("10.0.0.1", ["6.6.6.6", "1.1.1.1, 10.9.9.9"], proxies) == "1.1.1.1"
    assert resolve("2001:db8::5", ["2a00:1450::1"], proxies) == "2a00:1450::1"
    assert resolve("::ffff:10.0.0.1", ["1.1.1.1"], proxies) == "1.1.1.1"
    # Garbage stops the walk at the last address a trusted proxy vouched for.
    assert resolve("10.0.0.1", ["not-an-ip"], proxies) == "10.0.0.1"
    assert resolve("10.0.0.1", ["junk, 10.2.2.2"], proxies) == "10.2.2.2"
    # Everything trusted: the left-most.
    assert resolve("10.0.0.1", ["10.3.3.3, 10.2.2.2"], proxies) == "10.3.3.3"
    assert resolve("10.0.0.1", [], proxies) == "10.0.0.1"


def test_a_bad_trusted_proxies_setting_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="not an IP address or CIDR"):
        Settings(trusted_proxies="10.0.0.0/8, localhost")
    assert Settings(trusted_proxies="").trusted_proxies == ""


async def test_rotating_x_forwarded_for_does_not_escape_the_per_ip_limit(
    client: httpx.AsyncClient, app: Any
) -> None:
    app.state.settings.login_rate_limit = "3/minute"
    codes = [
        (
            await client.post(
                "/api/auth/login",
                json={"email": f"u{n}@shop.test", "password": "wrong-one"},
                headers={"X-Forwarded-For": ip},
            )
        ).status_code
        for n, ip in enumerate(ROTATING)
    ]
    assert codes == [401, 401, 401, 429, 429, 429]


async def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(
    client: httpx.AsyncClient, app: Any
) -> None:
    # httpx's ASGI transport connects from 127.0.0.1.
    app.state.settings.login_rate_limit = "3/minute"
    app.state.settings.trusted_proxies = "127.0.0.0/8"

    async def attempt(ip: str, n: int) -> int:
        r = await client.post(
            "/api/auth/login",
            json={"email": f"u{n}@shop.test", "password": "wrong-one"},
            headers={"X-Forwarded-For": f"6.6.6.6, {ip}"},
        )
        return r.status_code

    # Each forwarded address is its own client...
    assert [await attempt(ip, n) for n, ip in enumerate(ROTATING)] == [401] * 6
    # ...and one of them is limited on its own.
    assert [await attempt(ROTATING[0], n) for n in range(3)] == [401, 401, 429]


@pytest.fixture
def served(data_dir: Path, database_url: str) -> Iterator[str]:
    """``repdesk serve`` as a user runs it (its own uvicorn options), default proxy settings."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("REPDESK_") and k != "FORWARDED_ALLOW_IPS"
    }
    src = str(Path(repdesk.__file__).resolve().parents[1])
    env.update(
        PYTHONPATH=os.pathsep.join([src, env.get("PYTHONPATH", "")]),
        REPDESK_DATA_DIR=str(data_dir),
        REPDESK_DATABASE_URL=database_url,
        REPDESK_LOGIN_RATE_LIMIT="3/minute",
        REPDESK_LOG_FORMAT="text",
        REPDESK_LOG_LEVEL="WARNING",
    )
    cmd = [sys.executable, "-m", "repdesk.cli", "serve", "--no-migrate", "--no-worker"]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"repdesk serve did not start: {err[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_served_app_ignores_x_forwarded_for_from_loopback_by_default(served: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as c:
        assert _attempts(c, ROTATING) == [401, 401, 401, 429, 429, 429]
