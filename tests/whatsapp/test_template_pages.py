"""The Templates page: the editor's form submits (with a header sample uploaded to Meta first),
refusals come back naming the field, a rejected template opens in the editor and is
resubmitted, a template is deleted; the list shows status, category, quality and reason."""

from __future__ import annotations

import json
from urllib.parse import unquote

import httpx

from repdesk.db.engine import Database
from tests.factories import Account, create_assistant, signed_in
from tests.fakes.graph import FakeGraph
from tests.whatsapp.test_pages import form

BODY = {"type": "BODY", "text": "Hi {{1}}, new shoes are in.", "example": {"body_text": [["Ada"]]}}


async def setup(client: httpx.AsyncClient, db: Database, graph: FakeGraph) -> tuple[Account, str]:
    account = await signed_in(client, db)
    assistant = await create_assistant(db, workspace_id=account.workspace_id)
    r = await client.post(
        f"/assistants/{assistant.id}/whatsapp/credentials", data=form(account, graph)
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    return account, assistant.id


def fields(account: Account, components: list[dict[str, object]], **over: str) -> dict[str, str]:
    data = {
        "csrf_token": account.csrf,
        "name": "shoe_drop",
        "language": "en_US",
        "category": "MARKETING",
        "components": json.dumps(components),
    }
    data.update(over)
    return data


async def test_the_editor_submits_with_an_image_header_and_buttons(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    account, aid = await setup(client, db, graph)
    page = await client.get(f"/assistants/{aid}/templates")
    assert 'id="template-form"' in page.text and "/static/templates.js" in page.text
    rules = page.text.split('id="template-rules">', 1)[1].split("</script>", 1)[0]
    assert json.loads(rules)["body_max"] == 1024 and json.loads(rules)["button_text_max"] == 25
    js = await client.get("/static/templates.js")
    assert js.status_code == 200 and "innerHTML" not in js.text

    components = [
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["upload"]}},
        BODY,
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Show me"},
                {"type": "URL", "text": "Shop", "url": "https://shop.example"},
            ],
        },
    ]
    r = await client.post(
        f"/assistants/{aid}/templates/save",
        data=fields(account, components),
        files={"header_file": ("shoe.png", b"\x89PNG shoe", "image/png")},
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"], r.headers["location"]
    assert "pending review" in unquote(r.headers["location"])
    sent = graph.requests_to("/message_templates", "POST")[-1].json
    handle = sent["components"][0]["example"]["header_handle"][0]
    assert graph.handles[handle] == b"\x89PNG shoe"
    assert [b["type"] for b in sent["components"][2]["buttons"]] == ["QUICK_REPLY", "URL"]
    page = (await client.get(f"/assistants/{aid}/templates")).text
    row = page.split('data-template="shoe_drop"', 1)[1].split("</tr>", 1)[0]
    assert ">pending<" in row and "marketing" in row


async def test_refusals_come_back_naming_the_field(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    account, aid = await setup(client, db, graph)
    url = f"/assistants/{aid}/templates/save"
    r = await client.post(url, data=fields(account, [BODY], name="Shoe Drop"))
    assert r.status_code == 303 and "error=name%3A" in r.headers["location"]
    r = await client.post(url, data=fields(account, [{"type": "BODY", "text": "Hi {{2}} there"}]))
    assert "error=body.text%3A" in r.headers["location"]
    r = await client.post(url, data={**fields(account, [BODY]), "components": "{nope"})
    assert "error=components%3A" in r.headers["location"]
    graph.fail_template("policy")
    r = await client.post(url, data=fields(account, [BODY]))
    assert "Business%20and%20Commerce%20policies" in r.headers["location"]
    assert graph.requests_to("/message_templates", "POST")  # only the last reached Meta
    assert len(graph.requests_to("/message_templates", "POST")) == 1


async def test_a_rejected_template_is_edited_resubmitted_and_deleted(
    client: httpx.AsyncClient, db: Database, graph: FakeGraph
) -> None:
    account, aid = await setup(client, db, graph)
    await client.post(f"/assistants/{aid}/templates/save", data=fields(account, [BODY]))
    api = (await client.get(f"/api/assistants/{aid}/templates")).json()["data"]
    tpl = next(t for t in api if t["name"] == "shoe_drop")
    graph.status_webhook(tpl["metaTemplateId"], "REJECTED", reason="INVALID_FORMAT")
    await client.post(f"/assistants/{aid}/templates/sync", data={"csrf_token": account.csrf})

    page = (await client.get(f"/assistants/{aid}/templates")).text
    row = page.split('data-template="shoe_drop"', 1)[1].split("</tr>", 1)[0]
    assert ">rejected<" in row and "Edit and resubmit" in row
    editor = (await client.get(f"/assistants/{aid}/templates?edit={tpl['id']}")).text
    initial = json.loads(editor.split('id="template-initial">', 1)[1].split("</script>", 1)[0])
    assert initial["name"] == "shoe_drop" and initial["components"][0]["text"] == BODY["text"]
    assert "Resubmit to Meta" in editor

    fixed = [{**BODY, "text": "Hello {{1}}, new shoes are in."}]
    r = await client.post(
        f"/assistants/{aid}/templates/save",
        data=fields(account, fixed, template_id=tpl["id"]),
    )
    assert r.status_code == 303 and "resubmitted" in unquote(r.headers["location"])
    assert graph.find_template(tpl["metaTemplateId"])["components"] == fixed  # type: ignore[index]
    assert (await client.get(f"/api/templates/{tpl['id']}")).json()["status"] == "PENDING"
    # Not rejected any more: the editor does not open it.
    assert (
        'id="template-initial">null'
        in (await client.get(f"/assistants/{aid}/templates?edit={tpl['id']}")).text
    )

    r = await client.post(
        f"/assistants/{aid}/templates/{tpl['id']}/delete", data={"csrf_token": account.csrf}
    )
    assert r.status_code == 303 and "deleted" in unquote(r.headers["location"])
    assert graph.find_template(tpl["metaTemplateId"]) is None
    assert (
        'data-template="shoe_drop"' not in (await client.get(f"/assistants/{aid}/templates")).text
    )
