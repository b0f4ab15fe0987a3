"""/v1/webhooks: register, list and delete webhook endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from repdesk.developer_api import webhooks
from repdesk.developer_api.schemas import WebhookCreate, WebhookCreated, WebhookRead
from repdesk.developer_api.v1.deps import ApiDep, error_responses, require_live
from repdesk.kit.pagination import page

router = APIRouter(tags=["Webhooks"])


SANDBOX = error_responses((403, "SANDBOX_NOT_ALLOWED: webhooks need a live key"))


@router.get("/webhooks", responses=SANDBOX)
async def list_webhooks(api: ApiDep) -> dict[str, Any]:
    """This assistant's webhook endpoints (at most 10, so one page). Live keys only."""
    require_live(api, "Webhooks are listed")
    rows = await webhooks.list_endpoints(api.session, assistant_id=api.assistant.id)
    items = [WebhookRead.model_validate(e).model_dump(by_alias=True, mode="json") for e in rows]
    return page(items, False, None)


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    responses={
        **error_responses((400, "VALIDATION_ERROR: not https, private address, unknown event")),
        **SANDBOX,
    },
)
async def create_webhook(body: WebhookCreate, api: ApiDep) -> dict[str, Any]:
    """Register an HTTPS endpoint for `message.received`, `message.sent`, `message.delivered`,
    `message.read` and `message.failed` (all of them when `events` is left out).

    Deliveries are `POST`s of `{"event","timestamp","data"}` with `X-247Rep-Signature` (hex
    HMAC-SHA256 of the raw body with the `secret` answered here, once) and
    `X-247Rep-Timestamp`. Answer 2xx within 5 seconds; failures are retried 5 times with
    exponential backoff. Live keys only: a sandbox key answers 403 `SANDBOX_NOT_ALLOWED`."""
    require_live(api, "Webhooks are registered")
    endpoint, secret = await webhooks.create_endpoint(
        api.session, assistant_id=api.assistant.id, url=body.url, events=body.events
    )
    out = WebhookRead.model_validate(endpoint).model_dump(by_alias=True, mode="json")
    return {**out, "secret": secret}


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    responses={**error_responses((404, "NOT_FOUND")), **SANDBOX},
)
async def delete_webhook(webhook_id: str, api: ApiDep) -> Response:
    """Remove an endpoint (live keys only)."""
    require_live(api, "Webhooks are deleted")
    endpoint = await webhooks.get_endpoint_or_404(
        api.session, assistant_id=api.assistant.id, endpoint_id=webhook_id
    )
    await webhooks.delete_endpoint(api.session, endpoint)
    return Response(status_code=204)
