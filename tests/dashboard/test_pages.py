from __future__ import annotations

import httpx

from repdesk.db.engine import Database
from tests.factories import create_account, signed_in


async def test_pages_redirect_to_login_when_logged_out(client: httpx.AsyncClient) -> None:
    for path in ("/dashboard", "/assistants", "/billing", "/settings"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


async def test_form_posts_need_the_csrf_token(client: httpx.AsyncClient, db: Database) -> None:
    await create_account(db)
    await client.get("/login")  # sets the CSRF cookie
    r = await client.post(
        "/login", data={"email": "owner@shop.test", "password": "correct horse battery"}
    )
    assert r.status_code == 403
    token = client.cookies["repdesk_csrf"]
    r = await client.post(
        "/login",
        data={"email": "owner@shop.test", "password": "correct horse battery", "csrf_token": token},
    )
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    home = await client.get("/dashboard")
    assert home.status_code == 200 and "Welcome, Ada&#39;s Shop" in home.text


async def test_register_page_shows_clear_errors(client: httpx.AsyncClient, db: Database) -> None:
    await create_account(db, email="taken@shop.test")
    await client.get("/register")
    token = client.cookies["repdesk_csrf"]
    r = await client.post(
        "/register",
        data={
            "email": "taken@shop.test",
            "password": "long-enough",
            "business_name": "X",
            "csrf_token": token,
        },
    )
    assert r.status_code == 200 and "Check your email" in r.text  # (tests/accounts)
    r = await client.post(
        "/register",
        data={
            "email": "new@shop.test",
            "password": "short",
            "business_name": "X",
            "csrf_token": token,
        },
    )
    assert r.status_code == 400 and "password" in r.text


async def test_assistant_delete_needs_the_typed_name(
    client: httpx.AsyncClient, db: Database
) -> None:
    acct = await signed_in(client, db)
    a = (
        await client.post("/api/assistants", json={"name": "Shop <b>bot</b>", "platform": "widget"})
    ).json()
    page = (await client.get(f"/assistants/{a['id']}/settings")).text
    assert "Shop &lt;b&gt;bot&lt;/b&gt;" in page and "<b>bot</b>" not in page  # escaped
    r = await client.post(
        f"/assistants/{a['id']}/delete", data={"confirm_name": "wrong", "csrf_token": acct.csrf}
    )
    assert r.status_code == 303 and "error=" in r.headers["location"]
    assert (await client.get(f"/api/assistants/{a['id']}")).status_code == 200
    r = await client.post(
        f"/assistants/{a['id']}/delete",
        data={"confirm_name": "Shop <b>bot</b>", "csrf_token": acct.csrf},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/assistants?flash=")
    assert (await client.get(f"/api/assistants/{a['id']}")).status_code == 404


async def test_rename_through_the_settings_page(client: httpx.AsyncClient, db: Database) -> None:
    acct = await signed_in(client, db)
    a = (await client.post("/api/assistants", json={"name": "Old", "platform": "whatsapp"})).json()
    r = await client.post(
        f"/assistants/{a['id']}/settings",
        data={"name": "New name", "purpose": "support", "csrf_token": acct.csrf},
    )
    assert r.status_code == 303
    got = (await client.get(f"/api/assistants/{a['id']}")).json()
    assert got["name"] == "New name" and got["purpose"] == "support"
    r = await client.post(
        f"/assistants/{a['id']}/settings", data={"name": "   ", "csrf_token": acct.csrf}
    )
    assert "error=" in r.headers["location"]
    assert (await client.get(f"/api/assistants/{a['id']}")).json()["name"] == "New name"


async def test_assistant_pages_and_routes_are_scoped_to_the_signed_in_workspace(
    client: httpx.AsyncClient, db: Database, app
) -> None:  # type: ignore[no-untyped-def]
    """Every ``/assistants/{id}/…`` page and ``/api/assistants/{id}/…`` route takes its
    assistant through one dependency: signed out, pages go to the login page and routes
    answer 401; another workspace's assistant is 404 on both; the owner gets through."""
    await signed_in(client, db)
    mine = await client.post("/api/assistants", json={"name": "Mine", "platform": "whatsapp"})
    assistant_id = mine.json()["id"]
    pages = ["catalog", "knowledge", "faqs", "orders", "whatsapp", "training", "messages"]
    routes = ["products", "knowledge", "orders", "whatsapp", "training/profile", "conversations"]
    for page in pages:
        r = await client.get(f"/assistants/{assistant_id}/{page}")
        assert r.status_code == 200, (page, r.status_code)
    for route in routes:
        r = await client.get(f"/api/assistants/{assistant_id}/{route}")
        assert r.status_code == 200, (route, r.status_code, r.text[:200])

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        for page in pages:
            r = await other.get(f"/assistants/{assistant_id}/{page}")
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), page
        for route in routes:
            r = await other.get(f"/api/assistants/{assistant_id}/{route}")
            assert r.status_code == 401, route
        await signed_in(other, db, email="someone@else.test")
        for page in pages:
            assert (await other.get(f"/assistants/{assistant_id}/{page}")).status_code == 404
        for route in routes:
            r = await other.get(f"/api/assistants/{assistant_id}/{route}")
            assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", route
