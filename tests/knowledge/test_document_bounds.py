"""Hostile uploads: read in a job, outside any transaction, within bounds (zip bombs refused
unread, pages cut at the bound, a time limit), while other writes go on."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from repdesk.knowledge.config import get_knowledge_settings


@pytest.fixture
def knowledge_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set REPDESK_KNOWLEDGE_* for one test (the settings are cached)."""
    get_knowledge_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_knowledge_settings.cache_clear()


def zip_bomb_docx(unpacked_mb: int = 200) -> bytes:
    """A DOCX whose document.xml is ``unpacked_mb`` MB of repeated text (about 1000:1)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><w:document><w:body>')
            run = b"<w:p><w:r><w:t>" + b"a" * 1000 + b"</w:t></w:r></w:p>"
            block = run * (1_000_000 // len(run))
            for _ in range(unpacked_mb):
                part.write(block)
            part.write(b"</w:body></w:document>")
    return buf.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    """A small PDF of ``pages`` pages sharing one content stream (about 120 KB for 20,000)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 11 Tf 50 750 Td (Opening hours are 9am to 6pm.) Tj ET")
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Contents")] = writer._add_object(content)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    for _ in range(pages - 1):
        writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


async def _upload(client: httpx.AsyncClient, assistant_id: str, name: str, data: bytes) -> dict:
    r = await client.post(
        f"/api/assistants/{assistant_id}/knowledge/files",
        files={"file": (name, data, "application/octet-stream")},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "processing"
    return dict(r.json())


async def _get(client: httpx.AsyncClient, assistant_id: str, item_id: str) -> dict:
    r = await client.get(f"/api/assistants/{assistant_id}/knowledge/files/{item_id}")
    return dict(r.json())


def reader_worker(db: Database) -> Worker:
    """Runs only the documents' reading (not the re-index after it), for timing it."""
    return Worker(db, kinds=["knowledge.extract"])


async def test_a_zip_bomb_docx_is_refused_quickly_without_being_unpacked(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    bomb = zip_bomb_docx(200)
    assert len(bomb) < 2_000_000  # 200 MB of XML in well under 2 MB
    started = time.monotonic()
    item = await _upload(client, assistant_id, "handbook.docx", bomb)
    await reader_worker(db).drain()
    elapsed = time.monotonic() - started
    item = await _get(client, assistant_id, item["id"])
    assert item["status"] == "failed" and item["errorCode"] == "DOCUMENT_TOO_LARGE", item
    assert "zip bomb" in item["statusDetail"]
    assert item["chunks"] == 0
    assert elapsed < 10, elapsed  # the audit's 1 GB bomb took 43-51 s and 4.8 GB


async def test_a_docx_that_unpacks_past_the_size_bound_is_refused(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker, knowledge_env: pytest.MonkeyPatch
) -> None:
    knowledge_env.setenv("REPDESK_KNOWLEDGE_MAX_UNPACKED_MB", "5")
    knowledge_env.setenv("REPDESK_KNOWLEDGE_MAX_COMPRESSION_RATIO", "100000")
    item = await _upload(client, assistant_id, "big.docx", zip_bomb_docx(8))
    await worker.drain()
    item = await _get(client, assistant_id, item["id"])
    assert item["status"] == "failed" and "more than 5 MB" in item["statusDetail"]


async def test_a_20000_page_pdf_is_cut_at_the_page_bound_quickly(
    client: httpx.AsyncClient, assistant_id: str, db: Database, worker: Worker
) -> None:
    pdf = many_pages_pdf(20_000)
    assert len(pdf) < 300_000
    started = time.monotonic()
    item = await _upload(client, assistant_id, "hours.pdf", pdf)
    await reader_worker(db).drain()
    elapsed = time.monotonic() - started
    await worker.drain()  # the re-index
    item = await _get(client, assistant_id, item["id"])
    assert item["status"] == "ready", item
    bound = get_knowledge_settings().knowledge_max_pages
    assert item["statusDetail"] == f"Only the first {bound:,} of 20,000 pages were read."
    assert item["content"].count("Opening hours are 9am to 6pm.") == bound
    assert item["chunks"] > 0
    assert elapsed < 8, elapsed  # all 20,000 pages took 15 s in the audit


async def test_too_much_text_is_refused_as_soon_as_the_limit_is_passed(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker, knowledge_env: pytest.MonkeyPatch
) -> None:
    knowledge_env.setenv("REPDESK_KNOWLEDGE_MAX_EXTRACTED_CHARS", "5000")
    item = await _upload(client, assistant_id, "long.pdf", many_pages_pdf(400))
    txt = await _upload(client, assistant_id, "long.txt", b"word " * 2000)
    await worker.drain()
    for one in (item, txt):
        got = await _get(client, assistant_id, one["id"])
        assert got["status"] == "failed" and got["errorCode"] == "DOCUMENT_TOO_LARGE", got
        assert "more than 5,000 characters" in got["statusDetail"]


async def test_other_writes_go_on_while_a_slow_document_is_read(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker, knowledge_env: pytest.MonkeyPatch
) -> None:
    """On SQLite every transaction holds the write lock: reading a document inside one made
    every other write wait (the audit's signed webhook answered 500 "database is locked")."""
    knowledge_env.setenv("REPDESK_KNOWLEDGE_MAX_PAGES", "1000000")  # read all 20,000 pages…
    knowledge_env.setenv("REPDESK_KNOWLEDGE_EXTRACT_TIMEOUT", "5")  # …for 5 s at most
    pdf = many_pages_pdf(20_000)

    async def upload_then_read() -> httpx.Response:
        r = await client.post(
            f"/api/assistants/{assistant_id}/knowledge/files",
            files={"file": ("slow.pdf", pdf, "application/pdf")},
        )
        await worker.drain()
        return r

    slow = asyncio.create_task(upload_then_read())
    await asyncio.sleep(2.0)  # the upload is answered and its text is being read
    started = time.monotonic()
    r = await client.post(
        f"/api/assistants/{assistant_id}/knowledge",
        json={"type": "text", "title": "Hours", "content": "We open at 9am."},
    )
    took = time.monotonic() - started
    assert r.status_code == 201, r.text
    assert not slow.done()  # the write went through while the document was still being read
    assert took < 2, took
    upload = await slow
    assert upload.status_code == 201
    item = await _get(client, assistant_id, upload.json()["id"])
    assert item["status"] == "failed" and "longer than 5 seconds" in item["statusDetail"], item
