"""The URL guard: which addresses a tenant's URL may reach, at save time and at connect time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import httpx
import httpx2
import pytest
import pytest_asyncio

from repdesk.kit import urlguard
from repdesk.kit.http import guarded_client, guarded_http_client2, guarded_session
from repdesk.kit.urlguard import Reach, UnsafeUrlError

PUBLIC_IP = "93.184.215.14"


def fixed_resolver(address: str) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        return [address]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # shared (carrier-grade NAT)
        "169.254.169.254",  # cloud metadata
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.0.8",
        "198.18.0.1",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001:db8::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not urlguard.address_allowed(address, Reach.PUBLIC)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert urlguard.address_allowed(address, Reach.PUBLIC)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("fc00::1", True),
        ("169.254.169.254", False),  # metadata stays out of reach even then
        ("::ffff:169.254.169.254", False),
        ("fe80::1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
    ],
)
def test_the_operators_private_reach_still_refuses_link_local(address: str, allowed: bool) -> None:
    assert urlguard.address_allowed(address, Reach.PRIVATE) is allowed


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v1",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/v1",
        "http://[::ffff:7f00:1]/v1",
        "http://0x7f000001/v1",
        "http://2130706433/v1",
        "http://0177.0.0.1/v1",
        "http://127.1/v1",
        "http://localhost:11434/v1",  # resolves to 127.0.0.1
        "http://user:pw@example.test/v1",
        "ftp://example.test/v1",
        "not a url",
    ],
)
async def test_check_url_refuses_with_the_field_named(url: str) -> None:
    with pytest.raises(UnsafeUrlError) as caught:
        await urlguard.check_url(url, field="baseUrl", reach=Reach.PUBLIC)
    assert caught.value.message.startswith("baseUrl: ")
    assert caught.value.code == "VALIDATION_ERROR" and caught.value.status == 400


async def test_check_url_refuses_a_name_with_any_private_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def both(host: str, port: int) -> list[str]:
        return [PUBLIC_IP, "10.0.0.5"]

    monkeypatch.setattr(urlguard, "resolver", both)
    with pytest.raises(UnsafeUrlError):
        await urlguard.check_url("https://api.example.test/v1", field="baseUrl", reach=Reach.PUBLIC)
    monkeypatch.setattr(urlguard, "resolver", fixed_resolver(PUBLIC_IP))
    await urlguard.check_url("https://api.example.test/v1", field="baseUrl", reach=Reach.PUBLIC)


class Listener:
    """A local HTTP server that counts the connections it accepts."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self.location = ""  # when set, every answer is a redirect there

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await reader.readexactly(length)
        host = next(
            (
                ln.split(b":", 1)[1].strip()
                for ln in head.split(b"\r\n")
                if ln.lower().startswith(b"host:")
            ),
            b"",
        )
        if self.location:
            status, extra = b"302 Found", b"Location: " + self.location.encode() + b"\r\n"
        else:
            status, extra = b"200 OK", b""
        body = b"secret from " + host
        writer.write(
            b"HTTP/1.1 "
            + status
            + b"\r\n"
            + extra
            + b"Content-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        writer.close()


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    state = Listener()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state


async def test_rebinding_is_refused_at_connect_time_by_every_guarded_client(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name passed the save-time check (it resolved to a public address); now it resolves
    to 127.0.0.1, where a server listens: no guarded client connects to it."""
    url = f"http://api.rebind.test:{listener.port}/v1/models"
    monkeypatch.setattr(urlguard, "resolver", fixed_resolver(PUBLIC_IP))
    await urlguard.check_url(url, field="baseUrl", reach=Reach.PUBLIC)
    monkeypatch.setattr(urlguard, "resolver", fixed_resolver("127.0.0.1"))

    with pytest.raises(httpx.ConnectError, match="not a public address"):
        await guarded_client(Reach.PUBLIC).get(url)
    async with guarded_http_client2(Reach.PUBLIC, 5.0) as sdk_client:
        with pytest.raises(httpx2.ConnectError, match="not a public address"):
            await sdk_client.get(url)
    with pytest.raises(aiohttp.ClientConnectorError, match="not a public address"):
        async with guarded_session(Reach.PUBLIC).get(url):
            pass
    with pytest.raises(aiohttp.ClientConnectorError, match="not a public address"):
        async with guarded_session(Reach.PUBLIC).get(f"http://127.0.0.1:{listener.port}/"):
            pass  # an IP literal skips aiohttp's resolver: the socket factory refuses it
    with pytest.raises(httpx.ConnectError):
        await guarded_client(Reach.PUBLIC).get(f"http://[::ffff:127.0.0.1]:{listener.port}/")
    assert listener.connections == 0


async def test_the_operators_private_reach_connects_to_the_resolved_address(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Positive control: the same clients do connect when the operator allows private
    networks, to the address the guard resolved, with the URL's own Host header."""
    monkeypatch.setattr(urlguard, "resolver", fixed_resolver("127.0.0.1"))
    url = f"http://ollama.internal.test:{listener.port}/v1/models"
    r = await guarded_client(Reach.PRIVATE).get(url)
    assert r.status_code == 200
    assert r.text == f"secret from ollama.internal.test:{listener.port}"
    assert str(r.request.url) == url
    async with guarded_http_client2(Reach.PRIVATE, 5.0) as sdk_client:
        assert (await sdk_client.get(url)).status_code == 200
    async with guarded_session(Reach.PRIVATE).get(url) as resp:
        assert resp.status == 200
    assert listener.connections == 3


async def test_guarded_clients_do_not_follow_redirects(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(urlguard, "resolver", fixed_resolver("127.0.0.1"))
    listener.location = "http://169.254.169.254/latest/meta-data"
    r = await guarded_client(Reach.PRIVATE).get(f"http://svc.test:{listener.port}/")
    assert r.status_code == 302
    async with guarded_http_client2(Reach.PRIVATE, 5.0) as sdk_client:
        assert (await sdk_client.get(f"http://svc.test:{listener.port}/")).status_code == 302
    assert listener.connections == 2
