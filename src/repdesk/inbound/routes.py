"""``POST /webhooks/{source}`` and ``POST /webhooks/{source}/{key}``: every provider's
webhooks, through the verifier registered for ``source`` (ADR 11).

The hottest route of the service (every customer message and status), so it is a plain
Starlette endpoint with its own unit of work rather than a FastAPI route: no dependency
resolution, no response model. Verify, store the items raw, schedule ingest, answer.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from repdesk.db.engine import commit
from repdesk.inbound import service
from repdesk.inbound.config import get_inbound_settings
from repdesk.inbound.registry import get_source
from repdesk.kit.errors import NotFound
from repdesk.kit.web import get_db

router = APIRouter(tags=["webhooks"])


async def receive(request: Request) -> Response:
    source = get_source(request.path_params["source"])
    if source is None:
        raise NotFound("Unknown webhook.")
    async with get_db(request).session() as session:
        verified = await source.verify(request, session)
        try:
            stored = await service.store(
                session,
                verified.provider,
                verified.events,
                batch_ms=get_inbound_settings().ingest_batch_ms,
            )
            await commit(session)  # stored (and ingest scheduled) before the provider's 200
        except IntegrityError:
            # The account was removed since the verifier read it (its account check failed).
            if verified.on_account_gone is not None:
                verified.on_account_gone()
            raise NotFound("Unknown webhook.") from None
    service.slot_scheduled(stored)
    return source.respond(stored)


for _path in ("/webhooks/{source}", "/webhooks/{source}/{key}"):
    router.add_route(_path, receive, methods=["POST"], include_in_schema=False)
