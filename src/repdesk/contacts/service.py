"""Contacts: the people an assistant talks to. Phone numbers are E.164, unique per assistant."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.events.service import emit
from repdesk.events.types import ContactData, ContactTagData, Event
from repdesk.kit.errors import Conflict, NotFound, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.pagination import check_limit, paginate
from repdesk.kit.phones import normalize_phone
from repdesk.kit.time import utcnow

MAX_TAGS = 50
MAX_TAG_LEN = 50
MAX_ATTRIBUTES_BYTES = 16_000


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
    assistant: Assistant,
    phone: str,
    name: str | None = None,
    tags: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Contact:
    contact = new_contact(
        assistant_id=assistant.id, phone=phone, name=name, tags=tags, attributes=attributes
    )
    e164 = contact.phone
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A contact with phone {e164} already exists.") from exc
    await _emit(session, Event.CONTACT_CREATED, contact, assistant.workspace_id)
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
            tags=[],
            attributes={},
            message_count=0,
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
            await _emit(session, Event.CONTACT_CREATED, contact, assistant.workspace_id)
    if name and not contact.name:
        contact.name = name
    return contact


async def _emit(session: AsyncSession, event: Event, contact: Contact, workspace_id: str) -> None:
    await emit(
        session,
        event,
        ContactData(
            id=contact.id,
            phone=contact.phone,
            visitor_id=contact.visitor_id,
            name=contact.name,
            tags=list(contact.tags or []),
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
    before = list(contact.tags or [])
    if tags is not None:
        contact.tags = _clean_tags(tags)
    if attributes is not None:
        contact.attributes = _clean_attributes(attributes)
    changed = session.is_modified(contact)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("A contact with this phone already exists.") from exc
    if changed:
        assistant = await session.get(Assistant, contact.assistant_id)
        assert assistant is not None
        await _emit(session, Event.CONTACT_UPDATED, contact, assistant.workspace_id)
        after = list(contact.tags or [])
        for event, tag_list in (
            (Event.CONTACT_TAGGED, [t for t in after if t not in before]),
            (Event.CONTACT_UNTAGGED, [t for t in before if t not in after]),
        ):
            for tag in tag_list:
                await emit(
                    session,
                    event,
                    ContactTagData(contact_id=contact.id, tag=tag),
                    workspace_id=assistant.workspace_id,
                    assistant_id=contact.assistant_id,
                )
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
