"""Contacts' tags: one ``contact_tags`` row per contact and tag (indexed by assistant and tag),
written only here; ``contact.tagged`` / ``contact.untagged`` follow each change."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact, ContactTag
from repdesk.db.base import table_of
from repdesk.db.upsert import insert_ignore
from repdesk.events.service import emit
from repdesk.events.types import ContactTagData, Event
from repdesk.kit.errors import ValidationError

MAX_TAGS = 50
MAX_TAG_LEN = 50
_POSITION_EPOCH = 1_704_067_200  # 2024-01-01


def later_position() -> int:
    """A tag position after every tag a contact has (milliseconds since 2024: tags added
    later list later), for writes that add without reading the contact's tags."""
    return MAX_TAGS + int(time.time() * 1000) - _POSITION_EPOCH * 1000


def clean_tags(tags: Iterable[Any]) -> list[str]:
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


async def _emit_tag_events(
    session: AsyncSession,
    contact: Contact,
    workspace_id: str,
    added: Sequence[str],
    removed: Sequence[str],
) -> None:
    for event, tag_list in ((Event.CONTACT_TAGGED, added), (Event.CONTACT_UNTAGGED, removed)):
        for tag in tag_list:
            await emit(
                session,
                event,
                ContactTagData(contact_id=contact.id, tag=tag),
                workspace_id=workspace_id,
                assistant_id=contact.assistant_id,
            )


# -- tags -------------------------------------------------------------------------------------


async def tags_of(session: AsyncSession, contact_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each contact's tags, sorted (one query for any number of contacts)."""
    out: dict[str, list[str]] = {cid: [] for cid in contact_ids}
    if not contact_ids:
        return out
    rows = await session.execute(
        select(ContactTag.contact_id, ContactTag.tag)
        .where(ContactTag.contact_id.in_(list(contact_ids)))
        .order_by(ContactTag.contact_id, ContactTag.position, ContactTag.tag)
    )
    for contact_id, tag in rows:
        out[contact_id].append(tag)
    return out


async def tag_list(session: AsyncSession, contact: Contact) -> list[str]:
    return (await tags_of(session, [contact.id]))[contact.id]


async def assistant_tags(session: AsyncSession, assistant_id: str) -> list[str]:
    """Every tag in use at the assistant (for the filter pickers)."""
    rows = await session.scalars(
        select(ContactTag.tag)
        .where(ContactTag.assistant_id == assistant_id)
        .group_by(ContactTag.tag)
        .order_by(ContactTag.tag)
        .limit(500)
    )
    return list(rows)


async def _write_tags(
    session: AsyncSession,
    contact: Contact,
    *,
    added: Sequence[str],
    removed: Sequence[str],
) -> None:
    if added:
        await insert_ignore(
            session,
            table_of(ContactTag),
            [
                {
                    "contact_id": contact.id,
                    "tag": t,
                    "assistant_id": contact.assistant_id,
                    "position": i,
                }
                for i, t in enumerate(added)
            ],
            conflict=("contact_id", "tag"),
        )
    if removed:
        await session.execute(
            sql_delete(ContactTag).where(
                ContactTag.contact_id == contact.id, ContactTag.tag.in_(list(removed))
            )
        )


async def set_tags(
    session: AsyncSession, contact: Contact, tags: list[str], *, workspace_id: str
) -> tuple[list[str], list[str]]:
    """Make the contact's tags exactly ``tags``; returns (added, removed)."""
    wanted = clean_tags(tags)
    before = await tag_list(session, contact)
    added = [t for t in wanted if t not in before]
    removed = [t for t in before if t not in wanted]
    if wanted != before:  # rewritten whole: the list keeps the order it was given in
        await _write_tags(session, contact, added=[], removed=before)
        await _write_tags(session, contact, added=wanted, removed=[])
    await _emit_tag_events(session, contact, workspace_id, added, removed)
    return added, removed


async def bulk_tag(
    session: AsyncSession,
    *,
    assistant: Assistant,
    contact_ids: Sequence[str],
    tag: str,
    remove: bool = False,
) -> int:
    """Add (or remove) one tag on many of the assistant's contacts; returns how many changed."""
    (clean,) = clean_tags([tag])
    ids = list(
        await session.scalars(
            select(Contact.id).where(
                Contact.assistant_id == assistant.id, Contact.id.in_(list(contact_ids))
            )
        )
    )
    have = set(
        await session.scalars(
            select(ContactTag.contact_id).where(
                ContactTag.contact_id.in_(ids), ContactTag.tag == clean
            )
        )
    )
    changing = [cid for cid in ids if (cid in have) == remove]
    if not changing:
        return 0
    if remove:
        await session.execute(
            sql_delete(ContactTag).where(
                ContactTag.contact_id.in_(changing), ContactTag.tag == clean
            )
        )
    else:
        await insert_ignore(
            session,
            table_of(ContactTag),
            [
                {
                    "contact_id": c,
                    "tag": clean,
                    "assistant_id": assistant.id,
                    "position": later_position(),
                }
                for c in changing
            ],
            conflict=("contact_id", "tag"),
        )
    event = Event.CONTACT_UNTAGGED if remove else Event.CONTACT_TAGGED
    for cid in changing:
        await emit(
            session,
            event,
            ContactTagData(contact_id=cid, tag=clean),
            workspace_id=assistant.workspace_id,
            assistant_id=assistant.id,
        )
    return len(changing)


# -- reading ----------------------------------------------------------------------------------
