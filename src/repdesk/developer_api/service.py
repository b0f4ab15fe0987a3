"""API keys: create (shown once), list, revoke, authenticate. Only SHA-256 hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from repdesk.assistants.models import Assistant
from repdesk.developer_api.models import ApiKey
from repdesk.kit.errors import AppError, NotFound, ValidationError
from repdesk.kit.time import utcnow

PREFIXES = {"live": "rep_live_", "test": "rep_test_"}
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SECRET_LEN = 40
LAST_USED_GRANULARITY = timedelta(seconds=60)


class InvalidApiKeyError(AppError):
    status = 401
    code = "INVALID_API_KEY"


@dataclass
class CreatedKey:
    key: ApiKey
    raw: str  # shown once, never stored


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


async def create_key(
    session: AsyncSession,
    *,
    assistant: Assistant,
    name: str,
    environment: str,
    created_by: str | None = None,
) -> CreatedKey:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("name: must be 1 to 100 characters")
    if environment not in PREFIXES:
        raise ValidationError("environment: must be live or test")
    if assistant.platform != "whatsapp":
        raise ValidationError("The Developer API is available for WhatsApp assistants.")
    prefix = PREFIXES[environment]
    raw = prefix + "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LEN))
    key = ApiKey(
        workspace_id=assistant.workspace_id,
        assistant_id=assistant.id,
        name=name,
        environment=environment,
        key_hash=hash_key(raw),
        prefix=prefix,
        last4=raw[-4:],
        created_by=created_by,
    )
    session.add(key)
    await session.flush()
    return CreatedKey(key, raw)


async def list_keys(session: AsyncSession, *, assistant_id: str) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.assistant_id == assistant_id).order_by(ApiKey.id.desc())
    )
    return list(rows)


async def get_key_for_workspace(session: AsyncSession, *, workspace_id: str, key_id: str) -> ApiKey:
    key = await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.workspace_id == workspace_id)
    )
    if key is None:
        raise NotFound("API key not found.")
    return key


async def revoke_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


def _looks_like_key(raw: str) -> bool:
    return (
        raw.startswith(tuple(PREFIXES.values()))
        and len(raw) == len("rep_live_") + SECRET_LEN
        and raw.isascii()
        and raw.replace("_", "").isalnum()
    )


def check_format(raw: str) -> None:
    """InvalidApiKeyError for something that cannot be a key (no database read)."""
    if not _looks_like_key(raw):
        raise InvalidApiKeyError(
            "The API key is missing or malformed. Send Authorization: Bearer rep_live_…"
        )


async def accept(session: AsyncSession, key: ApiKey | None) -> ApiKey:
    """The key found for a presented hash, if it may be used; notes when it was last used
    (at most once a minute)."""
    if key is None or key.revoked_at is not None:
        raise InvalidApiKeyError("The API key is not valid or has been revoked.")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(key, "last_used_at", now)
    return key


async def check_key(session: AsyncSession, raw: str) -> None:
    """InvalidApiKeyError unless ``raw`` is a known key that is not revoked (reads only)."""
    check_format(raw)
    found = (
        await session.execute(select(ApiKey.revoked_at).where(ApiKey.key_hash == hash_key(raw)))
    ).first()
    if found is None or found[0] is not None:
        raise InvalidApiKeyError("The API key is not valid or has been revoked.")


async def authenticate(session: AsyncSession, raw: str) -> tuple[ApiKey, Assistant]:
    """The live key and its assistant, or InvalidApiKeyError (unknown, malformed or revoked)."""
    check_format(raw)
    row = (
        await session.execute(
            select(ApiKey, Assistant)
            .join(Assistant, Assistant.id == ApiKey.assistant_id)
            .where(ApiKey.key_hash == hash_key(raw))
        )
    ).first()
    key = await accept(session, row[0] if row is not None else None)
    assert row is not None
    return key, row[1]
