"""Contacts: the people an assistant talks to. Phone numbers are E.164, unique per assistant.

Tags live in ``contact_tags`` and are written only by ``repdesk.contacts.tags``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.contacts import attributes as attribute_defs
from repdesk.contacts.models import Contact, ContactNote, ContactTag
from repdesk.contacts.tags import (
    _emit_tag_events,
    _write_tags,
    clean_tags,
    set_tags,
    tag_list,
    tags_of,
)
from repdesk.events.service import emit
from repdesk.events.types import ContactData, Event
from repdesk.kit.errors import AppError, Conflict, NotFound, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.pagination import paginate
from repdesk.kit.phones import normalize_phone
from repdesk.kit.time import utcnow

MAX_ATTRIBUTES_BYTES = 16_000
MAX_NOTE_LEN = 5000


_EMAIL_MAX = 320


class OptedOutError(AppError):
    """A marketing message to a contact who opted out (wrote STOP, or the owner set it)."""

    status = 400
    code = "CONTACT_OPTED_OUT"


def clean_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(attributes, dict):
        raise ValidationError("attributes must be an object.")
    if len(json.dumps(attributes, ensure_ascii=False, default=str)) > MAX_ATTRIBUTES_BYTES:
        raise ValidationError(f"attributes: at most {MAX_ATTRIBUTES_BYTES} bytes of JSON.")
    if any(not isinstance(k, str) or not k or len(k) > 64 for k in attributes):
        raise ValidationError("attributes: keys must be 1 to 64 characters.")
    return attributes


def clean_email(email: str | None) -> str | None:
    value = (email or "").strip()
    if not value:
        return None
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or " " in value or len(value) > _EMAIL_MAX:
        raise ValidationError("email is not an email address.")
    return value


def new_contact(
    *,
    assistant_id: str,
    phone: str,
    name: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    """A validated contact, not stored (:func:`create` stores it; the Developer API's sandbox
    answers with it)."""
    now = utcnow()
    return Contact(
        id=new_id(),
        assistant_id=assistant_id,
        phone=normalize_phone(phone),
        name=(name or "").strip() or None,
        attributes=clean_attributes(attributes or {}),
        message_count=0,
        outbound_count=0,
        conversations_count=0,
        orders_count=0,
        total_spent=0,
        total_paid=0,
        opted_out=False,
        created_at=now,
    )


async def create(
    session: AsyncSession,
    *,
    assistant: Assistant,
    phone: str,
    name: str | None = None,
    tags: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    contact = new_contact(assistant_id=assistant.id, phone=phone, name=name, attributes=attributes)
    tag_list = clean_tags(tags or [])
    await attribute_defs.check_values(session, assistant.id, contact.attributes)
    e164 = contact.phone
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A contact with phone {e164} already exists.") from exc
    await _write_tags(session, contact, added=tag_list, removed=[])
    await _emit(session, Event.CONTACT_CREATED, contact, assistant.workspace_id, tag_list)
    await _emit_tag_events(session, contact, assistant.workspace_id, tag_list, [])
    return contact


async def upsert(
    session: AsyncSession,
    *,
    assistant: Assistant,
    phone: str | None = None,
    visitor_id: str | None = None,
    name: str | None = None,
) -> Contact:
    """The contact with this phone (already E.164) or widget visitor id, created when new
    (``contact.created``); a name learned later fills an empty one."""
    if not phone and not visitor_id:
        raise ValidationError("A contact needs a phone number or a visitor id.")
    cond = Contact.phone == phone if phone else Contact.visitor_id == visitor_id
    contact = await session.scalar(
        select(Contact).where(Contact.assistant_id == assistant.id, cond)
    )
    if contact is None:
        contact = Contact(
            assistant_id=assistant.id,
            phone=phone,
            visitor_id=visitor_id,
            name=name,
            attributes={},
            message_count=0,
            outbound_count=0,
            conversations_count=0,
            orders_count=0,
            total_spent=0,
            total_paid=0,
            prompts_count=0,
            replies_count=0,
            awaiting_reply=False,
            opted_out=False,
        )
        try:
            async with session.begin_nested():
                session.add(contact)
                await session.flush()
        except IntegrityError:
            contact = await session.scalar(
                select(Contact).where(Contact.assistant_id == assistant.id, cond)
            )
            if contact is None:
                raise
        else:
            await _emit(session, Event.CONTACT_CREATED, contact, assistant.workspace_id, [])
    if name and not contact.name:
        contact.name = name
    return contact


async def _emit(
    session: AsyncSession, event: Event, contact: Contact, workspace_id: str, tags: list[str]
) -> None:
    await emit(
        session,
        event,
        ContactData(
            id=contact.id,
            phone=contact.phone,
            visitor_id=contact.visitor_id,
            name=contact.name,
            tags=tags,
        ),
        workspace_id=workspace_id,
        assistant_id=contact.assistant_id,
    )


async def get(session: AsyncSession, *, assistant_id: str, contact_id: str) -> Contact | None:
    return await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.assistant_id == assistant_id)
    )


async def get_or_404(session: AsyncSession, *, assistant_id: str, contact_id: str) -> Contact:
    contact = await get(session, assistant_id=assistant_id, contact_id=contact_id)
    if contact is None:
        raise NotFound("Contact not found.")
    return contact


async def get_for_workspace(
    session: AsyncSession, *, workspace_id: str, contact_id: str
) -> tuple[Contact, Assistant]:
    """The contact and its assistant when the assistant belongs to the workspace (404
    otherwise: another workspace's contact does not exist here)."""
    row = (
        await session.execute(
            select(Contact, Assistant)
            .join(Assistant, Assistant.id == Contact.assistant_id)
            .where(Contact.id == contact_id, Assistant.workspace_id == workspace_id)
        )
    ).first()
    if row is None:
        raise NotFound("Contact not found.")
    return row[0], row[1]


async def get_by_phone(session: AsyncSession, *, assistant_id: str, phone: str) -> Contact | None:
    return await session.scalar(
        select(Contact).where(Contact.assistant_id == assistant_id, Contact.phone == phone)
    )


# -- writing ----------------------------------------------------------------------------------


async def update(
    session: AsyncSession,
    contact: Contact,
    *,
    phone: str | None = None,
    name: Any = ...,
    email: Any = ...,
    tags: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
    opted_out: bool | None = None,
) -> Contact:
    """Change the given fields (``...`` or None: unchanged); validation errors change nothing."""
    assistant = await session.get(Assistant, contact.assistant_id)
    assert assistant is not None
    new_email = clean_email(email) if email is not ... else ...
    new_tags = clean_tags(tags) if tags is not None else None
    if attributes is not None:
        attributes = clean_attributes(attributes)
        await attribute_defs.check_values(session, contact.assistant_id, attributes)
    if phone is not None:
        e164 = normalize_phone(phone)
        if e164 != contact.phone:
            other = await get_by_phone(session, assistant_id=contact.assistant_id, phone=e164)
            if other is not None:
                raise Conflict(f"A contact with phone {e164} already exists.")
            contact.phone = e164
    if name is not ...:
        contact.name = (name or "").strip()[:200] or None
    if new_email is not ...:
        contact.email = new_email
    if attributes is not None:
        contact.attributes = attributes
    if opted_out is not None:
        set_opted_out(contact, opted_out)
    changed = session.is_modified(contact)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("A contact with this phone already exists.") from exc
    added: list[str] = []
    removed: list[str] = []
    if new_tags is not None:
        added, removed = await set_tags(
            session, contact, new_tags, workspace_id=assistant.workspace_id
        )
    if changed or added or removed:
        await _emit(
            session,
            Event.CONTACT_UPDATED,
            contact,
            assistant.workspace_id,
            await tag_list(session, contact),
        )
    return contact


def set_opted_out(contact: Contact, value: bool, *, now: datetime | None = None) -> bool:
    """Mark the contact opted out of marketing (or back in); True when that changed it."""
    if bool(contact.opted_out) == value:
        return False
    contact.opted_out = value
    contact.opted_out_at = (now or utcnow()) if value else None
    return True


async def is_opted_out(
    session: AsyncSession, *, contact_id: str | None = None, assistant_id: str = "", phone: str = ""
) -> bool:
    """Whether marketing must skip this contact (by id, or by the assistant's phone)."""
    if contact_id is not None:
        contact = await session.get(Contact, contact_id)
        return bool(contact is not None and contact.opted_out)
    if not phone:
        return False
    found = await session.scalar(
        select(Contact.opted_out).where(
            Contact.assistant_id == assistant_id, Contact.phone == phone
        )
    )
    return bool(found)


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
    """The Developer API's list: newest first, by phone or tag (an indexed join)."""
    stmt = select(Contact).where(Contact.assistant_id == assistant_id)
    if phone:
        stmt = stmt.where(Contact.phone == normalize_phone(phone))
    if tag:
        stmt = stmt.where(
            Contact.id.in_(
                select(ContactTag.contact_id).where(
                    ContactTag.assistant_id == assistant_id, ContactTag.tag == tag
                )
            )
        )
    rows, has_more, nxt = await paginate(
        session, stmt, id_column=Contact.id, limit=limit, cursor=cursor
    )
    return list(rows), has_more, nxt


# -- notes ------------------------------------------------------------------------------------


async def add_note(
    session: AsyncSession, contact: Contact, *, body: str, author_id: str | None
) -> ContactNote:
    text = (body or "").strip()
    if not text or len(text) > MAX_NOTE_LEN:
        raise ValidationError(f"note: 1 to {MAX_NOTE_LEN} characters.")
    note = ContactNote(
        contact_id=contact.id, assistant_id=contact.assistant_id, author_id=author_id, body=text
    )
    session.add(note)
    await session.flush()
    return note


async def notes_of(session: AsyncSession, contact: Contact) -> list[ContactNote]:
    rows = await session.scalars(
        select(ContactNote)
        .where(ContactNote.contact_id == contact.id)
        .order_by(ContactNote.id.desc())
        .limit(200)
    )
    return list(rows)


# -- wire shapes ------------------------------------------------------------------------------


def read(contact: Contact, tags: list[str]) -> dict[str, Any]:
    """The contact's public shape (``/v1/contacts``): camelCase JSON."""
    from repdesk.contacts.schemas import ContactRead

    fields = {name: getattr(contact, name) for name in ContactRead.model_fields if name != "tags"}
    return ContactRead(**fields, tags=list(tags)).model_dump(by_alias=True, mode="json")


async def reads(session: AsyncSession, rows: Sequence[Contact]) -> list[dict[str, Any]]:
    tags = await tags_of(session, [c.id for c in rows])
    return [read(c, tags[c.id]) for c in rows]
