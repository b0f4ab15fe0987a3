"""Visitor tokens: stateless, ``{visitorId}.{hmac}`` signed with a key derived from the master
key, so any replica can check them and nothing is stored until the visitor writes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from repdesk import vault
from repdesk.channels.widget.errors import InvalidVisitorTokenError


def _token_key() -> bytes:
    box = vault.box()
    return hashlib.sha256(b"repdesk-widget-visitor:" + box.keys[box.primary]).digest()


def _sign(assistant_id: str, visitor_id: str) -> str:
    mac = hmac.new(_token_key(), f"{assistant_id}:{visitor_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def issue_visitor_token(assistant_id: str) -> tuple[str, str]:
    visitor_id = "v" + secrets.token_hex(12)
    return visitor_id, f"{visitor_id}.{_sign(assistant_id, visitor_id)}"


def verify_visitor_token(assistant_id: str, token: str | None) -> str:
    visitor_id, _, sig = (token or "").partition(".")
    if (
        not visitor_id
        or not sig
        or len(visitor_id) > 40
        or not hmac.compare_digest(sig, _sign(assistant_id, visitor_id))
    ):
        raise InvalidVisitorTokenError("The visitor token is missing or invalid: start a new chat.")
    return visitor_id


def visitor_topic(visitor_id: str) -> str:
    return f"widget:{visitor_id}"
