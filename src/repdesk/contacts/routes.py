"""The customer book's management API: contacts, bulk tags, CSV import and export, custom
attribute definitions and the opt-out settings (session auth, camelCase)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from pydantic import Field
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants import service as assistants
from repdesk.assistants.deps import AssistantDep
from repdesk.assistants.models import Assistant
from repdesk.contacts import attributes as attribute_defs
from repdesk.contacts import computed, imports, optout, query
from repdesk.contacts import export as exporter
from repdesk.contacts import service as contacts
from repdesk.contacts import tags as contact_tags
from repdesk.contacts.models import Contact, ContactImport
from repdesk.contacts.schemas import (
    AttributeCreate,
    AttributeRead,
    BulkTag,
    ContactDetail,
    ContactPatch,
    ContactSettings,
    ImportCreated,
    ImportPreview,
    ImportRead,
)
from repdesk.kit.errors import NotFound, ValidationError
from repdesk.kit.pagination import page
from repdesk.kit.schemas import StrictCamelModel
from repdesk.kit.time import utcnow
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(tags=["contacts"])


def detail(contact: Contact, tags: list[str], *, lapsed_days: int) -> dict[str, Any]:
    body = contacts.read(contact, tags)
    body.update(
        visitorId=contact.visitor_id,
        averageOrderValue=computed.average_order_value_of(contact),
        purchaseBehaviour=computed.purchase_behaviour_of(
            contact.orders_count, contact.last_order_at, now=utcnow(), lapsed_days=lapsed_days
        ),
    )
    return body


async def details(
    session: AsyncSession, assistant: Assistant, rows: list[Contact]
) -> list[dict[str, Any]]:
    tags = await contact_tags.tags_of(session, [c.id for c in rows])
    lapsed = computed.lapsed_days_of(assistant.settings)
    return [detail(c, tags[c.id], lapsed_days=lapsed) for c in rows]


def contact_filter(
    q: Annotated[str | None, Query(max_length=100, description="Name, email or phone")] = None,
    tag: Annotated[list[str] | None, Query(description="Has every one of these tags")] = None,
    without_tag: Annotated[str | None, Query(alias="withoutTag", max_length=50)] = None,
    opted_out: Annotated[bool | None, Query(alias="optedOut")] = None,
    purchase_behaviour: Annotated[
        Literal["never", "one_time", "repeat", "lapsed"] | None, Query(alias="purchaseBehaviour")
    ] = None,
    sentiment: Annotated[Literal["positive", "neutral", "negative"] | None, Query()] = None,
    budget_range: Annotated[
        Literal["low", "mid", "high"] | None, Query(alias="budgetRange")
    ] = None,
    min_spent: Annotated[
        int | None, Query(alias="minSpent", ge=0, description="Minor units")
    ] = None,
    min_orders: Annotated[int | None, Query(alias="minOrders", ge=0)] = None,
    min_engagement: Annotated[int | None, Query(alias="minEngagement", ge=0, le=100)] = None,
    max_engagement: Annotated[int | None, Query(alias="maxEngagement", ge=0, le=100)] = None,
    active_within_days: Annotated[
        int | None, Query(alias="activeWithinDays", ge=1, le=3650)
    ] = None,
    inactive_days: Annotated[int | None, Query(alias="inactiveDays", ge=1, le=3650)] = None,
    ids: Annotated[
        list[str] | None, Query(max_length=1000, description="Only these contacts")
    ] = None,
) -> query.ContactFilter:
    now = utcnow()
    return query.ContactFilter(
        q=q or None,
        tags=[t for t in tag or [] if t],
        without_tag=without_tag or None,
        opted_out=opted_out,
        purchase_behaviour=purchase_behaviour,
        sentiment=sentiment,
        budget_range=budget_range,
        min_spent=min_spent,
        min_orders=min_orders,
        min_engagement=min_engagement,
        max_engagement=max_engagement,
        active_after=now - timedelta(days=active_within_days) if active_within_days else None,
        inactive_since=now - timedelta(days=inactive_days) if inactive_days else None,
        ids=ids,
    ).check()


FilterDep = Annotated[query.ContactFilter, Depends(contact_filter)]
Sort = Annotated[
    str,
    Query(
        max_length=20,
        description="lastMessageAt, createdAt, name, totalSpent, ordersCount, engagementScore, "
        "messageCount or lastContactedAt; a leading - sorts descending",
    ),
]


@router.get("/api/assistants/{assistant_id}/contacts")
async def list_contacts(
    assistant: AssistantDep,
    session: SessionDep,
    f: FilterDep,
    sort: Sort = "-lastMessageAt",
    limit: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """The assistant's contacts, filtered and sorted: `{"data","hasMore","nextCursor"}`."""
    rows, has_more, nxt = await query.list_page(
        session,
        assistant_id=assistant.id,
        f=f,
        lapsed_days=computed.lapsed_days_of(assistant.settings),
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return page(await details(session, assistant, rows), has_more, nxt)


async def _segment_ids(session: AsyncSession, assistant: Assistant, segment_id: str) -> Select[Any]:
    """A saved segment's contact ids (the segment must be this assistant's)."""
    from repdesk.segments import service as segments

    segment = await segments.get_or_404(
        session, workspace_id=assistant.workspace_id, segment_id=segment_id
    )
    if segment.assistant_id != assistant.id:
        raise NotFound("No such segment.")
    ids: Select[Any] = await segments.matching_contacts_query(session, assistant.id, segment.filter)
    return ids


@router.get(
    "/api/assistants/{assistant_id}/contacts/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The contacts as CSV"}},
)
async def export_contacts(
    assistant: AssistantDep,
    session: SessionDep,
    f: FilterDep,
    segment_id: Annotated[str | None, Query(alias="segmentId", max_length=32)] = None,
) -> Response:
    """The contacts the same filters select (or a saved segment's, with `segmentId`) as CSV:
    phone, name, email, tags, the computed attributes, then one column per attribute."""
    lapsed = computed.lapsed_days_of(assistant.settings)
    ids = (
        await _segment_ids(session, assistant, segment_id)
        if segment_id
        else query.ids_query(assistant.id, f, lapsed_days=lapsed)
    )
    body = await exporter.export_csv(session, assistant, ids)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        content=body.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="contacts-{stamp}.csv"'},
    )


