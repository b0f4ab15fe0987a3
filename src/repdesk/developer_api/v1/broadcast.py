"""/v1/broadcast: the Developer API's door onto ``campaigns`` (one message to many recipients,
sent one at a time by ``campaigns.tasks``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from repdesk.campaigns import service as broadcasts
from repdesk.campaigns.models import Broadcast
from repdesk.developer_api.schemas import BroadcastRequest
from repdesk.developer_api.v1.deps import ApiContext, ApiDep, error_responses
from repdesk.kit.errors import NotFound

router = APIRouter(tags=["Broadcast"])


async def broadcast_read(
    api: ApiContext, broadcast: Broadcast, *, with_recipients: bool = False
) -> dict[str, Any]:
    read = await broadcasts.read(api.session, broadcast, with_recipients=with_recipients)
    return read.model_dump(
        by_alias=True, mode="json", exclude=None if with_recipients else {"recipients"}
    )


@router.post(
    "/broadcast",
    status_code=202,
    responses=error_responses(
        (400, "VALIDATION_ERROR, INVALID_PHONE_NUMBER or TEMPLATE_NOT_APPROVED"),
    ),
)
async def create_broadcast(body: BroadcastRequest, api: ApiDep) -> dict[str, Any]:
    """Queue a broadcast and answer at once with `{"broadcastId","status","recipientCount"}`.

    Messages then go out one by one with a short pause between them (not a bulk send), each
    charged like a single send. Free-form content reaches only recipients whose 24-hour window
    is open; the others are reported as `skipped` with the reason. Follow progress with
    `GET /broadcast/{id}`."""
    broadcast = await broadcasts.create(
        api.session,
        assistant=api.assistant,
        outbound=body.outbound(),
        recipients=body.recipients,
        name=body.name,
        sandbox=api.sandbox,
        created_by=api.key.id,
    )
    return await broadcast_read(api, broadcast)


@router.get("/broadcast/{broadcast_id}", responses=error_responses((404, "NOT_FOUND")))
async def get_broadcast(broadcast_id: str, api: ApiDep) -> dict[str, Any]:
    """Progress: how many recipients are queued, sent, delivered, read, failed or skipped, and
    each recipient's status and reason. Sandbox keys read only sandbox broadcasts."""
    broadcast = await broadcasts.get_or_404(
        api.session, assistant_id=api.assistant.id, broadcast_id=broadcast_id
    )
    if api.sandbox and not broadcast.sandbox:  # a live broadcast names live customers
        raise NotFound("Broadcast not found.")
    return await broadcast_read(api, broadcast, with_recipients=True)
