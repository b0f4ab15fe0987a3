"""Contacts: the people an assistant talks to. Phone numbers are E.164, unique per assistant."""

from __future__ import annotations

import json
from typing import Any

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.contacts.models import Contact
from repdesk.kit.errors import AppError, Conflict, NotFound, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.pagination import check_limit, paginate
from repdesk.kit.time import utcnow

MAX_TAGS = 50
MAX_TAG_LEN = 50
MAX_ATTRIBUTES_BYTES = 16_000


class InvalidPhoneNumberError(AppError):
    status = 400
    code = "INVALID_PHONE_NUMBER"


def normalize_phone(raw: str) -> str:
    """``+2348012345678`` from an E.164 number (spaces, dashes and dots tolerated).

    A number must start with ``+`` and its country code: local formats are refused rather than
    guessed at."""
    text = (raw or "").strip()
    if not text.startswith("+"):
        raise InvalidPhoneNumberError(
            f"{raw!r} is not an E.164 phone number: use +countrycode number, like +2348012345678."
        )
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumberError(
            f"{raw!r} is not an E.164 phone number: use +countrycode number."
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumberError(f"{raw!r} is not a possible phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        tag = tag.strip() if isinstance(tag, str) else ""
        if not tag or len(tag) > MAX_TAG_LEN:
            raise ValidationError(f"tags: each tag must be 1 to {MAX_TAG_LEN} characters.")
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise ValidationError(f"tags: at most {MAX_TAGS} tags.")
    return out


def _clean_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(attributes, ensure_ascii=False)) > MAX_ATTRIBUTES_BYTES:
        raise ValidationError(f"attributes: at most {MAX_ATTRIBUTES_BYTES} bytes of JSON.")
    if any(not k or len(k) > 64 for k in attributes):
        raise ValidationError("attributes: keys must be 1 to 64 characters.")
    return attributes


def new_contact(
    *,
    assistant_id: str,
    phone: str,
    name: str | None = None,
    tags: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    """A validated contact, not stored (:func:`create` stores it; the Developer API's sandbox
    answers with it)."""
    return Contact(
        id=new_id(),
        assistant_id=assistant_id,
        phone=normalize_phone(phone),
        name=(name or "").strip() or None,
        tags=_clean_tags(tags or []),
        attributes=_clean_attributes(attributes or {}),
        message_count=0,
        created_at=utcnow(),
    )


async def create(
    session: AsyncSession,
    *,
    assistant_id: str,
    phone: str,
    name: str | None = None,
    tags: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    contact = new_contact(
        assistant_id=assistant_id, phone=phone, name=name, tags=tags, attributes=attributes
    )
    e164 = contact.phone
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A contact with phone {e164} already exists.") from exc
    return contact


async def get(session: AsyncSession, *, assistant_id: str, contact_id: str) -> Contact | None:
    return await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.assistant_id == assistant_id)
    )


async def get_or_404(session: AsyncSession, *, assistant_id: str, contact_id: str) -> Contact:
    contact = await get(session, assistant_id=assistant_id, contact_id=contact_id)
    if contact is None:
        raise NotFound("Contact not found.")
    return contact


async def get_by_phone(session: AsyncSession, *, assistant_id: str, phone: str) -> Contact | None:
    return await session.scalar(
        select(Contact).where(Contact.assistant_id == assistant_id, Contact.phone == phone)
    )


async def update(
    session: AsyncSession,
    contact: Contact,
    *,
    phone: str | None = None,
    name: Any = ...,
    tags: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    if phone is not None:
        e164 = normalize_phone(phone)
        if e164 != contact.phone:
            other = await get_by_phone(session, assistant_id=contact.assistant_id, phone=e164)
            if other is not None:
                raise Conflict(f"A contact with phone {e164} already exists.")
            contact.phone = e164
    if name is not ...:
        contact.name = (name or "").strip() or None
    if tags is not None:
        contact.tags = _clean_tags(tags)
    if attributes is not None:
        contact.attributes = _clean_attributes(attributes)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("A contact with this phone already exists.") from exc
    return contact


async def delete(session: AsyncSession, contact: Contact) -> None:
    """Remove the contact and, with it, its conversation history (foreign keys cascade)."""
    await session.delete(contact)
    await session.flush()


async def list_page(
    session: AsyncSession,
    *,
    assistant_id: str,
    limit: int | None,
    cursor: str | None,
    phone: str | None = None,
    tag: str | None = None,
) -> tuple[list[Contact], bool, str | None]:
    stmt = select(Contact).where(Contact.assistant_id == assistant_id)
    if phone:
        stmt = stmt.where(Contact.phone == normalize_phone(phone))
    if tag:
        return await _tag_page(session, stmt, tag, limit, cursor)
    rows, has_more, nxt = await paginate(
        session, stmt, id_column=Contact.id, limit=limit, cursor=cursor
    )
    return list(rows), has_more, nxt


async def _tag_page(
    session: AsyncSession, stmt: Any, tag: str, limit: int | None, cursor: str | None
) -> tuple[list[Contact], bool, str | None]:
    # Tags live in a JSON list (portable across SQLite and PostgreSQL): filter in Python over
    # the assistant's contacts, newest first, still cursor-paginated.
    size = check_limit(limit)
    if cursor:
        if len(cursor) > 64 or not cursor.isalnum():
            raise ValidationError("cursor is not valid.")
        stmt = stmt.where(Contact.id < cursor)
    out: list[Contact] = []
    for contact in await session.scalars(stmt.order_by(Contact.id.desc())):
        if tag in (contact.tags or []):
            out.append(contact)
            if len(out) > size:
                break
    has_more = len(out) > size
    out = out[:size]
    return out, has_more, out[-1].id if has_more and out else None
