"""Stored bytes go once no upload names them: a deleted knowledge document's file is collected,
bytes shared with another upload stay, and an upload racing a collection keeps its file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest_asyncio
from sqlalchemy import func, select

from repdesk.db.engine import Database
from repdesk.files import service as files
from repdesk.files.models import StoredFile
from tests.factories import signed_in


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest_asyncio.fixture
async def url(client: httpx.AsyncClient, db: Database) -> str:
    """The document upload URL of a signed-in owner's new assistant."""
    await signed_in(client, db)
    r = await client.post("/api/assistants", json={"name": "Shop", "platform": "whatsapp"})
    assert r.status_code == 201, r.text
    return f"/api/assistants/{r.json()['id']}/knowledge/files"


async def _collect(db: Database) -> int:
    async with db.transaction() as s:
        return await files.collect_unused(s)


async def test_a_deleted_documents_bytes_are_collected_and_shared_bytes_stay(
    client: httpx.AsyncClient, db: Database, url: str
) -> None:
    policy = b"Returns are accepted within 7 days."
    hours = b"We open at 9am every day."
    first = (await client.post(url, files={"file": ("policy.txt", policy, "text/plain")})).json()
    twin = (await client.post(url, files={"file": ("copy.txt", policy, "text/plain")})).json()
    other = (await client.post(url, files={"file": ("hours.txt", hours, "text/plain")})).json()
    async with db.session() as s:
        rows = {f.id: f.sha256 for f in await s.scalars(select(StoredFile))}
    policy_path = files.path_for(rows[first["fileId"]])
    hours_path = files.path_for(rows[other["fileId"]])
    assert policy_path.read_bytes() == policy and hours_path.read_bytes() == hours
    for path in (policy_path, hours_path):
        _age(path, files.GRACE_SECONDS + 60)

    # Deleting a document forgets its upload; bytes another upload has stay on disk.
    assert (await client.delete(f"{url}/{first['id']}")).status_code == 204
    assert (await client.delete(f"{url}/{other['id']}")).status_code == 204
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(StoredFile)) == 1
    assert await _collect(db) == 1
    assert not hours_path.exists()
    assert policy_path.read_bytes() == policy
    r = await client.get(f"/api/files/{twin['fileId']}")
    assert r.status_code == 200 and r.content == policy

    # The last upload of those bytes goes too; nothing else is left, and a new upload of the
    # same content is stored again.
    assert (await client.delete(f"{url}/{twin['id']}")).status_code == 204
    assert await _collect(db) == 1
    assert not policy_path.exists()
    again = (await client.post(url, files={"file": ("p.txt", policy, "text/plain")})).json()
    assert (await client.get(f"/api/files/{again['fileId']}")).content == policy


async def test_recent_files_and_an_upload_racing_the_collection_are_kept(
    client: httpx.AsyncClient, db: Database, url: str
) -> None:
    data = b"Delivery in Lagos takes two days."
    item = (await client.post(url, files={"file": ("d.txt", data, "text/plain")})).json()
    async with db.session() as s:
        sha = await s.scalar(select(StoredFile.sha256))
    assert sha is not None
    path = files.path_for(sha)
    assert (await client.delete(f"{url}/{item['id']}")).status_code == 204

    # Within the grace period (its row may not be committed yet): kept.
    assert await _collect(db) == 0 and path.exists()

    # Old, unnamed, but an upload of the same bytes finds it first: the upload touches it, and
    # the collection leaves it.
    _age(path, files.GRACE_SECONDS + 60)
    files._write(data, sha)
    assert await _collect(db) == 0 and path.read_bytes() == data

    # The upload comes after the collection moved it aside: it writes the file again.
    _age(path, files.GRACE_SECONDS + 60)
    assert files._remove(path, time.time() - files.GRACE_SECONDS) is True
    files._write(data, sha)
    assert path.read_bytes() == data

    # Leftovers of a crashed write, and a file a stopped collection moved aside while a row
    # still names it (put back), are dealt with too.
    leftover = path.with_suffix(".tmp4242")
    leftover.write_bytes(b"half")
    _age(leftover, files.GRACE_SECONDS + 60)
    named = (await client.post(url, files={"file": ("d.txt", data, "text/plain")})).json()
    path.replace(path.with_name(path.name + files.ASIDE))
    _age(path.with_name(path.name + files.ASIDE), files.GRACE_SECONDS + 60)
    assert await _collect(db) == 1  # the leftover
    assert not leftover.exists()
    assert (await client.get(f"/api/files/{named['fileId']}")).content == data
