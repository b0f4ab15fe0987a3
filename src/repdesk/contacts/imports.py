"""CSV import of contacts: a preview with a suggested column mapping, then the
``contacts.import`` job, which reads the stored file one chunk of rows per run (each run its
own transaction, so progress shows while a large file imports and a crash resumes at the last
committed chunk), validates each row and upserts by phone in batches.

Idempotent on phone: a row whose E.164 phone exists updates that contact (name and email when
given, attributes merged, tags added); re-running a chunk changes nothing more. Imports write
rows in bulk and emit no per-contact events.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.models import Assistant
from repdesk.contacts import attributes as attribute_defs
from repdesk.contacts import service as contacts
from repdesk.contacts import tags as contact_tags
from repdesk.contacts.models import Contact, ContactImport, ContactTag
from repdesk.contacts.schemas import ImportContactsJob
from repdesk.db.base import table_of
from repdesk.db.upsert import insert_ignore
from repdesk.files import service as files
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import AppError, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.phones import known_region, normalize_phone
from repdesk.kit.time import utcnow

JOB = ImportContactsJob.kind
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 100
CHUNK_ROWS = 10_000  # rows per job run (one transaction)
BATCH_ROWS = 1000  # rows per statement batch
MAX_ERRORS_KEPT = 1000
PREVIEW_ROWS = 5
FIELDS = ("phone", "name", "email", "tags")
_ALIASES = {
    "phone": {
        "phone",
        "phone number",
        "phonenumber",
        "mobile",
        "whatsapp",
        "number",
        "tel",
        "telephone",
        "msisdn",
        "cell",
        "contact",
    },
    "name": {"name", "full name", "fullname", "customer", "customer name", "contact name"},
    "email": {"email", "e-mail", "email address", "mail"},
    "tags": {"tags", "tag", "labels", "label", "groups"},
}
_SLUG = re.compile(r"[^a-z0-9]+")
_TAG_SPLIT = re.compile(r"[,;|]")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _reader(text: str) -> Any:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text), dialect)


def attribute_key(header: str) -> str:
    slug = _SLUG.sub("_", header.strip().lower()).strip("_")[:60]
    if not slug or not slug[0].isalpha():
        slug = f"col_{slug}"[:60]
    return slug


def suggest_mapping(columns: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        lowered = column.strip().lower()
        target = next((f for f in FIELDS if lowered in _ALIASES[f] and f not in taken), None)
        if target:
            taken.add(target)
            out[column] = target
        else:
            out[column] = f"attribute:{attribute_key(column)}" if column.strip() else "skip"
    return out


def preview(data: bytes) -> tuple[list[str], list[list[str]], dict[str, str]]:
    """The header, the first rows and a suggested mapping of what may be only the file's
    first kilobytes (a last, cut line is left out)."""
    text = _text(data)
    if len(data) >= 4096 and "\n" in text:
        text = text[: text.rindex("\n")]
    rows = list(_limited(_reader(text), PREVIEW_ROWS + 1))
    if not rows or not any(c.strip() for c in rows[0]):
        raise ValidationError("file: the CSV has no header row.")
    columns = [c.strip() for c in rows[0]][:MAX_COLUMNS]
    return columns, [r[: len(columns)] for r in rows[1:]], suggest_mapping(columns)


def _limited(reader: Any, n: int) -> Iterator[list[str]]:
    for i, row in enumerate(reader):
        if i >= n:
            return
        yield row


def check_mapping(columns: list[str], mapping: dict[str, str]) -> dict[str, str]:
    clean: dict[str, str] = {}
    seen: set[str] = set()
    for column in columns:
        target = mapping.get(column, "skip")
        if not isinstance(target, str):
            raise ValidationError(f"mapping.{column}: must be a string.")
        if target.startswith("attribute:"):
            key = target.removeprefix("attribute:")
            if not key or len(key) > 64 or key in attribute_defs.RESERVED:
                raise ValidationError(f"mapping.{column}: {target!r} is not an attribute key.")
        elif target not in (*FIELDS, "skip"):
            raise ValidationError(
                f"mapping.{column}: one of phone, name, email, tags, attribute:<key>, skip."
            )
        if target in FIELDS and target in seen:
            raise ValidationError(f"mapping: two columns map to {target}.")
        seen.add(target)
        clean[column] = target
    unknown = set(mapping) - set(columns)
    if unknown:
        raise ValidationError(f"mapping: no column named {sorted(unknown)[0]!r} in the file.")
    if "phone" not in seen:
        raise ValidationError("mapping: one column must be the phone number.")
    return clean


async def start(
    session: AsyncSession,
    *,
    assistant: Assistant,
    data: bytes,
    filename: str,
    default_country: str | None,
    mapping: dict[str, str] | None,
    created_by: str | None,
) -> ContactImport:
    """Check the file's header and the mapping, store the file, and queue the import."""
    if not data:
        raise ValidationError("file: the file is empty.")
    if len(data) > MAX_BYTES:
        raise ValidationError(f"file: at most {MAX_BYTES // (1024 * 1024)} MB.")
    country = (default_country or "").strip().upper() or None
    if country is not None and (len(country) != 2 or not known_region(country)):
        raise ValidationError("defaultCountry: a two-letter country code, like NG.")
    columns, _rows, suggested = preview(data[:65536])
    chosen = check_mapping(columns, mapping if mapping is not None else suggested)
    stored = await files.save(
        session,
        workspace_id=assistant.workspace_id,
        assistant_id=assistant.id,
        data=data,
        mime_type="text/csv",
        filename=filename,
        purpose="import",
    )
    job = ContactImport(
        assistant_id=assistant.id,
        file_id=stored.id,
        filename=(filename or "contacts.csv")[:255],
        default_country=country,
        mapping=chosen,
        status="queued",
        rows_done=0,
        total=0,
        created=0,
        updated=0,
        failed=0,
        errors=[],
        created_by=created_by,
    )
    session.add(job)
    await session.flush()
    await enqueue(session, ImportContactsJob(import_id=job.id))
    return job


