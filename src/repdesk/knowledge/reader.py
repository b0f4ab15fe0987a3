"""Reading a document's text within bounds. Runs in a child process (``documents.extract``
starts it with a time and memory limit), so it imports nothing of repdesk's: bytes and limits
come in on stdin, one JSON line goes out on stdout.

Each reader stops as soon as a bound is reached: the text limit (refused: too much text), the
page bound (the first pages are kept, with a notice), the unpacked size and compression ratio
of a DOCX's parts (checked from the zip's directory before anything is inflated: a zip bomb is
refused without being unpacked; ``zipfile`` also stops any entry at its declared size).
"""

from __future__ import annotations

import io
import json
import logging
import sys
import zipfile
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger("repdesk.knowledge.reader")

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT_MIME = "text/plain"


@dataclass(frozen=True)
class Limits:
    max_chars: int
    max_pages: int
    max_unpacked_bytes: int
    max_ratio: int


class Refused(Exception):
    """The document cannot be learnt from; ``message`` is for the person who uploaded it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Extracted:
    text: str
    notice: str = ""


def _too_much_text(limits: Limits) -> Refused:
    return Refused(
        "DOCUMENT_TOO_LARGE",
        f"The document has more than {limits.max_chars:,} characters of text; "
        "split it into smaller files.",
    )


class _Collector:
    """Text parts up to ``max_chars``; ``add`` raises as soon as the limit is passed."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        self.size += len(text) + 2
        if self.size > self.limits.max_chars:
            raise _too_much_text(self.limits)
        self.parts.append(text)

    def text(self) -> str:
        return "\n\n".join(self.parts)


def read_pdf(data: bytes, limits: Limits) -> Extracted:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Refused(
                "ENCRYPTED_DOCUMENT",
                "The PDF is password-protected. Remove the password and upload it again.",
            )
        out = _Collector(limits)
        total = len(reader.pages)
        for number, page in enumerate(reader.pages):
            if number >= limits.max_pages:
                break
            out.add(page.extract_text() or "")
    except Refused:
        raise
    except Exception as exc:  # pypdf raises many kinds on malformed input; none is our bug
        log.info("unreadable pdf: %r", exc)
        raise Refused("INVALID_DOCUMENT", "The PDF file is corrupt and could not be read.") from exc
    notice = ""
    if total > limits.max_pages:
        notice = f"Only the first {limits.max_pages:,} of {total:,} pages were read."
    return Extracted(out.text(), notice)


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip whose parts would unpack past the size bound, or any sizeable part that
    inflates more than ``max_ratio`` times (from the directory: nothing is inflated here)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Refused(
            "INVALID_DOCUMENT", "The DOCX file is corrupt and could not be read."
        ) from exc
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(1, info.compress_size)
        if total > limits.max_unpacked_bytes or (
            info.file_size > 1_000_000 and ratio > limits.max_ratio
        ):
            raise Refused(
                "DOCUMENT_TOO_LARGE",
                f"The DOCX file unpacks to more than {limits.max_unpacked_bytes // 1_000_000:,} MB "
                f"or is compressed more than {limits.max_ratio}:1; it looks like a zip bomb "
                "and was not read.",
            )


def read_docx(data: bytes, limits: Limits) -> Extracted:
    check_zip(data, limits)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, BadZipFile, lxml errors...
        log.info("unreadable docx: %r", exc)
        raise Refused(
            "INVALID_DOCUMENT", "The DOCX file is corrupt and could not be read."
        ) from exc
    out = _Collector(limits)
    for paragraph in document.paragraphs:
        out.add(paragraph.text)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                out.add(" | ".join(dict.fromkeys(cells)))
    return Extracted(out.text())


def read_txt(data: bytes, limits: Limits) -> Extracted:
    if b"\x00" in data[:4096]:
        raise Refused("UNSUPPORTED_FILE_TYPE", "This is not a text file. Upload PDF, DOCX or TXT.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(text) > limits.max_chars:
            raise _too_much_text(limits)
        return Extracted(text)
    raise Refused(
        "INVALID_DOCUMENT", "The text file's encoding is not supported; save it as UTF-8."
    )


def read(mime: str, data: bytes, limits: Limits) -> Extracted:
    if mime == PDF_MIME:
        result = read_pdf(data, limits)
    elif mime == DOCX_MIME:
        result = read_docx(data, limits)
    else:
        result = read_txt(data, limits)
    result.text = result.text.replace("\x00", "").strip()
    if not result.text:
        hint = " (a scanned PDF has images, not text)" if mime == PDF_MIME else ""
        raise Refused("EMPTY_DOCUMENT", f"The document has no text to learn from{hint}.")
    return result


def main() -> None:
    """The child process: a JSON header line (mime, limits), then the document's bytes."""
    header: dict[str, Any] = json.loads(sys.stdin.buffer.readline())
    try:
        import resource

        limit = int(header["maxMemoryBytes"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit remains
        pass
    data = sys.stdin.buffer.read()
    try:
        result: dict[str, Any] = asdict(read(header["mime"], data, Limits(**header["limits"])))
    except Refused as exc:
        result = {"refused": exc.code, "message": exc.message}
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