@router.post("/api/assistants/{assistant_id}/contacts/tags")
async def bulk_tag(assistant: AssistantDep, session: SessionDep, body: BulkTag) -> dict[str, Any]:
    """Add (or with `remove`, take off) one tag on the given contacts: `{"changed"}`."""
    changed = await contact_tags.bulk_tag(
        session, assistant=assistant, contact_ids=body.contact_ids, tag=body.tag, remove=body.remove
    )
    return {"changed": changed}


async def _contact(
    session: AsyncSession, principal: Any, contact_id: str
) -> tuple[Contact, Assistant]:
    return await contacts.get_for_workspace(
        session, workspace_id=principal.workspace.id, contact_id=contact_id
    )


@router.get("/api/contacts/{contact_id}", response_model=ContactDetail)
async def get_contact(contact_id: str, session: SessionDep, principal: PrincipalDep) -> Any:
    contact, assistant = await _contact(session, principal, contact_id)
    return (await details(session, assistant, [contact]))[0]


@router.patch("/api/contacts/{contact_id}", response_model=ContactDetail)
async def update_contact(
    contact_id: str, body: ContactPatch, session: SessionDep, principal: PrincipalDep
) -> Any:
    """Change `name`, `email`, `tags` (the whole list), `attributes` (the whole object; defined
    keys are checked against their type) or `optedOut`."""
    contact, assistant = await _contact(session, principal, contact_id)
    fields = body.model_fields_set
    await contacts.update(
        session,
        contact,
        name=body.name if "name" in fields else ...,
        email=body.email if "email" in fields else ...,
        tags=body.tags,
        attributes=body.attributes,
        opted_out=body.opted_out,
    )
    return (await details(session, assistant, [contact]))[0]


