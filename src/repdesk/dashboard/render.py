"""Rendering pages: one Jinja environment, shared context (user, CSRF token, menus, flash)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from repdesk.dashboard import nav
from repdesk.kit.errors import AppError
from repdesk.kit.ids import token
from repdesk.kit.money import format_money
from repdesk.kit.security import csp_nonce
from repdesk.kit.time import ensure_utc
from repdesk.kit.web import CSRF_COOKIE, mark_rollback_only

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _money(minor: int | None, currency: str = "NGN") -> str:
    """The ``money`` filter: table amounts with their minor digits (``₦12,500.00``)."""
    return "" if minor is None else format_money(minor, currency, fixed=True)


def _when(value: Any) -> str:
    if value is None:
        return ""
    return ensure_utc(value).strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["money"] = _money
templates.env.filters["when"] = _when
templates.env.globals["nav"] = nav


def csrf_token(request: Request) -> str:
    """The double-submit token: the cookie's value, or a fresh one set on this response."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    fresh = getattr(request.state, "new_csrf", None)
    if fresh is None:
        fresh = token(24)
        request.state.new_csrf = fresh
    return str(fresh)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "request": request,
        "principal": getattr(request.state, "principal", None),
        "csrf_token": csrf_token(request),
        "csp_nonce": csp_nonce(request),
        "flash": request.query_params.get("flash", ""),
        "error": request.query_params.get("error", ""),
        "path": request.url.path,
    }
    if context:
        ctx.update(context)
    if status >= 400:
        mark_rollback_only()  # an error page commits nothing the request wrote
    response = templates.TemplateResponse(request, template, ctx, status_code=status)
    fresh = getattr(request.state, "new_csrf", None)
    if fresh:
        settings = request.app.state.settings
        response.set_cookie(
            CSRF_COOKIE,
            fresh,
            httponly=False,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
            max_age=settings.session_days * 86400,
        )
    return response


def back_on_error(request: Request, url: str, *, prefix: str = "") -> None:
    """From here on, an ``AppError`` this page raises sends the browser back to ``url`` with the
    error shown (``prefix`` before the message). The page just raises: the unit of work rolls
    back (nothing the form half-did is committed) and :func:`page_error` answers."""
    request.state.error_back = (url, prefix)


def page_error(request: Request, exc: AppError) -> RedirectResponse | None:
    """The one answer to a page's failed form (registered in the app by the dashboard): a
    redirect to the page :func:`back_on_error` named, or None when the page named none."""
    back: tuple[str, str] | None = getattr(request.state, "error_back", None)
    if back is None:
        return None
    url, prefix = back
    return redirect(url, error=f"{prefix}{exc.message}")


def redirect(url: str, *, flash: str = "", error: str = "") -> RedirectResponse:
    """See-other redirect carrying a flash or an error message. An error redirect marks the
    request's unit of work rollback-only: a form that failed changes nothing."""
    if error:
        mark_rollback_only()
    sep = "&" if "?" in url else "?"
    if flash:
        url = f"{url}{sep}flash={quote(flash)}"
    elif error:
        url = f"{url}{sep}error={quote(error)}"
    return RedirectResponse(url, status_code=303)
