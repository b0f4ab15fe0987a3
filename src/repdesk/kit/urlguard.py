"""The one guard for every URL a tenant can make the server fetch.

A workspace's AI ``baseUrl``, a developer webhook endpoint, a media download link: anything a
tenant (or an outside system acting for one) chooses goes through here, twice.

- **At save time** :func:`check_url` parses the URL, refuses odd host forms (``0x7f000001``,
  ``2130706433``, credentials in the URL) and resolves the host: every address must be allowed.
  It raises a 400 ``VALIDATION_ERROR`` naming the field.
- **At connect time** the clients of :mod:`repdesk.kit.http` made with a :class:`Reach`
  (``guarded_session`` for aiohttp, ``guarded_client`` / ``guarded_transport`` for httpx and
  the OpenAI SDK's httpx2) check the address they actually connect to, so a name that resolved
  to a public address when it was saved and to ``127.0.0.1`` now (DNS rebinding) is refused.
  They follow no redirects and ignore proxy environment variables.

Allowed addresses are public ones: loopback, private, shared (``100.64.0.0/10``),
link-local (``169.254.169.254``), unspecified, multicast, reserved and documentation ranges
are refused, as are IPv4-mapped, 6to4, NAT64 and Teredo forms of them. The operator (never
the tenant) may let tenants reach private networks (a local Ollama, a development webhook
receiver) with ``Reach.PRIVATE``; link-local, multicast and unspecified addresses stay refused
even then. URLs the operator configures in the environment are trusted and not guarded.

Resolution goes through :data:`resolver` (``getaddrinfo`` by default), which tests replace
to make a public-looking name resolve to a private address.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from repdesk.kit.errors import ValidationError

MAX_URL = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Reach(enum.Enum):
    PUBLIC = "public"  # tenant URLs by default: public addresses only
    PRIVATE = "private"  # the operator allows private networks too (not link-local)


class UnsafeUrlError(ValidationError):
    """A URL the server must not fetch (400 VALIDATION_ERROR)."""


class BlockedAddressError(OSError):
    """Raised by the guarded clients' connection layer for an address that is not allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, message)  # strerror: what aiohttp's errors show

    def __str__(self) -> str:
        return str(self.strerror)


_V4_DENY = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
_V6_DENY = tuple(
    ipaddress.IPv6Network(n)
    for n in ("::/8", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8")
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_V4_NEVER = tuple(  # refused even when the operator allows private networks
    ipaddress.IPv4Network(n) for n in ("0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4")
)
_V6_NEVER = tuple(ipaddress.IPv6Network(n) for n in ("::/128", "fe80::/10", "ff00::/8"))


def _unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 transition form (mapped, NAT64, 6to4) carries, else ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def is_public(ip: IPAddress) -> bool:
    """True when ``ip`` (or the IPv4 address it embeds) is a public unicast address."""
    inner = _unwrap(ip)
    if isinstance(inner, ipaddress.IPv4Address):
        return inner.is_global and not any(inner in n for n in _V4_DENY)
    if inner.teredo is not None or inner in _NAT64_LOCAL:
        return False
    return inner.is_global and not any(inner in n for n in _V6_DENY)


def address_allowed(address: str | IPAddress, reach: Reach) -> bool:
    if isinstance(address, str):
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
    else:
        ip = address
    if is_public(ip):
        return True
    if reach is not Reach.PRIVATE:
        return False
    inner = _unwrap(ip)
    if isinstance(inner, ipaddress.IPv4Address):
        return not any(inner in n for n in _V4_NEVER)
    return not any(inner in n for n in _V6_NEVER)


async def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


Resolver = Callable[[str, int], Awaitable[list[str]]]

# How host names become addresses, for the save-time check and the guarded clients alike.
# Tests replace it (``monkeypatch.setattr(urlguard, "resolver", fake)``).
resolver: Resolver = _getaddrinfo


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (an IP literal is its own address)."""
    bare = host.strip("[]")
    try:
        return [str(ipaddress.ip_address(bare))]
    except ValueError:
        pass
    return await resolver(bare, port)


async def allowed_addresses(host: str, port: int, reach: Reach) -> list[str]:
    """The addresses of ``host`` the guard lets a client connect to; BlockedAddressError when
    there are none."""
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise BlockedAddressError(f"{host} does not resolve") from exc
    allowed = [a for a in addresses if address_allowed(a, reach)]
    if not allowed:
        shown = ", ".join(addresses[:3]) or "nothing"
        raise BlockedAddressError(f"refused to connect to {host} ({shown}): not a public address")
    return allowed


def _legacy_ipv4(host: str) -> bool:
    """Hosts like ``2130706433``, ``0x7f000001``, ``127.1`` or ``0177.0.0.1``, which C
    resolvers read as IPv4 addresses although they are not dotted quads."""
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return True
    return False


def parse_url(url: str, *, field: str) -> tuple[str, str, int]:
    """Check the URL's shape; returns (scheme, host, port)."""
    if not url or len(url) > MAX_URL:
        raise UnsafeUrlError(f"{field}: must be 1 to {MAX_URL} characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError(f"{field}: is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https") or not host:
        raise UnsafeUrlError(f"{field}: must be an absolute http(s) URL.")
    if parts.username or parts.password:
        raise UnsafeUrlError(f"{field}: must not contain credentials.")
    if _legacy_ipv4(host):
        raise UnsafeUrlError(f"{field}: the host must be a name or a dotted IPv4 address.")
    return scheme, host, port or (443 if scheme == "https" else 80)


async def check_url(url: str, *, field: str, reach: Reach, require_https: bool = False) -> None:
    """Raise UnsafeUrlError (naming ``field``) unless the server may fetch ``url``: every
    address its host resolves to now must be allowed (the guarded clients check again at
    connect time)."""
    scheme, host, port = parse_url(url, field=field)
    if require_https and scheme != "https":
        raise UnsafeUrlError(f"{field}: must use https.")
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise UnsafeUrlError(f"{field}: the host {host!r} does not resolve.") from exc
    if not addresses or not all(address_allowed(a, reach) for a in addresses):
        raise UnsafeUrlError(
            f"{field}: must resolve to a public address (not private, loopback, link-local "
            "or reserved)."
        )


def check_literal(url: str, *, field: str, reach: Reach) -> None:
    """The checks that need no DNS (shape, IP literals), for a URL about to be fetched by a
    guarded client, which checks resolved names itself."""
    _, host, _ = parse_url(url, field=field)
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not address_allowed(ip, reach):
        raise UnsafeUrlError(f"{field}: must resolve to a public address.")
