"""Template authoring API (session auth), for WhatsApp assistants:

- ``GET|POST /api/assistants/{id}/templates``: list; submit a template to Meta (stored PENDING)
- ``GET|PATCH|DELETE /api/templates/{id}``: read; edit and resubmit a rejected one; delete
- ``POST /api/assistants/{id}/templates/media``: a header sample (multipart ``file``) through
  Meta's Resumable Upload API, answered with its ``headerHandle``

Statuses then arrive by Meta's ``message_template_status_update`` webhook and the sync.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile

from repdesk.assistants.deps import AssistantDep
from repdesk.channels.whatsapp import authoring, templates
from repdesk.channels.whatsapp.authoring import HEADER_MEDIA_MAX
from repdesk.channels.whatsapp.schemas import (
    HeaderHandle,
    TemplateCreate,
    TemplateList,
    TemplateRead,
    TemplateUpdate,
)
from repdesk.kit.errors import AppError
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(tags=["whatsapp"])


@router.get("/api/assistants/{assistant_id}/templates", response_model=TemplateList)
async def list_templates(
    assistant: AssistantDep, session: SessionDep, principal: PrincipalDep
) -> TemplateList:
    """The assistant's templates with their status, category, quality and rejection reason."""
    rows = await templates.list_templates(session, assistant.id)
    return TemplateList(data=[TemplateRead.model_validate(r) for r in rows])


@router.post(
    "/api/assistants/{assistant_id}/templates", response_model=TemplateRead, status_code=201
)
async def create_template(
    assistant: AssistantDep, body: TemplateCreate, session: SessionDep, principal: PrincipalDep
) -> TemplateRead:
    """Check the template against Meta's rules, submit it to Meta, and store it ``PENDING``.
    A refusal names the field (``TEMPLATE_INVALID``, ``field``); Meta's own refusals come in
    plain words (``TEMPLATE_NAME_TAKEN``, ``TEMPLATE_LIMIT``, ``TEMPLATE_POLICY``...)."""
    row = await authoring.submit(session, assistant, body.model_dump())
    return TemplateRead.model_validate(row)


@router.post("/api/assistants/{assistant_id}/templates/media", response_model=HeaderHandle)
async def upload_header_media(
    assistant: AssistantDep,
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="JPEG/PNG image, MP4 video or PDF")],
) -> HeaderHandle:
    """Upload a media header's sample file to Meta; put the handle in the header's
    ``example.header_handle``."""
    data = await file.read(HEADER_MEDIA_MAX + 1)
    if len(data) > HEADER_MEDIA_MAX:
        raise AppError("The file is larger than 16 MB.", code="FILE_TOO_LARGE", status=413)
    handle = await authoring.upload_header(
        session,
        assistant,
        data=data,
        mime_type=(file.content_type or "").split(";")[0].strip().lower(),
        filename=file.filename or "header",
    )
    return HeaderHandle(header_handle=handle)


@router.get("/api/templates/{template_id}", response_model=TemplateRead)
async def get_template(
    template_id: str, session: SessionDep, principal: PrincipalDep
) -> TemplateRead:
    row = await authoring.get_or_404(session, principal.workspace.id, template_id)
    return TemplateRead.model_validate(row)


@router.patch("/api/templates/{template_id}", response_model=TemplateRead)
async def update_template(
    template_id: str, body: TemplateUpdate, session: SessionDep, principal: PrincipalDep
) -> TemplateRead:
    """Edit a ``REJECTED`` template and resubmit it to Meta (``PENDING`` again)."""
    row = await authoring.get_or_404(session, principal.workspace.id, template_id)
    row = await authoring.resubmit(session, row, body.model_dump(exclude_none=True))
    return TemplateRead.model_validate(row)


@router.delete("/api/templates/{template_id}", status_code=204)
async def delete_template(
    template_id: str, session: SessionDep, principal: PrincipalDep
) -> Response:
    """Delete the template at Meta and here."""
    row = await authoring.get_or_404(session, principal.workspace.id, template_id)
    await authoring.delete(session, row)
    return Response(status_code=204)
