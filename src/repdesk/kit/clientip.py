"""The client's IP address, for every per-IP limit (login, widget) and anything that records it.

Proxy headers are trusted only from the addresses in ``REPDESK_TRUSTED_PROXIES`` (IPs or CIDRs,
comma-separated; empty by default, so ``X-Forwarded-For`` is ignored). uvicorn runs with
``proxy_headers=False`` and this is the one place that reads the header: behind trusted
proxies the client is the right-most address in ``X-Forwarded-For`` that is not itself a
trusted proxy, since every address left of it was written by whoever sent the request.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def parse_networks(value: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.168.1.7"`` → networks; raises ValueError on an entry that is not one."""
    networks = []
    for part in value.split(","):
        part = part.strip()
        if part:
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ValueError(f"not an IP address or CIDR: {part!r}") from exc
    return tuple(networks)


def _address(value: str) -> Address | None:
    try:
        addr = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: Address, networks: tuple[Network, ...]) -> bool:
    return any(addr.version == net.version and addr in net for net in networks)


def resolve(peer: str, forwarded_for: list[str], networks: tuple[Network, ...]) -> str:
    """The client address given the socket's peer and the ``X-Forwarded-For`` header values."""
    peer_addr = _address(peer)
    if peer_addr is None:
        return peer
    if not networks or not _trusted(peer_addr, networks):
        return str(peer_addr)
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer_addr
    for hop in reversed(hops):
        addr = _address(hop)
        if addr is None:
            break  # garbage: keep the last address a trusted proxy vouched for
        client = addr
        if not _trusted(addr, networks):
            break
    return str(client)


def client_ip(conn: HTTPConnection) -> str:
    """The IP address of the client behind ``conn`` (a request or a WebSocket)."""
    peer = conn.client.host if conn.client else "unknown"
    networks = parse_networks(conn.app.state.settings.trusted_proxies)
    return resolve(peer, conn.headers.getlist("x-forwarded-for"), networks)