async def get_for_workspace(
    session: AsyncSession, *, workspace_id: str, import_id: str
) -> ContactImport:
    return await assistants.get_in_workspace(
        session, ContactImport, import_id, workspace_id=workspace_id, missing="Import not found."
    )


async def recent(session: AsyncSession, assistant_id: str, limit: int = 5) -> list[ContactImport]:
    rows = await session.scalars(
        select(ContactImport)
        .where(ContactImport.assistant_id == assistant_id)
        .order_by(ContactImport.id.desc())
        .limit(limit)
    )
    return list(rows)


# -- the job ----------------------------------------------------------------------------------


class _Row:
    __slots__ = ("attributes", "email", "line", "name", "phone", "tags")

    def __init__(
        self,
        line: int,
        phone: str,
        name: str | None,
        email: str | None,
        tags: list[str],
        attributes: dict[str, Any],
    ) -> None:
        self.line, self.phone, self.name, self.email = line, phone, name, email
        self.tags, self.attributes = tags, attributes


def _parse_row(
    line: int,
    values: list[str],
    columns: list[str],
    mapping: dict[str, str],
    definitions: dict[str, Any],
    country: str | None,
) -> _Row:
    fields: dict[str, str] = {}
    raw_attributes: dict[str, Any] = {}
    for column, value in zip(columns, values, strict=False):
        target = mapping.get(column, "skip")
        value = value.strip()
        if target == "skip" or not value:
            continue
        if target.startswith("attribute:"):
            raw_attributes[target.removeprefix("attribute:")] = value
        else:
            fields[target] = value
    if not fields.get("phone"):
        raise ValidationError("phone: missing.")
    phone = normalize_phone(fields["phone"], default_region=country)
    name = fields.get("name")
    if name and len(name) > 200:
        raise ValidationError("name: at most 200 characters.")
    email = contacts.clean_email(fields.get("email"))
    tags = contact_tags.clean_tags(t for t in _TAG_SPLIT.split(fields.get("tags", "")) if t.strip())
    attrs = contacts.clean_attributes(attribute_defs.apply(definitions, raw_attributes))
    return _Row(line, phone, name, email, tags, attrs)


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = _reader(text)
    for values in reader:
        yield reader.line_num, values


