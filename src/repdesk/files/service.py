from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.config import get_settings
from repdesk.files.models import StoredFile
from repdesk.kit.errors import NotFound, ValidationError

MAX_BYTES = 100 * 1024 * 1024


def _root() -> Path:
    return get_settings().data_dir / "files"


def path_for(sha256: str) -> Path:
    return _root() / sha256[:2] / sha256


def _write(data: bytes, sha: str) -> None:
    target = path_for(sha)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(target)  # atomic: a reader never sees half a file


async def save(
    session: AsyncSession,
    *,
    workspace_id: str,
    data: bytes,
    mime_type: str,
    filename: str = "",
    assistant_id: str | None = None,
    purpose: str = "media",
) -> StoredFile:
    """Store bytes (written before the row, so a committed row always has its file)."""
    if not data:
        raise ValidationError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ValidationError("The file is too large.")
    sha = hashlib.sha256(data).hexdigest()
    await asyncio.to_thread(_write, data, sha)
    stored = StoredFile(
        workspace_id=workspace_id,
        assistant_id=assistant_id,
        sha256=sha,
        mime_type=(mime_type or "application/octet-stream")[:120],
        size=len(data),
        filename=os.path.basename(filename or "")[:255],
        purpose=purpose,
    )
    session.add(stored)
    await session.flush()
    return stored


async def read(stored: StoredFile) -> bytes:
    path = path_for(stored.sha256)
    if not path.exists():
        raise NotFound("The file's content is missing.")
    return await asyncio.to_thread(path.read_bytes)


async def get_for_workspace(
    session: AsyncSession, *, workspace_id: str, file_id: str
) -> StoredFile:
    stored = await session.scalar(
        select(StoredFile).where(StoredFile.id == file_id, StoredFile.workspace_id == workspace_id)
    )
    if stored is None:
        raise NotFound("File not found.")
    return stored


async def get(session: AsyncSession, file_id: str) -> StoredFile | None:
    return await session.get(StoredFile, file_id)
