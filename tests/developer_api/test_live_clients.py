"""The seed's own client snippets, unchanged but for the base URL and key, against a live server:
Python requests, curl, and JavaScript fetch from Node; plus the webhook the quick start sets up."""

from __future__ import annotations

import json
import subprocess

import requests

from repdesk.db.engine import Database
from repdesk.jobs.worker import Worker
from tests.conftest import LiveServer
from tests.developer_api.conftest import connected_tenant, customer_writes
from tests.fakes.graph import FakeGraph
from tests.fakes.webhook_receiver import NodeReceiver

CUSTOMER = "+2348012345678"

NODE_FETCH = """
const [base, key, to] = process.argv.slice(1);
(async () => {
  const res = await fetch(base + '/v1/messages/send', {
    method: 'POST',
    headers: {
      'Authorization': 'Bearer ' + key,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({
      to: to,
      type: 'text',
      text: { body: 'Hello!' },
    }),
  });
  const data = await res.json();
  console.log(JSON.stringify({ status: res.status, data,
    limit: res.headers.get('x-ratelimit-limit') }));
})();
"""


async def test_seed_snippets_work_unchanged_and_the_webhook_verifies(
    live_server: LiveServer,
    db: Database,
    graph: FakeGraph,
    worker: Worker,
    node_receiver: NodeReceiver,  # noqa: F811
) -> None:
    shop = await connected_tenant(db, graph)
    await worker.drain()
    await customer_writes(db, shop.assistant, phone=CUSTOMER, text="Hi, is the red bag in stock?")
    base, key = live_server.url, shop.live_key

    # Register the webhook as the quick start's Step 3 describes (with requests).
    hook = requests.post(
        f"{base}/v1/webhooks",
        headers={"Authorization": f"Bearer {key}"},
        json={"url": node_receiver.url, "events": ["message.sent"]},
        timeout=10,
    )
    assert hook.status_code == 201, hook.text
    node_receiver.configure(secret=hook.json()["secret"])

    # Python (requests), as in the seed
    res = requests.post(
        f"{base}/v1/messages/send",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "to": CUSTOMER,
            "type": "text",
            "text": {"body": "Hello!"},
        },
        timeout=30,
    )
    data = res.json()
    assert res.status_code == 200, data
    assert data["status"] == "sent" and data["creditsUsed"] == 2 and data["creditsRemaining"] == 18
    assert res.headers["X-RateLimit-Limit"] == "100"

    # cURL, as in the seed
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-X",
            "POST",
            f"{base}/v1/messages/send",
            "-H",
            f"Authorization: Bearer {key}",
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps(
                {"to": CUSTOMER, "type": "text", "text": {"body": "Hello!"}}, separators=(",", ":")
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    curl_data = json.loads(out.stdout)
    assert curl_data["status"] == "sent" and curl_data["creditsRemaining"] == 16

    # TypeScript/JavaScript fetch, from Node 20
    out = subprocess.run(
        ["node", "-e", NODE_FETCH, base, key, CUSTOMER],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    node = json.loads(out.stdout)
    assert node["status"] == 200 and node["data"]["status"] == "sent"
    assert node["data"]["creditsRemaining"] == 14 and node["limit"] == "100"

    ids = {data["messageId"], curl_data["messageId"], node["data"]["messageId"]}
    assert len(ids) == 3 and len(graph.sent) == 3

    # errors reach every client in the seed's shape
    bad = subprocess.run(
        [
            "curl",
            "-sS",
            "-w",
            "\n%{http_code}",
            f"{base}/v1/account",
            "-H",
            "Authorization: Bearer rep_live_revoked",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, code = bad.stdout.rsplit("\n", 1)
    assert code == "401" and json.loads(body)["code"] == "INVALID_API_KEY"

    # the live server's own worker delivers message.sent to the Node receiver, verified
    got = node_receiver.wait_for(3, timeout=15)
    assert len(got) == 3, got
    assert all(g["event"] == "message.sent" and g["stringifyOk"] and g["rawOk"] for g in got)
    assert {g["data"]["id"] for g in got} == ids
    assert all(g["from"] == graph.e164 and g["data"]["to"] == CUSTOMER for g in got)


async def test_openapi_and_offline_reference_page(
    live_server: LiveServer, db: Database, graph: FakeGraph
) -> None:
    shop = await connected_tenant(db, graph)
    auth = {"Authorization": f"Bearer {shop.live_key}"}
    doc = requests.get(f"{live_server.url}/v1/openapi.json", timeout=10).json()
    paths = doc["paths"]
    expected = {
        "/messages/send": {"post"},
        "/messages": {"get"},
        "/messages/{message_id}": {"get"},
        "/conversations": {"get"},
        "/conversations/{conversation_id}": {"get"},
        "/conversations/{conversation_id}/close": {"post"},
        "/conversations/{conversation_id}/messages": {"get"},
        "/contacts": {"get", "post"},
        "/contacts/{contact_id}": {"get", "patch", "delete"},
        "/templates": {"get"},
        "/broadcast": {"post"},
        "/broadcast/{broadcast_id}": {"get"},
        "/webhooks": {"get", "post"},
        "/webhooks/{webhook_id}": {"delete"},
        "/account": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    send = paths["/messages/send"]["post"]
    assert {"400", "401", "402", "429", "502"} <= set(send["responses"])
    assert send["responses"]["402"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorBody"
    )
    assert doc["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    schema = doc["components"]["schemas"]["SendResponse"]["properties"]
    assert {"messageId", "whatsappMessageId", "status", "creditsUsed", "creditsRemaining"} <= set(
        schema
    )
    assert doc["servers"][0]["url"] == "/v1"
    # Bad input is documented as what it is: 400 with the error body (never FastAPI's 422).
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                assert responses["400"]["content"]["application/json"]["schema"]["$ref"] == (
                    "#/components/schemas/ErrorBody"
                ), (method, path)
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    limit = next(p for p in paths["/contacts"]["get"]["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)
    # A method the path does not answer: 405, naming every method it does.
    r = requests.put(f"{live_server.url}/v1/contacts", headers=auth, timeout=10)
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
    assert r.headers["Allow"] == "GET, POST"
    r = requests.post(f"{live_server.url}/v1/contacts/abc", headers=auth, timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "DELETE, GET, PATCH"
    page = requests.get(f"{live_server.url}/v1/reference", timeout=10)
    assert page.status_code == 200 and "openapi.json" in page.text
    assert (
        "http://" not in page.text.replace("http://127.0.0.1", "")
        and "cdn" not in page.text.lower()
    )
