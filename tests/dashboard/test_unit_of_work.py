from __future__ import annotations

import ast
from pathlib import Path
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from sqlalchemy import func, select

from repdesk.accounts.models import Workspace
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.db.engine import Database
from repdesk.kit.errors import ValidationError
from repdesk.kit.web import SessionDep


def _probe_routes() -> APIRouter:
    router = APIRouter()

    @router.post("/_probe/error-redirect")
    async def error_redirect(session: SessionDep):  # type: ignore[no-untyped-def]
        session.add(Workspace(business_name="half-written", credits=0))
        await session.flush()
        return redirect("/somewhere", error="That did not work.")

    @router.post("/_probe/ok-redirect")
    async def ok_redirect(session: SessionDep):  # type: ignore[no-untyped-def]
        session.add(Workspace(business_name="kept", credits=0))
        await session.flush()
        return redirect("/somewhere", flash="Saved.")

    @router.get("/_probe/error-page")
    async def error_page(request: Request, session: SessionDep):  # type: ignore[no-untyped-def]
        session.add(Workspace(business_name="half-written", credits=0))
        await session.flush()
        return render(request, "auth/verified.html", {"ok": False, "message": "no"}, status=400)

    return router


async def names(db: Database) -> list[str]:
    async with db.session() as s:
        return list(
            await s.scalars(select(Workspace.business_name).order_by(Workspace.business_name))
        )


async def test_a_form_that_fails_commits_nothing_it_flushed(
    app, client: httpx.AsyncClient, db: Database
) -> None:  # type: ignore[no-untyped-def]
    app.include_router(_probe_routes())
    r = await client.post("/_probe/error-redirect")
    assert r.status_code == 303 and "error=" in r.headers["location"]
    r = await client.get("/_probe/error-page")
    assert r.status_code == 400
    assert await names(db) == []
    r = await client.post("/_probe/ok-redirect")
    assert r.status_code == 303
    assert await names(db) == ["kept"]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Workspace)) == 1


def _raising_routes() -> APIRouter:
    router = APIRouter()

    @router.post("/_probe/raises-back")
    async def raises_back(request: Request, session: SessionDep):  # type: ignore[no-untyped-def]
        back_on_error(request, "/the-form?edit=1", prefix="Import failed. ")
        session.add(Workspace(business_name="half-written", credits=0))
        await session.flush()
        raise ValidationError("The file has no rows.")

    @router.post("/_probe/raises-plain")
    async def raises_plain(session: SessionDep):  # type: ignore[no-untyped-def]
        session.add(Workspace(business_name="half-written", credits=0))
        await session.flush()
        raise ValidationError("The file has no rows.")

    return router


async def test_a_page_that_raises_goes_back_to_its_form_with_the_error(
    app, client: httpx.AsyncClient, db: Database
) -> None:  # type: ignore[no-untyped-def]
    """One handler for every page: the page raises, the unit of work rolls back, the browser
    goes back to the form's page with the error shown (the flash mechanism)."""
    app.include_router(_raising_routes())
    r = await client.post("/_probe/raises-back")
    assert r.status_code == 303
    assert r.headers["location"] == "/the-form?edit=1&error=" + quote(
        "Import failed. The file has no rows."
    )
    assert await names(db) == []
    # A page that named no form answers as before (the API's error body).
    r = await client.post("/_probe/raises-plain")
    assert r.status_code == 400 and r.json()["code"] == "VALIDATION_ERROR"
    assert await names(db) == []


# -- one error handler for pages --------------------------------------------------------------

SRC = Path(__file__).resolve().parents[2] / "src" / "repdesk"


def catch_and_redirect(source: str, filename: str) -> list[str]:
    """``file:line`` of every ``except AppError`` whose body only redirects with the error (and
    perhaps marks the request rollback-only): the work ``back_on_error`` and the one handler
    do for every page."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.ExceptHandler) or not (
            isinstance(node.type, ast.Name) and node.type.id == "AppError"
        ):
            continue
        body = [s for s in node.body if not _is_call_to(s, "mark_rollback_only")]
        if (
            len(body) == 1
            and isinstance(body[0], ast.Return)
            and isinstance(body[0].value, ast.Call)
            and isinstance(body[0].value.func, ast.Name)
            and body[0].value.func.id == "redirect"
            and any(k.arg == "error" for k in body[0].value.keywords)
        ):
            found.append(f"{filename}:{node.lineno}")
    return found


def _is_call_to(stmt: ast.stmt, name: str) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == name
    )


def test_no_page_catches_an_app_error_only_to_redirect_with_it() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        found += catch_and_redirect(path.read_text("utf-8"), path.relative_to(SRC).as_posix())
    assert found == []


def test_the_page_error_check_finds_a_hand_written_catch() -> None:
    bad = (
        "async def save(request, session):\n"
        "    try:\n"
        "        await service.update(session)\n"
        "    except AppError as exc:\n"
        "        mark_rollback_only()\n"
        "        return redirect('/back', error=exc.message)\n"
        "    try:\n"
        "        await service.other(session)\n"
        "    except AppError as exc:\n"
        "        return render(request, 'form.html', {'form_error': exc.message}, status=400)\n"
    )
    assert catch_and_redirect(bad, "shop/pages.py") == ["shop/pages.py:4"]
