"""Secrets at rest: AES-256-GCM under a master key, with a key id for rotation.

Ciphertext format: ``v1:<key id>:<base64url(nonce || ciphertext+tag)>``. The master key comes
from ``REPDESK_SECRET_KEY`` (base64url or hex of 32 bytes; to rotate, give several keys
separated by commas: the first encrypts, all decrypt) or, when unset, from a key file generated
under the data directory on first run. A key's id is derived from the key itself.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger("repdesk.secrets")


class SecretError(Exception):
    pass


def _b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64e(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")


class SecretBox:
    def __init__(self, keys: dict[str, bytes], primary: str) -> None:
        if primary not in keys:
            raise SecretError("primary key id missing")
        for kid, key in keys.items():
            if len(key) != 32:
                raise SecretError(f"key {kid!r} must be 32 bytes")
        self.keys = keys
        self.primary = primary

    @classmethod
    def from_config(cls, secret_key: str, data_dir: Path) -> SecretBox:
        spec = secret_key.strip()
        if not spec:
            path = data_dir / "secret.key"
            if not path.exists():
                data_dir.mkdir(parents=True, exist_ok=True)
                path.write_text(_b64e(os.urandom(32)))
                path.chmod(0o600)
                log.warning(
                    "REPDESK_SECRET_KEY is not set: generated a master key at %s. Back it up; "
                    "set REPDESK_SECRET_KEY in production.",
                    path,
                )
            spec = path.read_text().strip()
        keys: dict[str, bytes] = {}
        primary = ""
        for i, raw in enumerate(p.strip() for p in spec.split(",") if p.strip()):
            try:
                key = bytes.fromhex(raw) if len(raw) == 64 else _b64d(raw)
            except ValueError:
                key = b""
            if len(key) != 32:
                # Any other string is stretched to 32 bytes (a random 32-byte key is better).
                key = hashlib.sha256(raw.encode()).digest()
            kid = hashlib.sha256(key).hexdigest()[:8]
            keys[kid] = key
            if i == 0:
                primary = kid
        return cls(keys, primary)

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        ct = AESGCM(self.keys[self.primary]).encrypt(
            nonce, plaintext.encode(), self.primary.encode()
        )
        return f"v1:{self.primary}:{_b64e(nonce + ct)}"

    def decrypt(self, token: str) -> str:
        try:
            version, kid, body = token.split(":", 2)
        except ValueError as exc:
            raise SecretError("not an encrypted secret") from exc
        if version != "v1" or kid not in self.keys:
            raise SecretError("unknown key id: was the master key rotated away?")
        raw = _b64d(body)
        try:
            return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], kid.encode()).decode()
        except Exception as exc:
            raise SecretError("secret could not be decrypted") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt under the primary key."""
        return self.encrypt(self.decrypt(token))


_box: SecretBox | None = None


def init(secret_key: str, data_dir: Path) -> SecretBox:
    global _box
    _box = SecretBox.from_config(secret_key, data_dir)
    return _box


def box() -> SecretBox:
    if _box is None:
        from repdesk.config import get_settings

        s = get_settings()
        return init(s.secret_key, s.data_dir)
    return _box


def encrypt(plaintext: str) -> str:
    return box().encrypt(plaintext)


def decrypt(token: str) -> str:
    return box().decrypt(token)
