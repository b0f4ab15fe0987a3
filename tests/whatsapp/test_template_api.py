"""The template authoring API against the fake Graph API: submit (stored PENDING), refusals
naming their field, Meta's refusals in plain words, header media, status webhooks and the
sync moving the status on, edit and resubmit a rejected template, delete, tenant scoping."""

from __future__ import annotations

from typing import Any

import httpx

from repdesk.db.engine import Database
from repdesk.inbound import service as intake
from repdesk.jobs.worker import Worker
from tests.factories import create_assistant, signed_in
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import APP_SECRET, dumps, sign


async def connected(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph, **kw: str
) -> tuple[str, str]:
    """A signed-in owner's assistant with the fake's number; (assistant id, webhook path)."""
    account = await signed_in(client, db, **kw)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    r = await client.post(
        f"/api/assistants/{assistant.id}/whatsapp/credentials",
        json={
            "accessToken": graph.access_token,
            "phoneNumberId": graph.phone_number_id,
            "businessAccountId": graph.business_account_id,
            "phoneNumber": graph.e164,
            "appSecret": APP_SECRET,
        },
    )
    assert r.status_code == 200, r.text
    return assistant.id, r.json()["webhookUrl"].rsplit("/", 1)[1]


def offer(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "spring_offer",
        "language": "en_US",
        "category": "MARKETING",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, {{2}} off this week.",
                "example": {"body_text": [["Ada", "20%"]]},
            },
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Show me"}]},
        ],
    }
    data.update(over)
    return data


async def webhook(
    client: httpx.AsyncClient, db: Database, path: str, payload: dict[str, Any]
) -> None:
    body = dumps(payload)
    r = await client.post(
        f"/webhooks/whatsapp_cloud/{path}",
        content=body,
        headers={"content-type": "application/json", "x-hub-signature-256": sign(body)},
    )
    assert r.status_code == 200, r.text
    await Worker(db, kinds=[intake.INGEST_JOB], poll_interval=0.05).drain()


async def test_submit_store_pending_then_approved_by_the_webhook(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, path = await connected(client, db, graph)
    r = await client.post(f"/api/assistants/{aid}/templates", json=offer())
    assert r.status_code == 201, r.text
    tpl = r.json()
    assert tpl["status"] == "PENDING" and tpl["category"] == "MARKETING" and tpl["submittedAt"]
    sent = graph.requests_to(f"/{graph.business_account_id}/message_templates", "POST")[-1].json
    assert sent["name"] == "spring_offer" and sent["components"][0]["type"] == "BODY"
    assert graph.find_template(tpl["metaTemplateId"]) is not None

    listed = (await client.get(f"/api/assistants/{aid}/templates")).json()["data"]
    assert [t["name"] for t in listed if t["status"] == "PENDING"] == ["spring_offer"]

    await webhook(client, db, path, graph.status_webhook(tpl["metaTemplateId"], "APPROVED"))
    got = (await client.get(f"/api/templates/{tpl['id']}")).json()
    assert got["status"] == "APPROVED" and got["rejectedReason"] is None

    quality = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": graph.business_account_id,
                "time": 1751247548,
                "changes": [
                    {
                        "field": "message_template_quality_update",
                        "value": {
                            "previous_quality_score": "UNKNOWN",
                            "new_quality_score": "YELLOW",
                            "message_template_id": int(tpl["metaTemplateId"]),
                            "message_template_name": "spring_offer",
                            "message_template_language": "en_US",
                        },
                    }
                ],
            }
        ],
    }
    await webhook(client, db, path, quality)
    got = (await client.get(f"/api/templates/{tpl['id']}")).json()
    assert got["quality"] == "YELLOW" and got["status"] == "APPROVED"


