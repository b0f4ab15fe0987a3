"""Foundation pages: sign-up, verification, login, the dashboard home, assistants, workspace
settings (billing's pages are ``billing/pages.py``). Pages call services; they never write
tables themselves."""

from __future__ import annotations

import inspect
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError as PydanticValidationError

from repdesk.accounts import service as accounts
from repdesk.accounts.routes import (
    clear_login_cookies,
    login_throttled,
    set_login_cookies,
    sign_up,
)
from repdesk.accounts.schemas import RegisterRequest
from repdesk.assistants import service as assistants
from repdesk.assistants.deps import PageAssistantDep
from repdesk.channels.whatsapp import service as whatsapp
from repdesk.dashboard.render import back_on_error, page_error, redirect, render
from repdesk.kit.errors import AppError
from repdesk.kit.web import (
    SESSION_COOKIE,
    LimiterDep,
    LoginRequired,
    OptionalPrincipalDep,
    PagePrincipalDep,
    SessionDep,
    SettingsDep,
    check_csrf,
)

pages = APIRouter(include_in_schema=False)


def setup_app(app: FastAPI) -> None:
    api_error = app.exception_handlers[AppError]

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: Exception) -> Response:
        # A page's form error goes back to its page (see render.back_on_error); the request's
        # unit of work has rolled back already. Anything else answers as the API does.
        assert isinstance(exc, AppError)
        back = page_error(request, exc)
        if back is not None:
            return back
        response = api_error(request, exc)
        return await response if inspect.isawaitable(response) else response

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if request.url.path.startswith(("/api/", "/v1/")):
            from repdesk.kit.errors import error_response

            return error_response(exc)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/dashboard"


@pages.get("/")
async def index(principal: OptionalPrincipalDep) -> RedirectResponse:
    return RedirectResponse("/dashboard" if principal else "/login", status_code=303)


@pages.get("/register")
async def register_page(request: Request, principal: OptionalPrincipalDep) -> Response:
    if principal:
        return RedirectResponse("/dashboard", status_code=303)
    return render(request, "auth/register.html", {"form": {}})


@pages.post("/register")
async def register_submit(
    request: Request,
    session: SessionDep,
    limiter: LimiterDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    business_name: Annotated[str, Form()] = "",
) -> Response:
    await check_csrf(request)
    form = {"email": email, "business_name": business_name}
    try:
        body = RegisterRequest(email=email, password=password, business_name=business_name)
        await sign_up(
            session,
            limiter,
            email=body.email,
            password=body.password,
            business_name=body.business_name,
        )
    except PydanticValidationError as exc:
        msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        return render(request, "auth/register.html", {"form": form, "form_error": msg}, status=400)
    except AppError as exc:
        return render(
            request,
            "auth/register.html",
            {"form": form, "form_error": exc.message},
            status=exc.status,
        )
    return render(request, "auth/check_email.html", {"email": body.email})


@pages.get("/verify")
async def verify_page(
    request: Request, session: SessionDep, token: str = Query(default="")
) -> Response:
    try:
        await accounts.verify_email(session, token)
    except AppError as exc:
        return render(
            request, "auth/verified.html", {"ok": False, "message": exc.message}, status=400
        )
    return render(request, "auth/verified.html", {"ok": True})


@pages.get("/login")
async def login_page(
    request: Request, principal: OptionalPrincipalDep, next: str | None = None
) -> Response:
    if principal:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": _safe_next(next), "form": {}})


@pages.post("/login")
async def login_submit(
    request: Request,
    session: SessionDep,
    limiter: LimiterDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/dashboard",
) -> Response:
    await check_csrf(request)
    try:
        _user, _ws, raw = await login_throttled(
            request, session, limiter, settings, email=email, password=password
        )
    except AppError as exc:
        ctx = {"next": _safe_next(next), "form": {"email": email}, "form_error": exc.message}
        page = render(request, "auth/login.html", ctx, status=exc.status)
        page.headers.update(exc.headers)
        return page
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_login_cookies(response, settings, raw)
    return response


@pages.post("/logout")
async def logout_submit(
    request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    await accounts.logout(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    clear_login_cookies(response)
    return response


@pages.get("/dashboard")
async def dashboard_home(
    request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    ws = await accounts.get_workspace_or_404(session, principal.workspace.id)
    items = await assistants.list_all(session, workspace_id=ws.id)
    unsecured = await whatsapp.unsecured_assistant_ids(session, workspace_id=ws.id)
    return render(
        request, "home.html", {"workspace": ws, "assistants": items, "unsecured": unsecured}
    )


@pages.get("/assistants")
async def assistants_page(
    request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    items = await assistants.list_all(session, workspace_id=principal.workspace.id)
    unsecured = await whatsapp.unsecured_assistant_ids(session, workspace_id=principal.workspace.id)
    return render(request, "assistants/list.html", {"assistants": items, "unsecured": unsecured})


@pages.get("/assistants/new")
async def new_assistant_page(request: Request, principal: PagePrincipalDep) -> Response:
    return render(request, "assistants/new.html", {"form": {}})


@pages.post("/assistants/new")
async def new_assistant_submit(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    name: Annotated[str, Form()] = "",
    platform: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
) -> Response:
    try:
        assistant = await assistants.create(
            session,
            workspace_id=principal.workspace.id,
            name=name,
            platform=platform,
            purpose=purpose or None,
        )
    except AppError as exc:
        ctx = {
            "form": {"name": name, "platform": platform, "purpose": purpose},
            "form_error": exc.message,
        }
        return render(request, "assistants/new.html", ctx, status=exc.status)
    return redirect(f"/assistants/{assistant.id}", flash="Assistant created.")


@pages.get("/assistants/{assistant_id}")
async def assistant_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    unsecured = (
        await whatsapp.unsecured_assistant_ids(
            session, workspace_id=assistant.workspace_id, assistant_id=assistant.id
        )
        if assistant.platform == "whatsapp"
        else set()
    )
    return render(
        request, "assistants/overview.html", {"assistant": assistant, "unsecured": unsecured}
    )


@pages.get("/assistants/{assistant_id}/settings")
async def assistant_settings_page(
    assistant: PageAssistantDep, request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    return render(request, "assistants/settings.html", {"assistant": assistant})


@pages.post("/assistants/{assistant_id}/settings")
async def assistant_settings_submit(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
) -> Response:
    back_on_error(request, f"/assistants/{assistant.id}/settings")
    await assistants.update(session, assistant, name=name, purpose=purpose or None)
    return redirect(f"/assistants/{assistant.id}/settings", flash="Saved.")


@pages.post("/assistants/{assistant_id}/delete")
async def assistant_delete_submit(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    confirm_name: Annotated[str, Form()] = "",
) -> Response:
    if confirm_name.strip() != assistant.name:
        return redirect(
            f"/assistants/{assistant.id}/settings",
            error="Type the assistant's name exactly to confirm deletion.",
        )
    await assistants.delete_assistant(session, assistant)
    return redirect("/assistants", flash=f"Deleted {assistant.name} and all of its data.")


@pages.get("/settings")
async def settings_page(
    request: Request, session: SessionDep, principal: PagePrincipalDep
) -> Response:
    ws = await accounts.get_workspace_or_404(session, principal.workspace.id)
    return render(request, "settings.html", {"workspace": ws})


@pages.post("/settings")
async def settings_submit(
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    business_name: Annotated[str, Form()] = "",
) -> Response:
    ws = await accounts.get_workspace_or_404(session, principal.workspace.id)
    back_on_error(request, "/settings")
    await accounts.update_workspace(session, ws, business_name=business_name)
    return redirect("/settings", flash="Saved.")
