"""Authentication of /v1 requests and shared schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.developer_api.models import ApiKey
from repdesk.developer_api.service import InvalidApiKeyError, authenticate, check_key
from repdesk.kit.errors import AppError, ValidationError
from repdesk.kit.pagination import check_limit, page
from repdesk.kit.web import SessionDep

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="`Authorization: Bearer rep_live_…` (production) or `rep_test_…` (sandbox).",
)


@dataclass
class ApiContext:
    key: ApiKey
    assistant: Assistant
    session: AsyncSession

    @property
    def sandbox(self) -> bool:
        return self.key.environment == "test"

    @property
    def workspace_id(self) -> str:
        return self.assistant.workspace_id


MISSING_KEY = "Missing API key: send the header Authorization: Bearer rep_live_… (or rep_test_…)."


def bearer_key(authorization: str | None) -> str:
    """The key of an ``Authorization: Bearer …`` header (for routes without dependencies)."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise InvalidApiKeyError(MISSING_KEY)
    return credentials.strip()


# Set on a request's scope once its key was accepted, or by a route that accepts the key itself
# before raising anything else (POST /messages/send).
KEY_CHECKED = "repdesk.v1.key_checked"


def key_checked_first(request: Request) -> None:
    request.scope[KEY_CHECKED] = True


async def api_context(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiContext:
    if credentials is None:
        raise InvalidApiKeyError(MISSING_KEY)
    key, assistant = await authenticate(session, credentials.credentials.strip())
    key_checked_first(request)
    return ApiContext(key, assistant, session)


async def reject_bad_key(request: Request) -> None:
    """InvalidApiKeyError unless the request's key was accepted, or is usable.

    For errors found before a route's dependencies ran (FastAPI parses a JSON body first, and
    Starlette answers 404 and 405 without the route): the client must learn that its key is
    bad before it learns anything about its request. Costs a read only on those error paths."""
    if request.scope.get(KEY_CHECKED):
        return
    raw = bearer_key(request.headers.get("authorization"))
    async with request.app.state.db.session() as session:
        await check_key(session, raw)


ApiDep = Annotated[ApiContext, Depends(api_context)]


# -- sandbox keys -----------------------------------------------------------------------------
#
# A ``rep_test_`` key never sees or changes the assistant's customers: sends and broadcasts are
# validated and answered like live ones with nothing sent or charged; reads of conversations,
# messages and contacts find nothing (empty lists, 404 by id); a contact "created" is validated
# and answered, not stored; webhooks are refused (they carry live customers' messages, and
# the sandbox makes no events for a test endpoint to receive). The account, the templates and
# the key's own sandbox broadcasts are readable.

SANDBOX_RULES = (
    "Sandbox (`rep_test_`) keys never see or change your customers' data: sends and "
    "broadcasts are validated like live ones (the 24-hour service window and template "
    "approval included) and answered with mock results, with nothing sent and no credits "
    "used; conversations, messages and contacts read as empty lists (404 by id); "
    "`POST /contacts` validates and answers without storing; `GET /account`, "
    "`GET /templates` and the key's own sandbox broadcasts are readable; webhooks can only be "
    "managed with a live key (403 `SANDBOX_NOT_ALLOWED`)."
)


class SandboxNotAllowedError(AppError):
    status = 403
    code = "SANDBOX_NOT_ALLOWED"


def require_live(api: ApiContext, what: str) -> None:
    if api.sandbox:
        raise SandboxNotAllowedError(
            f"{what} with a live key (rep_live_…) or from the dashboard: sandbox keys never "
            "receive live customers' events."
        )


def sandbox_page(limit: int | None, cursor: str | None) -> dict[str, Any]:
    """What a sandbox key reads from a list of customer data: an empty page (the parameters
    still checked like a live read)."""
    check_limit(limit)
    if cursor and (len(cursor) > 64 or not cursor.isalnum()):
        raise ValidationError("cursor is not valid.")
    return page([], False, None)


class ErrorBody(BaseModel):
    code: str
    message: str
    docs: str


# List parameters, documented with the bounds ``check_limit`` and ``paginate`` enforce (their
# own checks give the error messages).
Limit = Annotated[
    int | None,
    Query(description="1 to 100, default 20", json_schema_extra={"minimum": 1, "maximum": 100}),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=64,
        description="`nextCursor` of the previous page",
        json_schema_extra={"pattern": "^[A-Za-z0-9]+$"},
    ),
]


def error_responses(*codes: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for status, text in codes:
        out[status] = {"model": ErrorBody, "description": text}
    return out


async def page_rows(
    session: AsyncSession,
    stmt: Any,
    id_column: Any,
    *,
    limit: int | None,
    cursor: str | None,
) -> tuple[list[Any], bool, str | None]:
    """Cursor pagination (newest first by id) for statements selecting several entities."""
    size = check_limit(limit)
    if cursor:
        if len(cursor) > 64 or not cursor.isalnum():
            raise ValidationError("cursor is not valid.")
        stmt = stmt.where(id_column < cursor)
    rows = list((await session.execute(stmt.order_by(id_column.desc()).limit(size + 1))).all())
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = rows[-1][0].id if has_more and rows else None
    return rows, has_more, next_cursor
