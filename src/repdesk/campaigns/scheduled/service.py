"""Scheduled messages: stored with a ``schedules.send`` job due at their time, in the same
transaction, and sent by it through ``conversations.send`` (``sending.send_due``).

Editing and cancelling are conditional UPDATEs (``WHERE state = 'scheduled'``), and the job
claims its message the same way before sending, so of an edit, a cancel and the due job that
race, exactly one wins: a cancelled message is never sent, a sent one is never edited. An edit of
the time enqueues a job for the new time; the job of the old time finds its ``send_at`` gone
and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts import service as accounts
from repdesk.assistants.models import Assistant
from repdesk.campaigns.scheduled.config import get_schedule_settings
from repdesk.campaigns.scheduled.models import ScheduledMessage, ScheduleState
from repdesk.campaigns.scheduled.schemas import (
    ScheduledMessageRead,
    ScheduleTo,
    SendScheduledJob,
)
from repdesk.contacts import service as contacts
from repdesk.conversations.content import MessageContent
from repdesk.conversations.models import Message
from repdesk.jobs.service import enqueue
from repdesk.kit import timezones
from repdesk.kit.errors import Conflict, NotFound, ValidationError
from repdesk.kit.phones import normalize_phone
from repdesk.kit.time import ensure_utc, utcnow


class SendTimeInPast(ValidationError):
    code = "SEND_AT_IN_PAST"


class ScheduleNotEditable(Conflict):
    code = "SCHEDULE_NOT_EDITABLE"


def check_send_at(send_at: datetime, *, now: datetime | None = None) -> datetime:
    """``send_at`` in UTC, rounded up to the second (never early): refused when naive, past or
    too far ahead."""
    if send_at.tzinfo is None or send_at.utcoffset() is None:
        raise ValidationError("sendAt: give the time with its offset (2026-12-24T09:00:00+01:00).")
    when = ensure_utc(send_at)
    now = now or utcnow()
    if when <= now:
        raise SendTimeInPast("sendAt: the time has passed; choose a time in the future.")
    days = get_schedule_settings().schedule_max_days_ahead
    if when > now + timedelta(days=days):
        raise ValidationError(f"sendAt: at most {days} days ahead.")
    if when.microsecond:
        when = when.replace(microsecond=0) + timedelta(seconds=1)
    return when


def _content_json(content: MessageContent) -> dict[str, Any]:
    return content.model_dump(mode="json", by_alias=True, exclude_none=True)


async def _recipient(
    session: AsyncSession, assistant: Assistant, to: ScheduleTo
) -> tuple[str | None, str | None]:
    """(contact_id, phone): a contact of this assistant, or a phone number in E.164."""
    if to.contact_id is not None:
        contact = await contacts.get_or_404(
            session, assistant_id=assistant.id, contact_id=to.contact_id
        )
        return contact.id, None
    assert to.phone is not None
    return None, normalize_phone(to.phone, field="to.phone")


async def _enqueue(session: AsyncSession, row: ScheduledMessage) -> None:
    await enqueue(
        session,
        SendScheduledJob(schedule_id=row.id, send_at=row.send_at),
        run_at=row.send_at,
        dedupe_key=f"schedule:{row.id}:{row.send_at.isoformat()}",
    )


async def create(
    session: AsyncSession,
    *,
    assistant: Assistant,
    to: ScheduleTo,
    content: MessageContent,
    send_at: datetime,
    time_zone: str | None = None,
    created_by: str | None = None,
) -> ScheduledMessage:
    """Check everything, then store the message and its job (both or neither)."""
    when = check_send_at(send_at)
    if time_zone is None:
        workspace = await accounts.get_workspace_or_404(session, assistant.workspace_id)
        time_zone = workspace.timezone
    timezones.checked(time_zone)
    contact_id, phone = await _recipient(session, assistant, to)
    row = ScheduledMessage(
        workspace_id=assistant.workspace_id,
        assistant_id=assistant.id,
        contact_id=contact_id,
        phone=phone,
        content=_content_json(content),
        send_at=when,
        time_zone=time_zone,
        state=ScheduleState.SCHEDULED,
        late=False,
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    await _enqueue(session, row)
    return row


async def _conditional(session: AsyncSession, row: ScheduledMessage, **values: Any) -> None:
    """Write ``values`` only while the message is still ``scheduled`` (ScheduleNotEditable)."""
    done = await session.scalar(
        update(ScheduledMessage)
        .where(ScheduledMessage.id == row.id, ScheduledMessage.state == ScheduleState.SCHEDULED)
        .values(updated_at=utcnow(), **values)
        .returning(ScheduledMessage.id)
        .execution_options(synchronize_session=False)
    )
    if done is None:
        await session.refresh(row)
        raise ScheduleNotEditable(
            f"This message is {row.state}: only a scheduled message can be changed or cancelled."
        )
    await session.refresh(row)


async def update_schedule(
    session: AsyncSession,
    row: ScheduledMessage,
    *,
    assistant: Assistant,
    to: ScheduleTo | None = None,
    content: MessageContent | None = None,
    send_at: datetime | None = None,
    time_zone: str | None = None,
) -> ScheduledMessage:
    """Change what is given, while the message is ``scheduled``; a new time gets a new job."""
    if row.state != ScheduleState.SCHEDULED:
        raise ScheduleNotEditable(
            f"This message is {row.state}: only a scheduled message can be changed or cancelled."
        )
    values: dict[str, Any] = {}
    if send_at is not None:
        values["send_at"] = check_send_at(send_at)
    if time_zone is not None:
        values["time_zone"] = timezones.checked(time_zone)
    if to is not None:
        values["contact_id"], values["phone"] = await _recipient(session, assistant, to)
    if content is not None:
        values["content"] = _content_json(content)
    moved = "send_at" in values and values["send_at"] != row.send_at
    await _conditional(session, row, **values)
    if moved:
        await _enqueue(session, row)
    return row


async def cancel(session: AsyncSession, row: ScheduledMessage) -> ScheduledMessage:
    """Cancel a ``scheduled`` message; its job, when it runs, finds it cancelled."""
    await _conditional(session, row, state=ScheduleState.CANCELLED, handled_at=utcnow())
    return row


async def _one_or_404(session: AsyncSession, *where: ColumnElement[bool]) -> ScheduledMessage:
    row = await session.scalar(select(ScheduledMessage).where(*where))
    if row is None:
        raise NotFound("Scheduled message not found.")
    return row


async def get_for_workspace_or_404(
    session: AsyncSession, *, workspace_id: str, schedule_id: str
) -> ScheduledMessage:
    return await _one_or_404(
        session,
        ScheduledMessage.id == schedule_id,
        ScheduledMessage.workspace_id == workspace_id,
    )


async def get_or_404(
    session: AsyncSession, *, assistant_id: str, schedule_id: str
) -> ScheduledMessage:
    return await _one_or_404(
        session,
        ScheduledMessage.id == schedule_id,
        ScheduledMessage.assistant_id == assistant_id,
    )


async def list_for_assistant(
    session: AsyncSession,
    *,
    assistant_id: str,
    state: ScheduleState | None = None,
    limit: int = 100,
) -> list[ScheduledMessage]:
    """Upcoming ones soonest first; the others latest first."""
    stmt = select(ScheduledMessage).where(ScheduledMessage.assistant_id == assistant_id)
    if state is not None:
        stmt = stmt.where(ScheduledMessage.state == state)
    if state == ScheduleState.SCHEDULED:
        stmt = stmt.order_by(ScheduledMessage.send_at, ScheduledMessage.id)
    else:
        stmt = stmt.order_by(ScheduledMessage.send_at.desc(), ScheduledMessage.id.desc())
    return list(await session.scalars(stmt.limit(limit)))


async def reads(
    session: AsyncSession, rows: Sequence[ScheduledMessage]
) -> list[ScheduledMessageRead]:
    """The read models, with each sent message's own status (one query for all)."""
    ids = [r.message_id for r in rows if r.message_id]
    statuses: dict[str, str] = {}
    if ids:
        found = await session.execute(select(Message.id, Message.status).where(Message.id.in_(ids)))
        statuses = {str(mid): str(status) for mid, status in found}
    return [
        ScheduledMessageRead(
            id=r.id,
            assistant_id=r.assistant_id,
            to=ScheduleTo(contact_id=r.contact_id, phone=None)
            if r.contact_id
            else ScheduleTo(contact_id=None, phone=r.phone),
            content=r.content,
            send_at=r.send_at,
            time_zone=r.time_zone,
            state=ScheduleState(r.state),
            error_code=r.error_code,
            error_message=r.error_message,
            late=r.late,
            handled_at=r.handled_at,
            message_id=r.message_id,
            message_status=statuses.get(r.message_id) if r.message_id else None,
            created_at=r.created_at,
            created_by=r.created_by,
        )
        for r in rows
    ]