async def run_chunk(session: AsyncSession, import_id: str) -> None:
    """One run of the ``contacts.import`` job: the next chunk of rows."""
    job = await session.get(ContactImport, import_id)
    if job is None or job.status in ("done", "failed"):
        return
    stored = await files.get(session, job.file_id) if job.file_id else None
    if stored is None:
        job.status, job.finished_at = "failed", utcnow()
        job.errors = [{"row": 0, "message": "The uploaded file is gone."}]
        return
    text = _text(await files.read(stored))
    records = _records(text)
    header = next(records, None)
    columns = [c.strip() for c in header[1]] if header else []
    if job.status == "queued":
        rows = sum(1 for _ in _records(text)) - 1
        job.total = min(max(rows, 0), MAX_ROWS)
        job.status = "running"
        if rows > MAX_ROWS:
            job.errors = [{"row": 0, "message": f"Only the first {MAX_ROWS} rows are imported."}]
    definitions = await attribute_defs.by_key(session, job.assistant_id)
    errors = list(job.errors or [])
    done = 0
    batch: list[_Row] = []
    end = min(job.rows_done + CHUNK_ROWS, job.total)
    for index, (line, values) in enumerate(records):
        if index < job.rows_done:
            continue
        if index >= end:
            break
        done += 1
        if not any(v.strip() for v in values):
            continue
        try:
            batch.append(
                _parse_row(line, values, columns, job.mapping, definitions, job.default_country)
            )
        except AppError as exc:
            job.failed += 1
            if len(errors) < MAX_ERRORS_KEPT:
                errors.append({"row": line, "message": exc.message})
        if len(batch) >= BATCH_ROWS:
            await _write_batch(session, job, batch)
            batch = []
    if batch:
        await _write_batch(session, job, batch)
    job.errors = errors
    job.rows_done += done
    if job.rows_done >= job.total:
        job.status, job.finished_at = "done", utcnow()
        job.file_id = None
        await files.discard(session, stored)
    else:
        await enqueue(session, ImportContactsJob(import_id=job.id))


async def _write_batch(session: AsyncSession, job: ContactImport, rows: list[_Row]) -> None:
    merged: dict[str, _Row] = {}
    for row in rows:  # a phone twice in one batch: the later row adds to the earlier
        first = merged.get(row.phone)
        if first is None:
            merged[row.phone] = row
            continue
        first.name = row.name or first.name
        first.email = row.email or first.email
        first.tags = list(dict.fromkeys([*first.tags, *row.tags]))
        first.attributes = {**first.attributes, **row.attributes}
    existing = {
        phone: (cid, attrs)
        for cid, phone, attrs in (
            await session.execute(
                select(Contact.id, Contact.phone, Contact.attributes).where(
                    Contact.assistant_id == job.assistant_id, Contact.phone.in_(list(merged))
                )
            )
        ).all()
    }
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for phone, row in merged.items():
        if phone in existing:
            cid, attrs = existing[phone]
            ids[phone] = cid
            change: dict[str, Any] = {"id": cid}
            if row.name:
                change["name"] = row.name
            if row.email:
                change["email"] = row.email
            if row.attributes:
                change["attributes"] = {**(attrs or {}), **row.attributes}
            changes.append(change)
        else:
            ids[phone] = new_id()
            new_rows.append(
                {
                    "id": ids[phone],
                    "assistant_id": job.assistant_id,
                    "phone": phone,
                    "name": row.name,
                    "email": row.email,
                    "attributes": row.attributes,
                    "created_at": now,
                }
            )
    inserted = set(
        await insert_ignore(
            session,
            table_of(Contact),
            new_rows,
            conflict=("assistant_id", "phone"),
            returning="id",
        )
    )
    raced = [r["phone"] for r in new_rows if r["id"] not in inserted]
    if raced:  # created meanwhile by a message: tag the contact that exists
        for cid, raced_phone in await session.execute(
            select(Contact.id, Contact.phone).where(
                Contact.assistant_id == job.assistant_id, Contact.phone.in_(raced)
            )
        ):
            ids[str(raced_phone)] = cid
    for group in _same_keys(changes):
        await session.execute(update(Contact), group)
    position = contact_tags.later_position()
    tag_rows = [
        {
            "contact_id": ids[phone],
            "tag": tag,
            "assistant_id": job.assistant_id,
            "position": position + i,  # after the tags the contact has
        }
        for phone, row in merged.items()
        for i, tag in enumerate(row.tags)
    ]
    await insert_ignore(session, table_of(ContactTag), tag_rows, conflict=("contact_id", "tag"))
    job.created += len(inserted)
    job.updated += len(merged) - len(inserted)


def _same_keys(changes: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Bulk UPDATEs by primary key need the same keys in every row of one executemany."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        if len(change) > 1:
            groups.setdefault(tuple(sorted(change)), []).append(change)
    return list(groups.values())
