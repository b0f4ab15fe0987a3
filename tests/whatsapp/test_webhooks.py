"""Meta's webhooks: handshake, signatures, every message type, redelivery, statuses, templates."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from repdesk.channels.whatsapp import service as wa
from repdesk.channels.whatsapp import templates
from repdesk.channels.whatsapp.models import WhatsAppConnection, WhatsAppTemplate
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from repdesk.events.service import on_event
from repdesk.files.models import StoredFile
from repdesk.inbound import service as intake
from repdesk.inbound.models import InboundEvent
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from tests.conversations.helpers import send_as
from tests.fakes.graph import FakeGraph
from tests.whatsapp.helpers import (
    CUSTOMER,
    connected_assistant,
    dumps,
    embedded_assistant,
    envelope,
    forget_app_secret,
    message,
    sign,
    text,
    wamid,
)


async def post(
    db: Database,
    client: httpx.AsyncClient,
    conn: WhatsAppConnection,
    payload: Any,
    *,
    signature: str | None = "auto",
    raw: bytes | None = None,
) -> httpx.Response:
    """Post a webhook as Meta does, then run the ingest job it scheduled."""
    body = raw if raw is not None else dumps(payload)
    headers = {"content-type": "application/json"}
    if signature == "auto":
        headers["x-hub-signature-256"] = sign(body)
    elif signature is not None:
        headers["x-hub-signature-256"] = signature
    r = await client.post(
        f"/webhooks/whatsapp_cloud/{conn.webhook_path}", content=body, headers=headers
    )
    await ingest(db)
    return r


async def ingest(db: Database) -> int:
    """Run due ``inbound.ingest`` jobs (only those: other jobs stay queued for the test)."""
    return await Worker(db, kinds=[intake.INGEST_JOB], poll_interval=0.05).drain()


async def messages(db: Database) -> list[Message]:
    async with db.transaction() as session:
        return list(await session.scalars(select(Message).order_by(Message.id)))


async def test_handshake_echoes_challenge_only_for_the_right_token(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    url = f"/webhooks/whatsapp_cloud/{conn.webhook_path}"
    ok = await client.get(
        url,
        params={
            "hub.mode": "subscribe",
            "hub.challenge": "1158201444",
            "hub.verify_token": conn.verify_token,
        },
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = await client.get(
        url, params={"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "nope"}
    )
    assert bad.status_code == 403 and bad.json()["code"] == "VERIFY_TOKEN_MISMATCH"
    unknown = await client.get(
        "/webhooks/whatsapp_cloud/not-a-path", params={"hub.mode": "subscribe"}
    )
    assert unknown.status_code == 404


async def test_bad_or_missing_signature_stores_nothing(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    payload = envelope(graph, messages=[text("hello")])
    r1 = await post(db, client, conn, payload, signature="sha256=" + "0" * 64)
    r2 = await post(db, client, conn, payload, signature=None)
    r3 = await post(db, client, conn, payload, signature=sign(dumps(payload), "another-secret"))
    assert [r.status_code for r in (r1, r2, r3)] == [401, 401, 401]
    assert r1.json()["code"] == "INVALID_SIGNATURE"
    assert await messages(db) == []


async def test_signature_is_over_the_raw_bytes(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    raw = (
        '{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages",'
        '"value":{"metadata":{"phone_number_id":"PNID"},"contacts":[{"profile":{"name":"\\u00c9mile"},'
        '"wa_id":"CUST"}],"messages":[{"from":"CUST","id":"wamid.raw1","timestamp":"TS","type":"text",'
        '"text":{"body":"caf\\u00e9 \\ud83d\\ude00"}}]}}]}]}'
    )
    for key, value in (
        ("WABA", graph.business_account_id),
        ("PNID", graph.phone_number_id),
        ("CUST", CUSTOMER),
        ("TS", str(int(time.time()))),
    ):
        raw = raw.replace(key, value)
    r = await post(db, client, conn, None, raw=raw.encode())
    assert r.status_code == 200, r.text
    [m] = await messages(db)
    assert m.text == "café 😀"


async def test_broken_json_is_400_and_empty_payload_is_200(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    r = await post(
        db, client, conn, None, raw=b'{"object": "whatsapp_business_account", "entry": ['
    )
    assert r.status_code == 400 and r.json()["code"] == "INVALID_JSON"
    r = await post(db, client, conn, None, raw=b"[1, 2]")
    assert r.status_code == 400
    r = await post(
        db,
        client,
        conn,
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": graph.business_account_id,
                    "changes": [{"field": "account_update", "value": {"event": "X"}}],
                }
            ],
        },
    )
    assert r.status_code == 200
    r = await post(
        db,
        client,
        conn,
        envelope(graph, messages=[text("not ours")])
        | {
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "metadata": {"phone_number_id": "999"},
                                "messages": [text("x")],
                            },
                        }
                    ],
                }
            ]
        },
    )
    assert r.status_code == 200
    assert await messages(db) == []


def every_type(reply_to: str) -> list[dict[str, Any]]:
    return [
        text("Does it come in blue?"),
        message(
            "interactive",
            {"type": "button_reply", "button_reply": {"id": "yes-1", "title": "Yes please"}},
        ),
        message(
            "interactive",
            {
                "type": "list_reply",
                "list_reply": {"id": "express", "title": "Express", "description": "Next day"},
            },
        ),
        message(
            "button",
            {"payload": "STOP_PROMO", "text": "Stop promotions"},
            context={"from": "15550783881", "id": reply_to},
        ),
        message(
            "image",
            {"caption": "<b>this one</b>", "mime_type": "image/jpeg", "sha256": "x", "id": "111"},
        ),
        message(
            "document",
            {"filename": "invoice.pdf", "mime_type": "application/pdf", "sha256": "x", "id": "222"},
        ),
        message(
            "audio",
            {"mime_type": "audio/ogg; codecs=opus", "sha256": "x", "id": "333", "voice": True},
        ),
        message("video", {"mime_type": "video/mp4", "sha256": "x", "id": "444"}),
        message(
            "sticker", {"mime_type": "image/webp", "sha256": "x", "id": "555", "animated": False}
        ),
        message(
            "location",
            {
                "latitude": 6.5244,
                "longitude": 3.3792,
                "name": "Shop",
                "address": "1 Broad St, Lagos",
            },
        ),
        message("location", {"latitude": 6.5, "longitude": 3.4}),
        message(
            "contacts",
            None,
            contacts=[
                {
                    "name": {"formatted_name": "Chidi Okafor", "first_name": "Chidi"},
                    "phones": [{"phone": "+234 1"}],
                },
                {"name": {"first_name": "Ngozi"}, "phones": [{"phone": "+234 2"}]},
            ],
        ),
        message("reaction", {"message_id": reply_to, "emoji": "👍"}),
        message(
            "unsupported",
            {"type": "poll_update"},
            errors=[{"code": 131051, "title": "Message type unknown"}],
        ),
        message("order", {"catalog_id": "1", "product_items": []}),
        text("replying", context={"from": "15550783881", "id": reply_to}),
        text("fwd", context={"forwarded": True}),
    ]


async def test_every_message_type_is_stored_readably(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    assistant, conn = await connected_assistant(db, graph)
    target = wamid()
    batch = every_type(target)
    r = await post(db, client, conn, envelope(graph, messages=batch))
    assert r.status_code == 200 and r.json()["received"] == len(batch)
    stored = {m.external_id: m for m in await messages(db)}
    got = [(stored[b["id"]].type, stored[b["id"]].text) for b in batch]
    assert got == [
        ("text", "Does it come in blue?"),
        ("interactive", "Yes please"),
        ("interactive", "Express"),
        ("button", "Stop promotions"),
        ("image", "<b>this one</b>"),
        ("document", "invoice.pdf"),
        ("audio", "[voice message]"),
        ("video", "[video]"),
        ("sticker", "[sticker]"),
        ("location", "Shop, 1 Broad St, Lagos"),
        ("location", "6.5, 3.4"),
        ("contacts", "Shared contacts: Chidi Okafor, Ngozi"),
        ("reaction", "Reacted 👍"),
        ("unsupported", "[unsupported message]"),
        ("unsupported", "[unsupported message]"),
        ("text", "replying"),
        ("text", "fwd"),
    ]
    by = [stored[b["id"]] for b in batch]
    assert by[1].content["id"] == "yes-1" and by[2].content["description"] == "Next day"
    assert by[3].content["payload"] == "STOP_PROMO" and by[3].reply_to_external_id == target
    assert by[4].content["mediaId"] == "111" and by[4].content["mimeType"] == "image/jpeg"
    assert by[6].content["voice"] is True
    assert by[9].content["latitude"] == 6.5244
    assert by[11].content["contacts"][0]["name"]["formatted_name"] == "Chidi Okafor"
    assert by[12].content == {"emoji": "👍", "messageId": target}
    assert (
        by[13].content["unsupportedType"] == "poll_update"
        and by[13].content["error"]["code"] == 131051
    )
    assert by[14].content["originalType"] == "order"
    assert by[15].reply_to_external_id == target and by[16].content["forwarded"] is True
    assert all(m.direction == "in" and m.channel == "whatsapp" for m in by)
    # Media downloads were enqueued; voice notes and reactions do not ask the AI.
    async with db.transaction() as session:
        kinds = [j.kind for j in await session.scalars(select(Job))]
    assert kinds.count("whatsapp.download_media") == 5
    assert kinds.count("ai.reply") == len(batch) - 2


async def test_redelivered_webhook_is_stored_once(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    payload = envelope(graph, messages=[text("one"), text("two")])
    first = await post(db, client, conn, payload)
    again = await post(db, client, conn, payload)
    assert first.json()["received"] == 2 and again.json() == {
        "received": 0,
        "duplicates": 2,
        "statuses": 0,
    }
    assert len(await messages(db)) == 2
    async with db.transaction() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None and conv.message_count == 2 and conv.unread_count == 2


async def test_one_post_with_many_entries_changes_and_contacts(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    a = envelope(graph, messages=[text("a1"), text("a2")], wa_id="2348030000001", name="A")
    b = envelope(
        graph, messages=[text("b1", from_="2348030000002")], wa_id="2348030000002", name="B"
    )
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": graph.business_account_id,
                "changes": a["entry"][0]["changes"] + b["entry"][0]["changes"],
            },
            {
                "id": graph.business_account_id,
                "changes": envelope(
                    graph,
                    messages=[text("c1", from_="2348030000003")],
                    wa_id="2348030000003",
                    name="C",
                )["entry"][0]["changes"],
            },
        ],
    }
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = "2348030000001"
    payload["entry"][0]["changes"][0]["value"]["messages"][1]["from"] = "2348030000001"
    r = await post(db, client, conn, payload)
    assert r.json()["received"] == 4
    async with db.transaction() as session:
        convs = list(await session.scalars(select(Conversation)))
        from repdesk.contacts.models import Contact

        names = sorted(c.name or "" for c in await session.scalars(select(Contact)))
    assert len(convs) == 3 and names == ["A", "B", "C"]


async def test_window_runs_24h_from_the_customers_timestamp(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    sent = int(time.time()) - 3 * 3600  # delivered to us three hours late
    await post(db, client, conn, envelope(graph, messages=[text("late", ts=sent)]))
    async with db.transaction() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None
    assert conv.window_expires_at == datetime.fromtimestamp(sent, tz=UTC) + timedelta(hours=24)


async def test_statuses_update_the_message_and_never_go_backwards(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient, worker: Worker
) -> None:
    assistant, conn = await connected_assistant(db, graph)
    await post(db, client, conn, envelope(graph, messages=[text("hi")]))
    from repdesk.channels.base import OutboundMessage

    async with db.transaction() as session:
        conv = await session.scalar(select(Conversation))
        assert conv is not None
        out = await send_as(
            session,
            conversation=conv,
            sender="agent",
            outbound=OutboundMessage(type="text", text="hello"),
        )
        out2 = await send_as(
            session,
            conversation=conv,
            sender="agent",
            outbound=OutboundMessage(type="text", text="again"),
        )
    await worker.drain()
    async with db.transaction() as session:
        sent = await session.get(Message, out.id)
        sent2 = await session.get(Message, out2.id)
    assert sent is not None and sent2 is not None and sent.external_id and sent2.external_id
    now = int(time.time())

    def st(mid: str, status: str, **kw: Any) -> dict[str, Any]:
        return {"id": mid, "status": status, "timestamp": str(now), "recipient_id": CUSTOMER, **kw}

    await post(
        db,
        client,
        conn,
        envelope(graph, statuses=[st(sent.external_id, "read"), st(sent.external_id, "delivered")]),
    )
    await post(
        db,
        client,
        conn,
        envelope(
            graph,
            statuses=[
                st(
                    sent2.external_id,
                    "failed",
                    errors=[
                        {
                            "code": 131047,
                            "title": "Re-engagement message",
                            "message": "Re-engagement message",
                            "error_data": {"details": "More than 24 hours have passed"},
                        }
                    ],
                )
            ],
        ),
    )
    async with db.transaction() as session:
        read = await session.get(Message, out.id)
        failed = await session.get(Message, out2.id)
    assert (
        read is not None
        and read.status == "read"
        and read.read_at is not None
        and read.delivered_at is not None
    )
    assert failed is not None and failed.status == "failed"
    assert failed.error_code == "SERVICE_WINDOW_CLOSED" and failed.meta_error_code == 131047
    assert failed.error_title == "Re-engagement message"


async def test_template_status_webhook_updates_the_template(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient, worker: Worker
) -> None:
    assistant, conn = await connected_assistant(db, graph)
    await worker.drain()  # initial template sync
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": graph.business_account_id,
                "time": int(time.time()),
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "APPROVED",
                            "message_template_id": 1,
                            "message_template_name": "spring_sale",
                            "message_template_language": "en-US",
                            "reason": "NONE",
                        },
                    }
                ],
            }
        ],
    }
    r = await post(db, client, conn, payload)
    assert r.status_code == 200
    async with db.transaction() as session:
        tpl = await templates.get_template(session, assistant.id, "spring_sale", "en_US")
    assert tpl is not None and tpl.status == "APPROVED"
    payload["entry"][0]["changes"][0]["value"].update(
        {"event": "REJECTED", "reason": "INVALID_FORMAT"}
    )
    await post(db, client, conn, payload)
    async with db.transaction() as session:
        tpl = await templates.get_template(session, assistant.id, "spring_sale", "en_US")
        count = await session.scalar(select(func.count()).select_from(WhatsAppTemplate))
    assert tpl is not None and tpl.status == "REJECTED" and tpl.rejected_reason == "INVALID_FORMAT"
    assert count == 3


MEDIA_EVENTS: list[dict[str, Any]] = []


@on_event("message.media_stored", name="tests.whatsapp.media_stored")
async def _record_media(session: Any, envelope_: dict[str, Any]) -> None:
    MEDIA_EVENTS.append(envelope_)


async def test_media_is_downloaded_into_storage_and_announced(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient, worker: Worker
) -> None:
    MEDIA_EVENTS.clear()
    _, conn = await connected_assistant(db, graph)
    ogg = b"OggS\x00fake-voice-note" * 10
    media_id = graph.add_media(ogg, "audio/ogg; codecs=opus")
    voice = message(
        "audio",
        {"mime_type": "audio/ogg; codecs=opus", "sha256": "x", "id": media_id, "voice": True},
    )
    await post(db, client, conn, envelope(graph, messages=[voice]))
    await worker.drain()
    [m] = await messages(db)
    assert m.content["fileId"]
    async with db.transaction() as session:
        stored = await session.get(StoredFile, m.content["fileId"])
    assert stored is not None and stored.size == len(ogg) and stored.mime_type == "audio/ogg"
    download = graph.requests_to(f"/download/{media_id}")
    assert download and download[0].headers["authorization"] == f"Bearer {graph.access_token}"
    [event] = [e for e in MEDIA_EVENTS if e["data"]["messageId"] == m.id]
    assert event["data"] == {
        "messageId": m.id,
        "fileId": stored.id,
        "mimeType": "audio/ogg",
        "type": "audio",
        "conversationId": m.conversation_id,
    }
    r = await client.get(f"/api/files/{stored.id}")
    assert r.status_code in (401, 403)  # files are served to the workspace only


async def test_a_media_link_off_the_graph_api_to_a_private_address_is_not_fetched(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient, worker: Worker
) -> None:
    """Media URLs on the Graph API's own origin are the operator's; any other goes through the
    URL guard. ``localhost`` is this very fake, under another name resolving to 127.0.0.1."""
    _, conn = await connected_assistant(db, graph)
    graph.media_base = graph.url.replace("127.0.0.1", "localhost")
    media_id = graph.add_media(b"\xff\xd8private", "image/jpeg")
    photo = message("image", {"mime_type": "image/jpeg", "sha256": "x", "id": media_id})
    await post(db, client, conn, envelope(graph, messages=[photo]))
    await worker.drain()
    [m] = [x for x in await messages(db) if x.direction == "in"]
    assert not (m.content or {}).get("fileId")
    assert graph.requests_to(f"/download/{media_id}") == []
    async with db.session() as s:
        [job] = await s.scalars(select(Job).where(Job.kind == "whatsapp.download_media"))
    assert job.status == "failed" and "not a public address" in (job.last_error or "")


async def test_a_connection_without_app_secret_refuses_every_post_until_one_is_added(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    await forget_app_secret(db)  # saved before the App Secret was required
    payload = envelope(graph, messages=[text("unsigned")])
    unsigned = await post(db, client, conn, payload, signature=None)
    signed = await post(db, client, conn, payload)  # nothing to check it with
    for r in (unsigned, signed):
        assert r.status_code == 401 and r.json()["code"] == "APP_SECRET_REQUIRED", r.text
        assert "App Secret" in r.json()["message"]
    assert await messages(db) == []
    async with db.transaction() as session:
        row = await session.scalar(select(WhatsAppConnection))
        assert row is not None and row.unsigned_seen is True  # shown on the dashboard
        await wa.set_app_secret(session, row, "added-later")
    # Meta's retry, signed with the secret now saved, is taken.
    r = await post(db, client, conn, payload, signature=sign(dumps(payload), "added-later"))
    assert r.status_code == 200 and r.json()["received"] == 1
    assert len(await messages(db)) == 1


async def test_platform_webhook_routes_by_phone_number_id(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    await embedded_assistant(db, graph)
    ok = await client.get(
        "/webhooks/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.challenge": "42",
            "hub.verify_token": "platform-verify-token",
        },
    )
    assert ok.status_code == 200 and ok.text == "42"
    body = json.dumps(envelope(graph, messages=[text("via platform")])).encode()
    bad = await client.post(
        "/webhooks/whatsapp", content=body, headers={"x-hub-signature-256": sign(body)}
    )
    assert bad.status_code == 401
    good = await client.post(
        "/webhooks/whatsapp",
        content=body,
        headers={"x-hub-signature-256": sign(body, "platform-app-secret")},
    )
    assert good.status_code == 200 and good.json()["received"] == 1
    assert await ingest(db) == 1
    [m] = await messages(db)
    assert m.text == "via platform"


async def test_an_embedded_numbers_own_path_takes_only_posts_signed_by_the_platform_app(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await embedded_assistant(db, graph)
    payload = envelope(graph, messages=[text("hello")])
    unsigned = await post(db, client, conn, payload, signature=None)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "INVALID_SIGNATURE"
    assert await messages(db) == []
    signed = await post(
        db, client, conn, payload, signature=sign(dumps(payload), "platform-app-secret")
    )
    assert signed.status_code == 200 and signed.json()["received"] == 1


async def test_platform_webhook_delivers_nothing_to_a_byok_connection(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    """A BYOK number belongs to its owner's Meta app: a post signed with the operator's App
    Secret naming its phone number id (or its WABA, for a template update) is not its."""
    _, conn = await connected_assistant(db, graph)
    template_update = {
        "id": graph.business_account_id,
        "time": int(time.time()),
        "changes": [
            {
                "field": "message_template_status_update",
                "value": {
                    "event": "DISABLED",
                    "message_template_id": 1,
                    "message_template_name": "order_confirmation",
                    "message_template_language": "en_US",
                },
            }
        ],
    }
    payload = envelope(graph, messages=[text("via platform")])
    payload["entry"].append(template_update)
    body = json.dumps(payload).encode()
    r = await client.post(
        "/webhooks/whatsapp",
        content=body,
        headers={"x-hub-signature-256": sign(body, "platform-app-secret")},
    )
    assert r.status_code == 200
    assert r.json() == {"received": 0, "duplicates": 0, "statuses": 0}
    await ingest(db)
    assert await messages(db) == []
    async with db.session() as session:
        stored = await session.scalar(select(func.count()).select_from(InboundEvent))
    assert stored == 0
    # The connection's own webhook still takes the message.
    assert (await post(db, client, conn, envelope(graph, messages=[text("ok")]))).json()[
        "received"
    ] == 1


async def test_oversized_fields_are_stored_not_a_500(
    db: Database, graph: FakeGraph, client: httpx.AsyncClient
) -> None:
    _, conn = await connected_assistant(db, graph)
    payload = envelope(
        graph, messages=[text("x" * 10000, context={"id": "wamid." + "c" * 300})], name="N" * 500
    )
    r = await post(db, client, conn, payload)
    assert r.status_code == 200, r.text
    [m] = await messages(db)
    assert (
        len(m.text) == 10000
        and m.reply_to_external_id is not None
        and len(m.reply_to_external_id) == 128
    )
