"""Webhook URLs may only point at the public internet over HTTPS.

A URL whose host resolves to a private, loopback, link-local, multicast or reserved address is
refused (at registration and again before each delivery, against DNS rebinding), as is plain
``http``, unless the operator allows them for development (``REPDESK_ALLOW_PRIVATE_WEBHOOKS``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from repdesk.config import get_settings
from repdesk.kit.errors import ValidationError

MAX_URL = 2000


class UnsafeWebhookUrlError(ValidationError):
    pass


def _public(addr: str) -> bool:
    ip = ipaddress.ip_address(addr.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def parse_url(url: str) -> tuple[str, str, int]:
    """Check the URL's shape; returns (scheme, host, port)."""
    if not url or len(url) > MAX_URL:
        raise UnsafeWebhookUrlError(f"url must be 1 to {MAX_URL} characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhookUrlError("url is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeWebhookUrlError("url must be an absolute https:// URL.")
    if parts.username or parts.password:
        raise UnsafeWebhookUrlError("url must not contain credentials.")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


async def check_url(url: str) -> None:
    """Raise UnsafeWebhookUrlError unless ``url`` may receive webhooks."""
    scheme, host, port = parse_url(url)
    if get_settings().allow_private_webhooks:
        return
    if scheme != "https":
        raise UnsafeWebhookUrlError("url must use https.")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeWebhookUrlError(f"url's host {host!r} does not resolve.") from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(_public(a) for a in addresses):
        raise UnsafeWebhookUrlError(
            "url must resolve to a public address (not private, loopback or link-local)."
        )
