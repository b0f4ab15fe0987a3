"""Text out of uploaded documents (PDF, DOCX, TXT). Pure functions: bytes in, text out, or a
clear ``ValidationError`` (corrupt, encrypted, empty, unsupported) before anything is stored."""

from __future__ import annotations

import io
import logging
import zipfile

from repdesk.kit.errors import AppError, ValidationError

log = logging.getLogger("repdesk.knowledge.documents")

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT_MIME = "text/plain"


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
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError(
                "The PDF is password-protected. Remove the password and upload it again.",
                code="ENCRYPTED_DOCUMENT",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except ValidationError:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
    ) as exc:
        log.info("unreadable pdf: %s", exc)
        raise ValidationError(
            "The PDF file is corrupt and could not be read.", code="INVALID_DOCUMENT"
        ) from exc
    except Exception as exc:  # pypdf raises many kinds on malformed input; none is our bug
        log.info("unreadable pdf: %r", exc)
        raise ValidationError(
            "The PDF file is corrupt and could not be read.", code="INVALID_DOCUMENT"
        ) from exc
    return "\n\n".join(p.strip() for p in pages if p.strip())


def _docx_text(data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, BadZipFile, lxml errors...
        log.info("unreadable docx: %r", exc)
        raise ValidationError(
            "The DOCX file is corrupt and could not be read.", code="INVALID_DOCUMENT"
        ) from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                parts.append(" | ".join(dict.fromkeys(cells)))
    return "\n\n".join(p.strip() for p in parts if p.strip())


def _txt_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise UnsupportedDocumentError("This is not a text file. Upload PDF, DOCX or TXT.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "The text file's encoding is not supported; save it as UTF-8.", code="INVALID_DOCUMENT"
    )


def extract_text(filename: str, data: bytes) -> tuple[str, str]:
    """(mime type, text). Raises ``ValidationError`` when there is nothing usable."""
    if not data:
        raise ValidationError("The file is empty.", code="EMPTY_DOCUMENT")
    mime = detect(filename, data)
    if mime == PDF_MIME:
        text = _pdf_text(data)
    elif mime == DOCX_MIME:
        text = _docx_text(data)
    else:
        text = _txt_text(data)
    text = text.replace("\x00", "").strip()
    if not text:
        hint = " (a scanned PDF has images, not text)" if mime == PDF_MIME else ""
        raise ValidationError(
            f"The document has no text to learn from{hint}.", code="EMPTY_DOCUMENT"
        )
    return mime, text
