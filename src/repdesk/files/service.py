"""Stored files: bytes on disk under ``<data dir>/files``, named by their SHA-256 (one copy of
identical uploads), and a ``stored_files`` row per upload that says who owns them.

Rows go away with what owns them (an assistant, a workspace, a knowledge document); their bytes
are collected later by ``files.collect`` (hourly), once no row names them. A file is touched when
an upload finds it already there, and the collection leaves anything touched within the grace
period, so an upload racing a collection keeps its bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.config import get_settings
from repdesk.files.models import StoredFile
from repdesk.kit.errors import NotFound, ValidationError

log = logging.getLogger("repdesk.files")

MAX_BYTES = 100 * 1024 * 1024
# Longer than any upload takes from writing its bytes to committing its row.
GRACE_SECONDS = 3600.0
COLLECT_EVERY_SECONDS = 3600


def _root() -> Path:
    return get_settings().data_dir / "files"


def path_for(sha256: str) -> Path:
    return _root() / sha256[:2] / sha256


def _write(data: bytes, sha: str) -> None:
    target = path_for(sha)
    try:
        os.utime(target)  # already stored: fresh again, so a collection running now keeps it
        return
    except FileNotFoundError:
        pass
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


async def discard(session: AsyncSession, stored: StoredFile) -> None:
    """Forget an upload. Its bytes go at the next collection, unless another row names them."""
    await session.delete(stored)


def _stale(root: Path, older_than: float) -> list[Path]:
    """Files (and leftover temporary files) not written or touched since ``older_than``."""
    found: list[Path] = []
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < older_than:
                    found.append(path)
            except FileNotFoundError:
                continue
    return found


ASIDE = ".collecting"


def _sha_of(path: Path) -> str | None:
    """The content a file on disk holds (None for a temporary file left by a crash)."""
    name = path.name.removesuffix(ASIDE)
    return name if len(name) == 64 and all(c in "0123456789abcdef" for c in name) else None


def _remove(path: Path, older_than: float) -> bool:
    """Remove a file no row names, unless an upload touched it meanwhile. The file is first
    moved aside (atomic), then its time is checked again: an upload that touched it before the
    move is seen and the file put back; one that comes after the move finds no file and writes
    it again (the same bytes: putting the old copy back over it would change nothing)."""
    if _sha_of(path) is None or path.name.endswith(ASIDE):
        path.unlink(missing_ok=True)  # a crashed write's or collection's leftover
        return True
    aside = path.with_name(path.name + ASIDE)
    try:
        path.replace(aside)
    except FileNotFoundError:
        return False
    if aside.stat().st_mtime >= older_than:
        aside.replace(path)
        return False
    aside.unlink()
    return True


def _put_back(path: Path) -> None:
    """A file moved aside by a collection that stopped half-way, and named by a row."""
    target = path.with_name(path.name.removesuffix(ASIDE))
    if not target.exists():
        path.replace(target)
    else:
        path.unlink(missing_ok=True)


async def collect_unused(session: AsyncSession, *, grace_seconds: float = GRACE_SECONDS) -> int:
    """Delete the stored bytes that no ``stored_files`` row names any more (and what crashed
    writes left behind). Returns how many files went."""
    older_than = time.time() - grace_seconds
    stale = await asyncio.to_thread(_stale, _root(), older_than)
    removed = 0
    for start in range(0, len(stale), 500):
        chunk = stale[start : start + 500]
        shas = {sha for sha in map(_sha_of, chunk) if sha is not None}
        used = set(
            await session.scalars(
                select(StoredFile.sha256).where(StoredFile.sha256.in_(shas)).distinct()
            )
        )

        def sweep(chunk: list[Path] = chunk, used: set[str] = used) -> int:
            count = 0
            for path in chunk:
                if _sha_of(path) in used:
                    if path.name.endswith(ASIDE):
                        _put_back(path)
                    continue
                count += _remove(path, older_than)
            return count

        removed += await asyncio.to_thread(sweep)
    if removed:
        log.info("unused files removed", extra={"removed": removed})
    return removed
