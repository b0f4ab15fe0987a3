"""Management routes: GET|PATCH /api/assistants/{id}/widget and the avatar upload."""

from __future__ import annotations

import httpx

from repdesk.db.engine import Database
from tests.factories import create_assistant
from tests.widget.conftest import WidgetSetup

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


async def test_get_returns_settings_public_id_and_embed_code(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    r = await client.get(f"/api/assistants/{widget_setup.assistant_id}/widget")
    assert r.status_code == 200
    body = r.json()
    assert body["publicId"].startswith("wgt_")
    assert body["embedCode"] == (
        f'<script src="http://testserver/widget.js" data-repdesk-widget="{body["publicId"]}" '
        "async></script>"
    )
    assert body["theme"] == "auto" and body["position"] == "bottom-right"
    assert body["businessName"] == "Web sales"
    assert body["allowedDomains"] == ["shop.example.com"]
    # The public id is stable across reads.
    again = await client.get(f"/api/assistants/{widget_setup.assistant_id}/widget")
    assert again.json()["publicId"] == body["publicId"]


async def test_patch_changes_every_listed_field(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    changes = {
        "color": "#FF5500",
        "theme": "dark",
        "position": "bottom-left",
        "welcomeMessage": "Welcome to Ada's!",
        "businessName": "Ada's Fabrics",
        "font": "Georgia",
        "voiceEnabled": False,
        "filesEnabled": False,
        "allowedDomains": ["https://Shop.Example.com/path", "*.ada.test", "shop.localhost:8080"],
    }
    r = await client.patch(f"/api/assistants/{widget_setup.assistant_id}/widget", json=changes)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["color"] == "#ff5500"
    assert body["theme"] == "dark" and body["position"] == "bottom-left"
    assert body["welcomeMessage"] == "Welcome to Ada's!" and body["businessName"] == "Ada's Fabrics"
    assert (
        body["font"] == "Georgia"
        and body["voiceEnabled"] is False
        and body["filesEnabled"] is False
    )
    assert body["allowedDomains"] == ["shop.example.com", "*.ada.test", "shop.localhost:8080"]
    assert (await client.get(f"/api/assistants/{widget_setup.assistant_id}/widget")).json() == body


async def test_invalid_patch_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    url = f"/api/assistants/{widget_setup.assistant_id}/widget"
    before = (await client.get(url)).json()
    for bad in (
        {"color": "red", "theme": "dark"},
        {"theme": "neon"},
        {"position": "top-left"},
        {"font": "Comic Sans"},
        {"allowedDomains": ["not a host!"]},
        {"allowedDomains": ["shop.example.com:99999"]},
        {"businessName": ""},
        {"unknownField": 1},
    ):
        r = await client.patch(url, json=bad)
        assert r.status_code == 400, (bad, r.text)
        assert set(r.json()) >= {"code", "message", "docs"}
    assert (await client.get(url)).json() == before


async def test_whatsapp_assistant_has_no_widget(
    client: httpx.AsyncClient, db: Database, widget_setup: WidgetSetup
) -> None:
    wa = await create_assistant(
        db, workspace_id=widget_setup.account.workspace_id, platform="whatsapp"
    )
    r = await client.get(f"/api/assistants/{wa.id}/widget")
    assert r.status_code == 400 and r.json()["code"] == "NOT_A_WIDGET"
    assert (await client.get("/api/assistants/nope/widget")).status_code == 404


async def test_avatar_upload_checks_the_real_type(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    url = f"/api/assistants/{widget_setup.assistant_id}/widget/avatar"
    fake = await client.post(
        url, files={"file": ("avatar.png", b"<svg onload=alert(1)>", "image/png")}
    )
    assert fake.status_code == 415 and fake.json()["code"] == "UNSUPPORTED_FILE_TYPE"
    r = await client.post(url, files={"file": ("me.bin", PNG, "application/octet-stream")})
    assert r.status_code == 200, r.text
    file_id = r.json()["avatarFileId"]
    got = await client.get(f"/api/files/{file_id}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content == PNG


async def test_management_routes_need_a_login(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    client.cookies.clear()
    r = await client.get(f"/api/assistants/{widget_setup.assistant_id}/widget")
    assert r.status_code == 401


async def test_routes_are_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    assert {"get", "patch"} <= set(paths["/api/assistants/{assistant_id}/widget"])
    assert "post" in paths["/api/assistants/{assistant_id}/widget/avatar"]


async def test_settings_page_shows_form_preview_and_embed_code(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    await client.patch(
        f"/api/assistants/{widget_setup.assistant_id}/widget",
        json={"welcomeMessage": "<script>alert('x')</script> Hi"},
    )
    r = await client.get(f"/assistants/{widget_setup.assistant_id}/widget")
    assert r.status_code == 200
    html = r.text
    assert f'data-repdesk-widget="{widget_setup.public_id}"' in html
    assert "Copy embed code" in html and "theme.liquid" in html and "Wix" in html
    assert 'id="widget-preview"' in html
    assert "<script>alert('x')</script>" not in html  # escaped in the form and in the JSON
    assert 'href="/assistants/' + widget_setup.assistant_id + '/widget"' in html  # menu entry


async def test_settings_page_form_saves_and_reports_errors(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    url = f"/assistants/{widget_setup.assistant_id}/widget"
    form = {
        "csrf_token": widget_setup.account.csrf,
        "business_name": "Ada",
        "welcome_message": "Hello",
        "color": "#112233",
        "theme": "light",
        "position": "bottom-left",
        "font": "Arial",
        "files_enabled": "1",
        "allowed_domains": "shop.example.com\nwww.ada.test",
    }
    r = await client.post(url, data=form)
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    got = (await client.get(f"/api/assistants/{widget_setup.assistant_id}/widget")).json()
    assert (
        got["businessName"] == "Ada"
        and got["voiceEnabled"] is False
        and got["filesEnabled"] is True
    )
    assert got["allowedDomains"] == ["shop.example.com", "www.ada.test"]
    bad = await client.post(
        url, data={**form, "allowed_domains": "not valid!!", "business_name": "Zed"}
    )
    assert bad.status_code == 303 and "error=" in bad.headers["location"]
    after = (await client.get(f"/api/assistants/{widget_setup.assistant_id}/widget")).json()
    assert after["businessName"] == "Ada"  # nothing half-saved


async def test_settings_page_avatar_upload(
    client: httpx.AsyncClient, widget_setup: WidgetSetup
) -> None:
    url = f"/assistants/{widget_setup.assistant_id}/widget/avatar"
    csrf = {"csrf_token": widget_setup.account.csrf}
    bad = await client.post(url, data=csrf, files={"file": ("a.png", b"GIF? no", "image/png")})
    assert bad.status_code == 303 and "error=" in bad.headers["location"]
    ok = await client.post(url, data=csrf, files={"file": ("a.png", PNG, "image/png")})
    assert ok.status_code == 303 and "flash=" in ok.headers["location"]
    got = (await client.get(f"/api/assistants/{widget_setup.assistant_id}/widget")).json()
    assert got["avatarUrl"] == f"/api/files/{got['avatarFileId']}"