@router.delete("/api/contacts/{contact_id}", status_code=204)
async def delete_contact(contact_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """Delete the contact and its conversation history."""
    contact, _assistant = await _contact(session, principal, contact_id)
    await contacts.delete(session, contact)
    return Response(status_code=204)


class NoteCreate(StrictCamelModel):
    body: str = Field(min_length=1, max_length=contacts.MAX_NOTE_LEN)


@router.post("/api/contacts/{contact_id}/notes", status_code=201)
async def add_note(
    contact_id: str, note: NoteCreate, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    contact, _assistant = await _contact(session, principal, contact_id)
    row = await contacts.add_note(session, contact, body=note.body, author_id=principal.user.id)
    return {"id": row.id, "body": row.body, "createdAt": row.created_at.isoformat()}


# -- import -----------------------------------------------------------------------------------


async def _read_upload(file: UploadFile, limit: int) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(f"file: at most {limit // (1024 * 1024)} MB.")
    return data


@router.post("/api/assistants/{assistant_id}/contacts/import/preview", response_model=ImportPreview)
async def preview_import(
    assistant: AssistantDep,
    file: Annotated[UploadFile, File(description="CSV (its start is enough)")],
) -> Any:
    """The header, first rows and a suggested mapping of a CSV (send its first 64 KB)."""
    columns, rows, mapping = imports.preview(await _read_upload(file, 1024 * 1024))
    return ImportPreview(columns=columns, rows=rows, mapping=mapping)


@router.post(
    "/api/assistants/{assistant_id}/contacts/import",
    status_code=202,
    response_model=ImportCreated,
)
async def start_import(
    assistant: AssistantDep,
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="CSV with a header row")],
    default_country: Annotated[
        str | None, Form(alias="defaultCountry", max_length=2, description="For local numbers")
    ] = None,
    mapping: Annotated[
        str | None,
        Form(
            max_length=20000,
            description='JSON: column -> "phone" | "name" | "email" | "tags" | '
            '"attribute:<key>" | "skip" (default: suggested from the header)',
        ),
    ] = None,
) -> Any:
    """Queue a CSV import: `{"importId"}`; follow it with `GET /api/imports/{id}`."""
    chosen: dict[str, str] | None = None
    if mapping:
        try:
            chosen = json.loads(mapping)
        except ValueError:
            raise ValidationError("mapping must be JSON.") from None
        if not isinstance(chosen, dict):
            raise ValidationError("mapping must be a JSON object.")
    job = await imports.start(
        session,
        assistant=assistant,
        data=await _read_upload(file, imports.MAX_BYTES),
        filename=file.filename or "",
        default_country=default_country,
        mapping=chosen,
        created_by=principal.user.id,
    )
    return ImportCreated(import_id=job.id)


def import_read(job: ContactImport) -> dict[str, Any]:
    return ImportRead.model_validate(job).model_dump(by_alias=True, mode="json")


@router.get("/api/imports/{import_id}", response_model=ImportRead)
async def get_import(import_id: str, session: SessionDep, principal: PrincipalDep) -> Any:
    """An import's progress and its refused rows (`errors`: line number and reason)."""
    return import_read(
        await imports.get_for_workspace(
            session, workspace_id=principal.workspace.id, import_id=import_id
        )
    )


# -- attributes and settings ------------------------------------------------------------------


@router.get("/api/assistants/{assistant_id}/attributes", response_model=list[AttributeRead])
async def list_attributes(assistant: AssistantDep, session: SessionDep) -> Any:
    """The assistant's custom attribute definitions."""
    return await attribute_defs.list_for(session, assistant.id)


@router.post(
    "/api/assistants/{assistant_id}/attributes", status_code=201, response_model=AttributeRead
)
async def create_attribute(
    assistant: AssistantDep, session: SessionDep, body: AttributeCreate
) -> Any:
    """Define a custom attribute: `key`, `label`, `type` (text, number, date, boolean, choice)
    and, for choice, its `choices`."""
    return await attribute_defs.create(
        session,
        assistant_id=assistant.id,
        key=body.key,
        label=body.label,
        type=body.type,
        choices=body.choices,
    )


@router.delete("/api/assistants/{assistant_id}/attributes/{key}", status_code=204)
async def delete_attribute(assistant: AssistantDep, session: SessionDep, key: str) -> Response:
    """Forget the definition (values stay on the contacts, unchecked)."""
    await attribute_defs.delete(session, assistant_id=assistant.id, key=key)
    return Response(status_code=204)


@router.get("/api/assistants/{assistant_id}/contacts/settings", response_model=ContactSettings)
async def get_settings(assistant: AssistantDep) -> Any:
    """STOP and START keywords, their confirmations, and N of "lapsed" (days)."""
    return optout.settings_of(assistant)


@router.put("/api/assistants/{assistant_id}/contacts/settings", response_model=ContactSettings)
async def put_settings(assistant: AssistantDep, session: SessionDep, body: ContactSettings) -> Any:
    stop = optout.clean_keywords(body.stop_keywords, "stopKeywords")
    start = optout.clean_keywords(body.start_keywords, "startKeywords")
    if set(stop) & set(start):
        raise ValidationError("A keyword cannot both stop and start.")
    values: dict[str, Any] = {
        "stopKeywords": stop,
        "startKeywords": start,
        "optOutReply": body.opt_out_reply.strip(),
        "optInReply": body.opt_in_reply.strip(),
        "lapsedDays": body.lapsed_days,
    }
    await assistants.update_settings(session, assistant, "contacts", values)
    return values
