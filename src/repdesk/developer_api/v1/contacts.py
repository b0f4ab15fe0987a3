"""/v1/contacts: create, list, read, update and delete contacts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from repdesk.contacts import service as contacts
from repdesk.contacts import tags as contact_tags
from repdesk.contacts.models import Contact
from repdesk.contacts.schemas import ContactCreate, ContactRead, ContactUpdate
from repdesk.developer_api.v1.deps import (
    ApiContext,
    ApiDep,
    Cursor,
    Limit,
    error_responses,
    sandbox_page,
)
from repdesk.kit.errors import NotFound
from repdesk.kit.pagination import page
from repdesk.kit.phones import normalize_phone
from repdesk.kit.schemas import E164

router = APIRouter(tags=["Contacts"])


async def contact_read(api: ApiContext, contact: Contact) -> dict[str, Any]:
    return (await contacts.reads(api.session, [contact]))[0]


async def _contact_or_404(api: ApiContext, contact_id: str) -> Contact:
    if api.sandbox:  # sandbox keys see no customer
        raise NotFound("Contact not found.")
    return await contacts.get_or_404(
        api.session, assistant_id=api.assistant.id, contact_id=contact_id
    )


@router.get("/contacts")
async def list_contacts(
    api: ApiDep,
    phone: Annotated[str | None, Query(max_length=40, json_schema_extra=E164)] = None,
    tag: Annotated[str | None, Query(max_length=50)] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Contacts of this assistant, newest first: `{"data","hasMore","nextCursor"}` (sandbox
    keys: always empty)."""
    if api.sandbox:
        if phone:
            normalize_phone(phone)
        return sandbox_page(limit, cursor)
    rows, has_more, nxt = await contacts.list_page(
        api.session,
        assistant_id=api.assistant.id,
        limit=limit,
        cursor=cursor,
        phone=phone,
        tag=tag,
    )
    return page(await contacts.reads(api.session, rows), has_more, nxt)


@router.post(
    "/contacts",
    status_code=201,
    response_model=ContactRead,
    responses=error_responses(
        (400, "VALIDATION_ERROR or INVALID_PHONE_NUMBER"), (409, "CONFLICT: phone already used")
    ),
)
async def create_contact(body: ContactCreate, api: ApiDep) -> dict[str, Any]:
    """Create a contact. `phone` is E.164 and unique per assistant. Sandbox keys: validated and
    answered, not stored."""
    if api.sandbox:
        sandboxed = contacts.new_contact(
            assistant_id=api.assistant.id,
            phone=body.phone,
            name=body.name,
            attributes=body.attributes,
        )
        return contacts.read(sandboxed, contact_tags.clean_tags(body.tags))
    contact = await contacts.create(
        api.session,
        assistant=api.assistant,
        phone=body.phone,
        name=body.name,
        tags=body.tags,
        attributes=body.attributes,
    )
    return await contact_read(api, contact)


@router.get(
    "/contacts/{contact_id}",
    response_model=ContactRead,
    responses=error_responses((404, "NOT_FOUND")),
)
async def get_contact(contact_id: str, api: ApiDep) -> dict[str, Any]:
    return await contact_read(api, await _contact_or_404(api, contact_id))


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactRead,
    responses=error_responses((404, "NOT_FOUND"), (409, "CONFLICT: phone already used")),
)
async def update_contact(contact_id: str, body: ContactUpdate, api: ApiDep) -> dict[str, Any]:
    """Change some fields; fields left out keep their value (`name: null` clears the name)."""
    contact = await _contact_or_404(api, contact_id)
    fields = body.model_fields_set
    await contacts.update(
        api.session,
        contact,
        phone=body.phone,
        name=body.name if "name" in fields else ...,
        tags=body.tags,
        attributes=body.attributes,
    )
    return await contact_read(api, contact)


@router.delete(
    "/contacts/{contact_id}", status_code=204, responses=error_responses((404, "NOT_FOUND"))
)
async def delete_contact(contact_id: str, api: ApiDep) -> Response:
    """Delete the contact and its conversation history."""
    contact = await _contact_or_404(api, contact_id)
    await contacts.delete(api.session, contact)
    return Response(status_code=204)