async def test_rejected_then_edited_and_resubmitted(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, path = await connected(client, db, graph)
    tpl = (await client.post(f"/api/assistants/{aid}/templates", json=offer())).json()
    early = await client.patch(f"/api/templates/{tpl['id']}", json={"category": "UTILITY"})
    assert early.status_code == 409 and early.json()["code"] == "TEMPLATE_NOT_EDITABLE"

    await webhook(
        client,
        db,
        path,
        graph.status_webhook(tpl["metaTemplateId"], "REJECTED", reason="INVALID_FORMAT"),
    )
    got = (await client.get(f"/api/templates/{tpl['id']}")).json()
    assert got["status"] == "REJECTED" and got["rejectedReason"] == "INVALID_FORMAT"
    assert "next to each other" in got["rejectionDetail"]
    assert "Separate parameters" in got["rejectionDetail"]

    bad = await client.patch(
        f"/api/templates/{tpl['id']}",
        json={"components": [{"type": "BODY", "text": "Hi {{1}}{{2}} there"}]},
    )
    assert bad.status_code == 400 and bad.json()["field"] == "body.text"
    renamed = await client.patch(
        f"/api/templates/{tpl['id']}", json={"components": [], "category": "NOPE"}
    )
    assert renamed.status_code == 400 and renamed.json()["field"] == "category"

    fixed = [
        {
            "type": "BODY",
            "text": "Hi {{1}}, see this week's offer.",
            "example": {"body_text": [["Ada"]]},
        }
    ]
    r = await client.patch(f"/api/templates/{tpl['id']}", json={"components": fixed})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["status"] == "PENDING"
        and body["rejectedReason"] is None
        and body["rejectionDetail"] is None
    )
    assert body["components"] == fixed
    edit = graph.requests_to(f"/{tpl['metaTemplateId']}", "POST")[-1].json
    assert edit == {"category": "MARKETING", "components": fixed}

    # The periodic sync agrees with Meta (the fake moved it to PENDING too).
    synced = await client.post(f"/api/assistants/{aid}/whatsapp/templates/sync")
    mine = next(t for t in synced.json()["data"] if t["name"] == "spring_offer")
    assert mine["status"] == "PENDING" and mine["id"] == tpl["id"]


