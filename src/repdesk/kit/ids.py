"""Identifiers: short, URL-safe, and sortable by creation time (so cursors can use them)."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


def new_id() -> str:
    """A 22-character id: ``c`` + 9 chars of milliseconds + 12 random chars."""
    millis = int(time.time() * 1000)
    # 12 base-36 digits from 64 random bits (36**12 < 2**64; the modulo bias is ~1e-19).
    rand = _base36(secrets.randbits(64) % 36**12, 12)
    return "c" + _base36(millis, 9) + rand


def token(nbytes: int = 32) -> str:
    """A random URL-safe token for links, cookies and verify tokens."""
    return secrets.token_urlsafe(nbytes)
