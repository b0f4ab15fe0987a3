"""The /v1 sub-application: its own error handlers, rate limits, OpenAPI and reference page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from repdesk import __version__
from repdesk.developer_api.v1 import account, contacts, conversations, messages, webhooks
from repdesk.developer_api.v1.deps import SANDBOX_RULES, error_responses, reject_bad_key
from repdesk.developer_api.v1.ratelimit import RateLimitMiddleware
from repdesk.kit import errors
from repdesk.kit.security import csp_nonce

REFERENCE_HTML = (Path(__file__).parent / "reference.html").read_text(encoding="utf-8")

DESCRIPTION = """\
Send and receive WhatsApp messages through your repdesk assistant.

* Authenticate with `Authorization: Bearer rep_live_…` (production) or `rep_test_…` (sandbox,
  below). A key is scoped to one assistant. A missing, unknown, malformed or revoked key is
  always 401 INVALID_API_KEY, whatever else the request contains.
* Sandbox: SANDBOX_RULES
* JSON is camelCase. Lists take `limit` (1 to 100, default 20) and `cursor`, and answer
  `{"data","hasMore","nextCursor"}`.
* Errors are `{"code","message","docs"}`: INVALID_API_KEY 401, INSUFFICIENT_CREDITS 402,
  VALIDATION_ERROR 400, INVALID_PHONE_NUMBER 400, TEMPLATE_NOT_APPROVED 400,
  SERVICE_WINDOW_CLOSED 400, NOT_FOUND 404, CONFLICT 409, RATE_LIMIT_EXCEEDED 429,
  META_API_ERROR 502, INTERNAL_ERROR 500.
* Rate limits per key: POST /messages/send 100/min, POST /broadcast 10/min, POST /contacts
  200/min, all GET endpoints 300/min, global burst 20/sec. Every response carries
  `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`; a 429 carries
  `Retry-After` (seconds).
* Webhooks: `message.received`, `message.sent`, `message.delivered`, `message.read`,
  `message.failed`, signed with `X-247Rep-Signature` (hex HMAC-SHA256 of the raw body) and
  `X-247Rep-Timestamp`.
""".replace("SANDBOX_RULES", SANDBOX_RULES)


def build_v1_app(parent: FastAPI) -> FastAPI:
    v1 = FastAPI(
        title="repdesk Developer API",
        version=f"1 ({__version__})",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        responses=error_responses(
            (401, "INVALID_API_KEY"),
            (429, "RATE_LIMIT_EXCEEDED (see Retry-After)"),
            (500, "INTERNAL_ERROR"),
        ),
    )
    # The sub-application shares the parent's database, settings, bus and limiter.
    for name in ("settings", "db", "bus", "limiter"):
        setattr(v1.state, name, getattr(parent.state, name))
    v1.state.parent = parent
    errors.install(v1)
    _key_before_request_errors(v1)
    v1.add_middleware(RateLimitMiddleware, limiter=lambda: parent.state.limiter)
    for module in (messages, conversations, contacts, webhooks, account):
        v1.include_router(module.router)
    _optional_routers(v1)

    _document_bodies_read_by_hand(v1)

    @v1.get("/reference", include_in_schema=False)
    async def reference(request: Request) -> HTMLResponse:
        """The API reference, rendered in the browser from /v1/openapi.json (no CDN)."""
        nonce = csp_nonce(request)
        return HTMLResponse(
            REFERENCE_HTML.replace("<script>", f'<script nonce="{nonce}">', 1).replace(
                "<style>", f'<style nonce="{nonce}">', 1
            )
        )

    return v1


def _key_before_request_errors(v1: FastAPI) -> None:
    """A request with a bad key answers 401 INVALID_API_KEY, whatever else is wrong with it:
    errors about the request itself (its body, its parameters, its path) are shown only to a
    valid key, even when found before the route authenticated (``deps.reject_bad_key``)."""
    for kind in (errors.AppError, RequestValidationError, StarletteHTTPException):
        v1.add_exception_handler(kind, _key_first(v1.exception_handlers[kind]))


def _key_first(render: Any) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        status = int(getattr(exc, "status", None) or getattr(exc, "status_code", None) or 400)
        if status not in (401, 429) and status < 500:
            try:
                await reject_bad_key(request)
            except errors.AppError as bad:
                return errors.error_response(bad)
        response: Response = await render(request, exc)
        return response

    return handler


def _document_bodies_read_by_hand(v1: FastAPI) -> None:
    """Routes that parse their own body (``POST /messages/send``, ADR 7) refer to its model by
    ``$ref``; put the model, and the models it uses, in the document's components."""
    from fastapi.openapi.utils import get_openapi

    from repdesk.developer_api.schemas import SendRequest

    def openapi() -> dict[str, Any]:
        if v1.openapi_schema is None:
            doc = get_openapi(
                title=v1.title,
                version=v1.version,
                description=v1.description,
                routes=v1.routes,
                servers=v1.servers,
            )
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            body = SendRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in body.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas["SendRequest"] = body
            _validation_errors_are_400(doc)
            v1.openapi_schema = doc
        return v1.openapi_schema

    v1.openapi = openapi  # type: ignore[method-assign]


def _validation_errors_are_400(doc: dict[str, Any]) -> None:
    """FastAPI documents a 422 with its own body for every operation that validates input;
    ours answer 400 ``{"code": "VALIDATION_ERROR", …}`` (``kit.errors``), so say that."""
    bad_input = {
        "description": "VALIDATION_ERROR (or another 400 code of the table above)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if responses.pop("422", None) is not None:
                responses.setdefault("400", bad_input)
    schemas = doc.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def _optional_routers(v1: FastAPI) -> None:
    from repdesk.developer_api.v1 import broadcast, templates

    v1.include_router(templates.router)
    v1.include_router(broadcast.router)
