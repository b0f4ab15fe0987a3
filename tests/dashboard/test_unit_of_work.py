from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from sqlalchemy import func, select

from repdesk.accounts.models import Workspace
from repdesk.dashboard.render import redirect, render
from repdesk.db.engine import Database
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
