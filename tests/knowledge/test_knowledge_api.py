"""The knowledge and FAQ management API, end to end over HTTP."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from repdesk.db.engine import Database
from repdesk.files.models import StoredFile
from repdesk.jobs.worker import Worker
from repdesk.knowledge.models import IndexChunk, KnowledgeItem
from tests.factories import signed_in
from tests.knowledge.pdfgen import encrypted_pdf, make_docx, make_pdf


async def _count(db: Database, model: type) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_text_qa_and_pasted_faq_are_stored_listed_and_searchable(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker
) -> None:
    base = f"/api/assistants/{assistant_id}/knowledge"
    r = await client.post(
        base,
        json={
            "type": "text",
            "title": "Delivery",
            "content": "We deliver in Lagos within 2 days for ₦2,000.",
        },
    )
    assert r.status_code == 201, r.text
    text_item = r.json()
    assert text_item["type"] == "text" and text_item["chunks"] == 1
    assert text_item["assistantId"] == assistant_id

    r = await client.post(
        base,
        json={"type": "qa", "question": "Do you sell wholesale?", "answer": "Yes, from 10 pieces."},
    )
    assert r.status_code == 201 and r.json()["question"] == "Do you sell wholesale?"

    pasted = (
        "Q: Can I pay on delivery?\nA: Only within Lagos.\n\n"
        "How do I track my order?\nWe send a tracking link by SMS."
    )
    r = await client.post(base, json={"type": "faq_paste", "content": pasted})
    assert r.status_code == 201
    body = r.json()
    assert body["pairs"] == [
        {"question": "Can I pay on delivery?", "answer": "Only within Lagos."},
        {"question": "How do I track my order?", "answer": "We send a tracking link by SMS."},
    ]
    assert body["chunks"] == 2

    r = await client.get(base)
    assert r.status_code == 200
    assert [i["type"] for i in r.json()["data"]] == ["faq_paste", "qa", "text"]
    assert r.json()["hasMore"] is False

    status = (await client.get(f"{base}/status")).json()
    assert status["status"] == "indexing" and status["version"] > status["indexedVersion"]
    await worker.drain()
    status = (await client.get(f"{base}/status")).json()
    assert status["status"] == "ready" and status["version"] == status["indexedVersion"]
    assert status["chunks"] == 4

    r = await client.get(f"{base}/search", params={"q": "how can I follow my package"})
    assert r.status_code == 200
    hit = r.json()["data"][0]
    assert "tracking link" in hit["text"] and hit["sourceId"] == body["id"]

    # Edit and delete change what is found.
    r = await client.patch(
        f"{base}/{text_item['id']}", json={"content": "Lagos delivery takes 1 day."}
    )
    assert r.status_code == 200 and r.json()["content"] == "Lagos delivery takes 1 day."
    hits = (await client.get(f"{base}/search", params={"q": "delivery lagos"})).json()["data"]
    assert any("1 day" in h["text"] for h in hits)
    assert not any("2 days" in h["text"] for h in hits)
    assert (await client.delete(f"{base}/{text_item['id']}")).status_code == 204
    assert (await client.get(f"{base}/{text_item['id']}")).status_code == 404
    hits = (await client.get(f"{base}/search", params={"q": "delivery lagos"})).json()["data"]
    assert not any(h["sourceId"] == text_item["id"] for h in hits)


async def test_bad_knowledge_input_is_a_clear_400_and_stores_nothing(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    base = f"/api/assistants/{assistant_id}/knowledge"
    for payload in (
        {"type": "text", "content": ""},
        {"type": "text", "content": "   "},
        {"type": "video", "content": "x"},
        {"type": "qa", "question": "Hi?"},
        {"type": "text", "content": "ok", "extra": 1},
    ):
        r = await client.post(base, json=payload)
        assert r.status_code == 400, (payload, r.text)
        assert set(r.json()) >= {"code", "message", "docs"}
    r = await client.post(
        f"{base}/search".replace("/search", ""),
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert await _count(db, KnowledgeItem) == 0


async def _read(client: httpx.AsyncClient, worker: Worker, url: str, item_id: str) -> dict:
    """The document once the knowledge.extract job has read it."""
    await worker.drain()
    r = await client.get(f"{url}/{item_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_document_uploads_pdf_docx_txt(
    client: httpx.AsyncClient, assistant_id: str, db: Database, worker: Worker
) -> None:
    url = f"/api/assistants/{assistant_id}/knowledge/files"
    pdf = make_pdf(["Return policy\nReturns are accepted within 7 days.", "Refunds take 5 days."])
    r = await client.post(url, files={"file": ("policy.pdf", pdf, "application/pdf")})
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["type"] == "file" and item["filename"] == "policy.pdf" and item["fileId"]
    assert item["status"] == "processing" and item["content"] == ""  # read by a job
    item = await _read(client, worker, url, item["id"])
    assert item["status"] == "ready" and item["chunks"] > 0
    assert "within 7 days" in item["content"] and "Refunds take 5 days" in item["content"]

    docx = make_docx(["Opening hours", "We open at 9am every day."])
    r = await client.post(url, files={"file": ("hours.docx", docx, "application/octet-stream")})
    assert r.status_code == 201
    assert "9am" in (await _read(client, worker, url, r.json()["id"]))["content"]

    r = await client.post(
        url, files={"file": ("notes.txt", "Caf\u00e9 prices are in naira.".encode(), "text/plain")}
    )
    assert r.status_code == 201
    assert (await _read(client, worker, url, r.json()["id"]))[
        "content"
    ] == "Café prices are in naira."

    listed = (await client.get(url)).json()["data"]
    assert {i["filename"] for i in listed} == {"policy.pdf", "hours.docx", "notes.txt"}
    assert {i["status"] for i in listed} == {"ready"}
    # The original is downloadable through the files API.
    r = await client.get(f"/api/files/{item['fileId']}")
    assert r.status_code == 200 and r.content == pdf

    assert (await client.delete(f"{url}/{item['id']}")).status_code == 204
    assert (await client.get(f"{url}/{item['id']}")).status_code == 404


async def test_corrupt_encrypted_empty_and_oversized_documents_are_rejected(
    client: httpx.AsyncClient, assistant_id: str, db: Database, monkeypatch, worker: Worker
) -> None:
    url = f"/api/assistants/{assistant_id}/knowledge/files"
    # What the first bytes tell is refused at upload, with nothing stored.
    refused_at_once = [
        ("empty.txt", b"", "EMPTY_DOCUMENT", 400),
        ("photo.png", b"\x89PNG\r\n\x1a\n....", "UNSUPPORTED_FILE_TYPE", 415),
    ]
    for name, data, code, status in refused_at_once:
        r = await client.post(url, files={"file": (name, data, "application/octet-stream")})
        assert r.status_code == status, (name, r.text)
        assert r.json()["code"] == code, name
    monkeypatch.setenv("REPDESK_KNOWLEDGE_MAX_UPLOAD_MB", "1")
    from repdesk.knowledge.config import get_knowledge_settings

    get_knowledge_settings.cache_clear()
    try:
        r = await client.post(
            url, files={"file": ("big.txt", b"a" * (1024 * 1024 + 10), "text/plain")}
        )
        assert r.status_code == 413 and r.json()["code"] == "FILE_TOO_LARGE"
    finally:
        monkeypatch.delenv("REPDESK_KNOWLEDGE_MAX_UPLOAD_MB")
        get_knowledge_settings.cache_clear()
    r = await client.post(url, data={"title": "no file"})
    assert r.status_code == 400
    assert await _count(db, KnowledgeItem) == 0
    assert await _count(db, StoredFile) == 0

    # What only reading tells: the document ends failed with the reason, and teaches nothing.
    refused_when_read = [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "INVALID_DOCUMENT", "corrupt"),
        ("locked.pdf", encrypted_pdf(["secret"]), "ENCRYPTED_DOCUMENT", "password-protected"),
        ("blank.pdf", make_pdf([""]), "EMPTY_DOCUMENT", "no text"),
        ("spaces.txt", b"   \n  ", "EMPTY_DOCUMENT", "no text"),
        ("broken.docx", b"PK\x03\x04not really a zip", "INVALID_DOCUMENT", "corrupt"),
    ]
    ids = {}
    for name, data, _code, _reason in refused_when_read:
        r = await client.post(url, files={"file": (name, data, "application/octet-stream")})
        assert r.status_code == 201, (name, r.text)
        ids[name] = r.json()["id"]
    await worker.drain()
    for name, _data, code, reason in refused_when_read:
        item = (await client.get(f"{url}/{ids[name]}")).json()
        assert item["status"] == "failed" and item["errorCode"] == code, (name, item)
        assert reason in item["statusDetail"], (name, item)
        assert item["chunks"] == 0 and item["content"] == ""
    assert await _count(db, IndexChunk) == 0


async def test_faqs_and_policies(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker
) -> None:
    base = f"/api/assistants/{assistant_id}/faqs"
    r = await client.post(
        base,
        json={
            "question": "What is your return policy?",
            "answer": "Returns within 7 days, unworn, with receipt.",
            "category": "returns",
        },
    )
    assert r.status_code == 201
    policy = r.json()
    assert policy["kind"] == "policy" and policy["category"] == "returns"
    r = await client.post(
        base, json={"question": "Do you have a physical store?", "answer": "Yes, in Lekki Phase 1."}
    )
    assert r.status_code == 201 and r.json()["kind"] == "faq" and r.json()["category"] == "general"
    await client.post(
        f"/api/assistants/{assistant_id}/knowledge",
        json={
            "type": "text",
            "content": "Our return policy: items can be returned within 7 days of delivery.",
        },
    )

    assert (
        await client.post(base, json={"question": "x?", "answer": "y", "category": "weather"})
    ).status_code == 400
    assert (await client.post(base, json={"question": "", "answer": "y"})).status_code == 400

    listed = (await client.get(base)).json()["data"]
    assert [f["question"] for f in listed] == [
        "What is your return policy?",
        "Do you have a physical store?",
    ]
    assert len((await client.get(base, params={"category": "returns"})).json()["data"]) == 1

    await worker.drain()
    hits = (
        await client.get(
            f"/api/assistants/{assistant_id}/knowledge/search",
            params={"q": "can I return an item?"},
        )
    ).json()["data"]
    # FAQs and policies are matched first, before the general knowledge base.
    assert hits[0]["kind"] == "policy" and hits[0]["sourceId"] == policy["id"]
    assert hits[0]["metadata"]["answer"].startswith("Returns within 7 days")

    r = await client.patch(f"{base}/{policy['id']}", json={"answer": "Returns within 14 days."})
    assert r.status_code == 200 and r.json()["answer"] == "Returns within 14 days."
    assert (await client.delete(f"{base}/{policy['id']}")).status_code == 204
    assert (await client.get(f"{base}/{policy['id']}")).status_code == 404


async def test_contradicting_prices_are_flagged(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker
) -> None:
    k = f"/api/assistants/{assistant_id}/knowledge"
    await client.post(
        k,
        json={
            "type": "text",
            "title": "Delivery",
            "content": "Delivery within Lagos costs ₦2,000.",
        },
    )
    await client.post(
        k,
        json={
            "type": "text",
            "title": "Outside",
            "content": "Delivery outside Lagos costs ₦5,000.",
        },
    )
    await worker.drain()
    assert (await client.get(f"{k}/status")).json()["contradictions"] == []
    r = await client.post(
        f"/api/assistants/{assistant_id}/faqs",
        json={
            "question": "How much is delivery?",
            "answer": "Delivery in Lagos is N3,500.",
            "category": "shipping",
        },
    )
    await worker.drain()
    flags = (await client.get(f"{k}/status")).json()["contradictions"]
    assert len(flags) == 1
    assert flags[0]["kind"] == "price"
    assert {tuple(side["values"]) for side in flags[0]["items"]} == {("2000",), ("3500",)}
    assert r.json()["id"] in {side["sourceId"] for side in flags[0]["items"]}


async def test_another_workspace_cannot_see_or_change_knowledge(
    client: httpx.AsyncClient, assistant_id: str, db: Database, app
) -> None:
    r = await client.post(
        f"/api/assistants/{assistant_id}/knowledge", json={"type": "text", "content": "Secret"}
    )
    item_id = r.json()["id"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await signed_in(other, db, email="eve@other.test", business_name="Eve")
        assert (await other.get(f"/api/assistants/{assistant_id}/knowledge")).status_code == 404
        assert (
            await other.delete(f"/api/assistants/{assistant_id}/knowledge/{item_id}")
        ).status_code == 404
        assert (
            await other.post(
                f"/api/assistants/{assistant_id}/faqs", json={"question": "a", "answer": "b"}
            )
        ).status_code == 404
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anonymous:
        assert (await anonymous.get(f"/api/assistants/{assistant_id}/knowledge")).status_code == 401


async def test_routes_are_in_the_openapi_document(client: httpx.AsyncClient, owner) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    for path in (
        "/api/assistants/{assistant_id}/knowledge",
        "/api/assistants/{assistant_id}/knowledge/files",
        "/api/assistants/{assistant_id}/knowledge/{item_id}",
        "/api/assistants/{assistant_id}/knowledge/status",
        "/api/assistants/{assistant_id}/faqs",
        "/api/assistants/{assistant_id}/products",
        "/api/assistants/{assistant_id}/products/import",
    ):
        assert path in paths, path


async def test_knowledge_disagreeing_with_the_catalog_price_is_flagged(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker
) -> None:
    r = await client.post(
        f"/api/assistants/{assistant_id}/products",
        json={
            "name": "Ankara Maxi Dress",
            "price": 2500000,
            "currency": "NGN",
            "variants": [{"name": "Large", "price": 2700000}],
        },
    )
    product_id = r.json()["id"]
    k = f"/api/assistants/{assistant_id}/knowledge"
    await client.post(
        k, json={"type": "text", "content": "The large Ankara maxi dress is ₦27,000."}
    )
    await worker.drain()
    assert (await client.get(f"{k}/status")).json()["contradictions"] == []  # a variant's price
    r = await client.post(
        k, json={"type": "text", "content": "Our Ankara maxi dress costs ₦20,000."}
    )
    await worker.drain()
    flags = (await client.get(f"{k}/status")).json()["contradictions"]
    with_catalog = [
        f for f in flags if {s["sourceKind"] for s in f["items"]} == {"product", "knowledge"}
    ]
    assert len(with_catalog) == 1
    sides = {side["sourceKind"]: side for side in with_catalog[0]["items"]}
    assert sides["product"]["sourceId"] == product_id
    assert sides["product"]["values"] == ["25000", "27000"]
    assert sides["knowledge"]["sourceId"] == r.json()["id"]
    assert sides["knowledge"]["values"] == ["20000"]


async def test_deleting_the_assistant_removes_its_knowledge_and_index(
    client: httpx.AsyncClient, assistant_id: str, db: Database, worker: Worker
) -> None:
    await client.post(
        f"/api/assistants/{assistant_id}/knowledge",
        json={"type": "text", "content": "We sell shoes."},
    )
    await client.post(
        f"/api/assistants/{assistant_id}/faqs", json={"question": "Hi?", "answer": "Hello."}
    )
    await client.post(
        f"/api/assistants/{assistant_id}/products",
        json={"name": "Shoe", "price": 100, "currency": "NGN"},
    )
    await worker.drain()
    assert (
        await client.get(f"/api/assistants/{assistant_id}/knowledge/search", params={"q": "shoes"})
    ).json()["data"]
    assert (await client.delete(f"/api/assistants/{assistant_id}")).status_code == 204
    from repdesk.catalog.models import Product
    from repdesk.knowledge.models import Faq, KnowledgeIndex

    for model in (KnowledgeItem, Faq, IndexChunk, KnowledgeIndex, Product):
        assert await _count(db, model) == 0, model
    from repdesk.knowledge import retrieval

    assert assistant_id not in retrieval._cache


async def test_lists_carry_a_preview_of_long_documents(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker
) -> None:
    long_text = "Our story. " * 1000
    r = await client.post(
        f"/api/assistants/{assistant_id}/knowledge/files",
        files={"file": ("story.txt", long_text.encode(), "text/plain")},
    )
    item = r.json()
    await worker.drain()
    listed = (await client.get(f"/api/assistants/{assistant_id}/knowledge/files")).json()["data"][0]
    assert listed["contentTruncated"] is True and len(listed["content"]) == 2000
    assert listed["contentLength"] == len(long_text.strip())
    full = (await client.get(f"/api/assistants/{assistant_id}/knowledge/{item['id']}")).json()
    assert full["contentTruncated"] is False and full["content"] == long_text.strip()
