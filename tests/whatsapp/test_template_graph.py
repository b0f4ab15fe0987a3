"""The Graph client's template calls against the fake Graph API in Meta's formats: create,
edit, delete, resumable upload; Meta's refusals read back in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from repdesk.channels.whatsapp.authoring import plain_words
from repdesk.channels.whatsapp.client import GraphClient, GraphError
from tests.fakes.graph import FakeGraph


def marketing(name: str = "spring_offer", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "language": "en_US",
        "category": "MARKETING",
        "components": [
            {
                "type": "BODY",
                "text": "Hi {{1}}, {{2}} off this week.",
                "example": {"body_text": [["Ada", "20%"]]},
            }
        ],
    }
    data.update(over)
    return data


async def test_create_edit_delete_in_metas_formats(graph: FakeGraph) -> None:
    client = GraphClient(graph.access_token)
    created = await client.create_template(graph.business_account_id, marketing())
    assert created.status == "PENDING" and created.category == "MARKETING" and created.id
    req = graph.requests_to("/message_templates", "POST")[-1]
    assert req.json["name"] == "spring_offer" and req.headers["authorization"].startswith("Bearer ")
    row = graph.find_template(created.id)
    assert row is not None and row["status"] == "PENDING"

    listed = await client.list_templates(graph.business_account_id)
    mine = next(t for t in listed if t.id == created.id)
    assert mine.status == "PENDING" and mine.quality == "UNKNOWN"
    assert next(t for t in listed if t.name == "order_confirmation").quality == "GREEN"

    graph.status_webhook(created.id, "REJECTED", reason="INVALID_FORMAT")
    components = [
        {"type": "BODY", "text": "Hello {{1}}, see our offer.", "example": {"body_text": [["Ada"]]}}
    ]
    await client.edit_template(created.id, category="MARKETING", components=components)
    assert graph.requests_to(f"/{created.id}", "POST")[-1].json == {
        "category": "MARKETING",
        "components": components,
    }
    assert row["status"] == "PENDING" and row["components"] == components

    await client.delete_template(graph.business_account_id, "spring_offer", created.id)
    q = graph.requests_to("/message_templates", "DELETE")[-1].query
    assert q == {"name": "spring_offer", "hsm_id": created.id}
    assert graph.find_template(created.id) is None


async def test_resumable_upload_returns_the_handle_a_header_takes(graph: FakeGraph) -> None:
    client = GraphClient(graph.access_token)
    assert await client.app_id() == graph.app_id
    handle = await client.upload_for_template(
        graph.app_id, data=b"\x89PNG fake", mime_type="image/png", filename="shoe.png"
    )
    assert handle.startswith("4::") and graph.handles[handle] == b"\x89PNG fake"
    opened = graph.requests_to(f"/{graph.app_id}/uploads", "POST")[-1]
    assert opened.query == {"file_name": "shoe.png", "file_length": "9", "file_type": "image/png"}
    chunk = next(r for r in graph.requests if "/upload:" in r.path)
    assert chunk.headers["file_offset"] == "0"
    assert chunk.headers["authorization"] == f"OAuth {graph.access_token}"

    header = {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": [handle]}}
    data = marketing("with_image")
    data["components"].insert(0, header)
    created = await client.create_template(graph.business_account_id, data)
    assert created.status == "PENDING"

    data = marketing("stale_handle")
    data["components"].insert(0, {**header, "example": {"header_handle": ["4::nope"]}})
    with pytest.raises(GraphError) as info:
        await client.create_template(graph.business_account_id, data)
    assert "header_handle" in plain_words(info.value).message


async def test_a_name_taken_in_that_language_is_said_plainly(graph: FakeGraph) -> None:
    client = GraphClient(graph.access_token)
    await client.create_template(graph.business_account_id, marketing())
    with pytest.raises(GraphError) as info:
        await client.create_template(graph.business_account_id, marketing())
    assert info.value.code == 100 and info.value.subcode == 2388024
    words = plain_words(info.value, "spring_offer")
    assert words.code == "TEMPLATE_NAME_TAKEN" and words.status == 409
    assert "'spring_offer' already exists in this language" in words.message
    # Another language of the same name is a new template.
    other = await client.create_template(graph.business_account_id, marketing(language="fr"))
    assert other.status == "PENDING"


async def test_the_template_limit_is_said_plainly(graph: FakeGraph) -> None:
    graph.template_limit = 3  # the fake's WABA starts with three
    with pytest.raises(GraphError) as info:
        await GraphClient(graph.access_token).create_template(
            graph.business_account_id, marketing()
        )
    words = plain_words(info.value)
    assert words.code == "TEMPLATE_LIMIT" and "as many templates as Meta allows" in words.message


@pytest.mark.parametrize(
    ("kind", "code", "says"),
    [
        ("name_taken", "TEMPLATE_NAME_TAKEN", "already exists"),
        ("too_many", "TEMPLATE_LIMIT", "Delete templates you no longer use"),
        ("policy", "TEMPLATE_POLICY", "Commerce Policy"),
    ],
)
async def test_forced_refusals(graph: FakeGraph, kind: str, code: str, says: str) -> None:
    graph.fail_template(kind)
    with pytest.raises(GraphError) as info:
        await GraphClient(graph.access_token).create_template(
            graph.business_account_id, marketing()
        )
    assert info.value.user_title  # Meta's own title came through
    words = plain_words(info.value)
    assert words.code == code and says in words.message
    assert "(#" not in words.message  # no bare error numbers


def test_plain_words_for_tokens_outages_and_the_rest() -> None:
    assert plain_words(GraphError("x", code=190, http_status=401)).code == "WHATSAPP_TOKEN_INVALID"
    assert plain_words(GraphError("x", network=True)).status == 502
    assert plain_words(GraphError("x", code=80008, http_status=400)).code == "TEMPLATE_RATE_LIMIT"
    other = plain_words(
        GraphError(
            "Invalid parameter",
            code=100,
            http_status=400,
            user_title="Bad Button",
            user_message="Button text too long.",
        )
    )
    assert other.code == "TEMPLATE_REFUSED" and other.message.endswith(
        "Bad Button: Button text too long."
    )


async def test_deleting_a_template_meta_does_not_have(graph: FakeGraph) -> None:
    with pytest.raises(GraphError) as info:
        await GraphClient(graph.access_token).delete_template(graph.business_account_id, "ghost")
    assert info.value.code == 100 and "could not be found" in info.value.user_message


def test_the_three_template_webhooks_parse_with_their_details() -> None:
    from repdesk.channels.whatsapp.parser import parse

    def change(field: str, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "102290129340398", "time": 1, "changes": [{"field": field, "value": value}]}
            ],
        }

    ids = {
        "message_template_id": 77,
        "message_template_name": "cart",
        "message_template_language": "en",
    }
    rejected = parse(
        change(
            "message_template_status_update",
            {
                **ids,
                "event": "rejected",
                "reason": "INVALID_FORMAT",
                "message_template_category": "MARKETING",
                "rejection_info": {"reason": "Too close.", "recommendation": "Add words."},
            },
        )
    ).templates[0]
    assert (rejected.event, rejected.reason, rejected.category) == (
        "REJECTED",
        "INVALID_FORMAT",
        "MARKETING",
    )
    assert rejected.detail == "Too close. Add words." and rejected.template_id == "77"
    quality = parse(
        change(
            "message_template_quality_update",
            {**ids, "previous_quality_score": "GREEN", "new_quality_score": "RED"},
        )
    ).templates[0]
    assert (quality.event, quality.quality, quality.category) == ("", "RED", "")
    category = parse(
        change(
            "template_category_update",
            {**ids, "previous_category": "UTILITY", "new_category": "MARKETING"},
        )
    ).templates[0]
    assert (category.event, category.category) == ("", "MARKETING")
