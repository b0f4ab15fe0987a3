"""Uploaded documents (PDF, DOCX, TXT): what type one is (at upload, from its first bytes), and
its text (later, in the ``knowledge.extract`` job, read by ``reader`` in a child process)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from repdesk.kit.errors import AppError, ValidationError
from repdesk.knowledge import reader
from repdesk.knowledge.config import get_knowledge_settings
from repdesk.knowledge.reader import DOCX_MIME, PDF_MIME, TXT_MIME

__all__ = ["DOCX_MIME", "PDF_MIME", "TXT_MIME", "detect", "extract"]

_SRC = str(Path(__file__).resolve().parents[2])  # the directory holding the package


class UnsupportedDocumentError(AppError):
    status = 415
    code = "UNSUPPORTED_FILE_TYPE"


def detect(filename: str, data: bytes) -> str:
    """The document's type from its content (not trusting the name alone)."""
    name = filename.lower()
    if data.startswith(b"%PDF-"):
        return PDF_MIME
    if data.startswith(b"PK\x03\x04"):
        if name.endswith(".docx") or _is_docx(data):
            return DOCX_MIME
        raise UnsupportedDocumentError("Only PDF, DOCX and TXT documents can be uploaded.")
    if name.endswith((".pdf",)):
        raise ValidationError("The PDF file is corrupt or not a PDF.", code="INVALID_DOCUMENT")
    if name.endswith(".docx"):
        raise ValidationError(
            "The DOCX file is corrupt or not a Word document.", code="INVALID_DOCUMENT"
        )
    if name.endswith((".txt", ".md", ".text")) or not name or "." not in name:
        return TXT_MIME
    raise UnsupportedDocumentError("Only PDF, DOCX and TXT documents can be uploaded.")


def _is_docx(data: bytes) -> bool:
    # The part's name is in its local header: a scan, not a parse of the zip's directory
    # (this runs in the upload's request; the job's reader checks the zip properly).
    return b"word/document.xml" in data


async def extract(mime: str, data: bytes) -> reader.Extracted:
    """The document's text, read by a child process within the knowledge settings' bounds
    (text, pages, unpacked size and ratio, memory, time). Raises ``reader.Refused`` with a
    plain reason when the document cannot be learnt from; anything else is a fault of ours
    (the job retries it)."""
    settings = get_knowledge_settings()
    limits = reader.Limits(
        max_chars=settings.knowledge_max_extracted_chars,
        max_pages=settings.knowledge_max_pages,
        max_unpacked_bytes=settings.knowledge_max_unpacked_mb * 1_000_000,
        max_ratio=settings.knowledge_max_compression_ratio,
    )
    header = {
        "mime": mime,
        "limits": asdict(limits),
        "maxMemoryBytes": settings.knowledge_extract_memory_mb * 1024 * 1024,
    }
    # The parser sees only what it needs: none of the server's secrets are in its environment.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH", "")) if p),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "repdesk.knowledge.reader",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    timeout = settings.knowledge_extract_timeout
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(json.dumps(header).encode() + b"\n" + data), timeout
        )
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise reader.Refused(
            "DOCUMENT_TOO_LARGE",
            f"Reading the document took longer than {timeout:g} seconds; "
            "split it into smaller files.",
        ) from None
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0:
        if b"MemoryError" in err:
            memory = settings.knowledge_extract_memory_mb
            raise reader.Refused(
                "DOCUMENT_TOO_LARGE",
                f"Reading the document needed more than {memory:,} MB of memory; "
                "split it into smaller files.",
            )
        detail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"document reader exited with {proc.returncode}: {detail[0][:300]}")
    result = json.loads(out)
    if "refused" in result:
        raise reader.Refused(str(result["refused"]), str(result["message"]))
    return reader.Extracted(str(result["text"]), str(result.get("notice") or ""))