async def test_refusals_name_the_field_and_nothing_reaches_meta(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, _ = await connected(client, db, graph)
    cases = [
        (offer(name="Spring Offer"), "name"),
        (offer(category="PROMO"), "category"),
        (
            offer(components=[{"type": "BODY", "text": "Hi {{1}}, welcome."}]),
            "body.example.body_text",
        ),
        (
            offer(
                components=[
                    {"type": "BODY", "text": "Hi"},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "x" * 26}]},
                ]
            ),
            "buttons[0].text",
        ),
        (
            offer(
                components=[{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Hi"}]
            ),
            "header.example.header_handle",
        ),
    ]
    for body, field in cases:
        r = await client.post(f"/api/assistants/{aid}/templates", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "TEMPLATE_INVALID" and r.json()["field"] == field
        assert r.json()["message"].startswith(field + ":")
    assert graph.requests_to("/message_templates", "POST") == []
    unknown = await client.post(f"/api/assistants/{aid}/templates", json={**offer(), "extra": 1})
    assert unknown.status_code == 400 and "extra" in unknown.text


async def test_metas_refusals_in_plain_words(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, _ = await connected(client, db, graph)
    url = f"/api/assistants/{aid}/templates"
    graph.fail_template("policy")
    r = await client.post(url, json=offer())
    assert r.status_code == 400 and r.json()["code"] == "TEMPLATE_POLICY"
    assert "Business and Commerce policies" in r.json()["message"]
    graph.fail_template("too_many")
    r = await client.post(url, json=offer())
    assert r.status_code == 400 and r.json()["code"] == "TEMPLATE_LIMIT"
    # Taken at Meta (created in WhatsApp Manager, not yet synced here).
    graph.templates[graph.business_account_id].append(
        graph.template("spring_offer", "en_US", "APPROVED")
    )
    r = await client.post(url, json=offer())
    assert r.status_code == 409 and r.json()["code"] == "TEMPLATE_NAME_TAKEN"
    assert "already exists" in r.json()["message"]
    # Taken here: refused before Meta is asked.
    assert (await client.post(f"/api/assistants/{aid}/whatsapp/templates/sync")).status_code == 200
    before = len(graph.requests_to("/message_templates", "POST"))
    r = await client.post(url, json=offer(name="order_confirmation"))
    assert r.status_code == 409 and r.json()["field"] == "name"
    assert len(graph.requests_to("/message_templates", "POST")) == before
    listed = (await client.get(url)).json()["data"]
    # The refused submissions stored nothing: the one spring_offer is Meta's, synced.
    assert [t["status"] for t in listed if t["name"] == "spring_offer"] == ["APPROVED"]


async def test_header_media_upload_then_an_image_template(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, _ = await connected(client, db, graph)
    media = f"/api/assistants/{aid}/templates/media"
    bad = await client.post(media, files={"file": ("x.gif", b"GIF89a", "image/gif")})
    assert bad.status_code == 400 and bad.json()["field"] == "header.example.header_handle"
    big = await client.post(
        media, files={"file": ("x.png", b"0" * (5 * 1024 * 1024 + 1), "image/png")}
    )
    assert big.status_code == 400 and "5 MB" in big.json()["message"]
    r = await client.post(media, files={"file": ("shoe.png", b"\x89PNG shoe", "image/png")})
    assert r.status_code == 200, r.text
    handle = r.json()["headerHandle"]
    assert graph.handles[handle] == b"\x89PNG shoe"
    # A BYOK token's app is asked for its id (GET /app).
    assert graph.requests_to("/app", "GET")

    data = offer(name="shoe_drop")
    data["components"].insert(
        0, {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}}
    )
    created = await client.post(f"/api/assistants/{aid}/templates", json=data)
    assert created.status_code == 201, created.text
    assert created.json()["components"][0]["example"] == {"header_handle": [handle]}


async def test_delete_at_meta_and_here_and_other_workspaces_see_nothing(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, _ = await connected(client, db, graph)
    tpl = (await client.post(f"/api/assistants/{aid}/templates", json=offer())).json()

    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await signed_in(other, db, email="other@shop.test")
        assert (await other.get(f"/api/templates/{tpl['id']}")).status_code == 404
        assert (await other.delete(f"/api/templates/{tpl['id']}")).status_code == 404
        assert (await other.get(f"/api/assistants/{aid}/templates")).status_code == 404

    r = await client.delete(f"/api/templates/{tpl['id']}")
    assert r.status_code == 204
    q = graph.requests_to("/message_templates", "DELETE")[-1].query
    assert q == {"name": "spring_offer", "hsm_id": tpl["metaTemplateId"]}
    assert graph.find_template(tpl["metaTemplateId"]) is None
    assert (await client.get(f"/api/templates/{tpl['id']}")).status_code == 404
    # A template Meta no longer has is simply forgotten here.
    synced = (await client.post(f"/api/assistants/{aid}/whatsapp/templates/sync")).json()["data"]
    row = next(t for t in synced if t["name"] == "welcome_back")
    graph.templates[graph.business_account_id] = [
        t for t in graph.templates[graph.business_account_id] if t["name"] != "welcome_back"
    ]
    assert (await client.delete(f"/api/templates/{row['id']}")).status_code == 204


async def test_a_number_not_connected_is_refused(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    r = await client.post(f"/api/assistants/{assistant.id}/templates", json=offer())
    assert r.status_code == 400 and r.json()["code"] == "WHATSAPP_NOT_CONNECTED"


async def test_a_revoked_token_is_said_plainly_and_disconnects_the_number(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    aid, _ = await connected(client, db, graph)
    graph.revoke()
    r = await client.post(f"/api/assistants/{aid}/templates", json=offer())
    assert r.status_code == 400 and r.json()["code"] == "WHATSAPP_TOKEN_INVALID"
    assert "reconnect WhatsApp" in r.json()["message"]
    status = (await client.get(f"/api/assistants/{aid}/whatsapp")).json()
    assert status["status"] == "disconnected"
