"""The Knowledge, FAQs & policies and Catalog pages, rendered over HTTP (escaping, forms)."""

from __future__ import annotations

import re

import httpx

from repdesk.jobs.worker import Worker


def _csrf(client: httpx.AsyncClient) -> str:
    return str(client.headers["X-CSRF-Token"])


async def test_knowledge_page_lists_items_escaped_and_shows_index_state(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker
) -> None:
    evil = "<script>alert('x')</script>"
    r = await client.post(
        f"/assistants/{assistant_id}/knowledge/add",
        data={"csrf_token": _csrf(client), "type": "text", "title": evil, "content": "Hours 9am."},
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    page = (await client.get(f"/assistants/{assistant_id}/knowledge")).text
    assert evil not in page and "&lt;script&gt;alert(" in page
    assert "Indexing…" in page
    assert 'href="/assistants/' + assistant_id + '/knowledge"' in page  # assistant menu entry
    await worker.drain()
    page = (await client.get(f"/assistants/{assistant_id}/knowledge")).text
    assert "Up to date" in page
    r = await client.get(f"/assistants/{assistant_id}/knowledge", params={"q": "when do you open"})
    assert re.search(r'data-testid="search-hits".*Hours 9am', r.text, re.S)


async def test_bad_upload_through_the_page_shows_the_error(
    client: httpx.AsyncClient, assistant_id: str, worker: Worker
) -> None:
    here = f"/assistants/{assistant_id}/knowledge"
    r = await client.post(
        f"{here}/upload",
        data={"csrf_token": _csrf(client)},
        files={"file": ("x.png", b"\x89PNG\r\n\x1a\n....", "image/png")},
    )
    assert r.status_code == 303 and "error=" in r.headers["location"]
    page = (await client.get(r.headers["location"])).text
    assert "Only PDF, DOCX and TXT" in page
    listing = (await client.get(f"/api/assistants/{assistant_id}/knowledge")).json()
    assert listing["data"] == []
    # A corrupt PDF is only found out when read: listed as processing, then failed: <reason>.
    r = await client.post(
        f"{here}/upload",
        data={"csrf_token": _csrf(client)},
        files={"file": ("x.pdf", b"%PDF-1.4 nope", "application/pdf")},
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    assert "processing…" in (await client.get(here)).text
    await worker.drain()
    page = (await client.get(here)).text
    assert "failed: The PDF file is corrupt" in page and "processing…" not in page
    listing = (await client.get(f"/api/assistants/{assistant_id}/knowledge")).json()
    assert [(i["filename"], i["status"]) for i in listing["data"]] == [("x.pdf", "failed")]


async def test_faq_page_adds_edits_and_deletes(
    client: httpx.AsyncClient, assistant_id: str
) -> None:
    base = f"/assistants/{assistant_id}/faqs"
    r = await client.post(
        f"{base}/save",
        data={
            "csrf_token": _csrf(client),
            "question": "Do you ship abroad?",
            "answer": "Only to Ghana.",
            "category": "shipping",
        },
    )
    assert r.status_code == 303
    faq = (await client.get(f"/api/assistants/{assistant_id}/faqs")).json()["data"][0]
    assert faq["category"] == "shipping"
    page = (await client.get(base)).text
    assert "Only to Ghana." in page and "Shipping policy" in page
    await client.post(
        f"{base}/save",
        data={
            "csrf_token": _csrf(client),
            "faq_id": faq["id"],
            "question": "Do you ship abroad?",
            "answer": "To Ghana and Togo.",
            "category": "shipping",
        },
    )
    assert "To Ghana and Togo." in (await client.get(base)).text
    r = await client.post(
        f"{base}/save", data={"csrf_token": _csrf(client), "question": "", "answer": "x"}
    )
    assert "error=" in r.headers["location"]
    await client.post(f"{base}/{faq['id']}/delete", data={"csrf_token": _csrf(client)})
    assert (await client.get(f"/api/assistants/{assistant_id}/faqs")).json()["data"] == []


async def test_catalog_page_takes_prices_in_major_units(
    client: httpx.AsyncClient, assistant_id: str
) -> None:
    base = f"/assistants/{assistant_id}/catalog"
    r = await client.post(
        f"{base}/save",
        data={
            "csrf_token": _csrf(client),
            "name": "Ankara <b>Dress</b>",
            "price": "25,000.50",
            "currency": "NGN",
            "available": "1",
            "variants": "Small; Large=27000; Red!",
        },
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"], r.headers["location"]
    p = (await client.get(f"/api/assistants/{assistant_id}/products")).json()["data"][0]
    assert p["price"] == 2500050
    assert [(v["name"], v["price"], v["available"]) for v in p["variants"]] == [
        ("Small", 2500050, True),
        ("Large", 2700000, True),
        ("Red", 2500050, False),
    ]
    page = (await client.get(base)).text
    assert "Ankara &lt;b&gt;Dress&lt;/b&gt;" in page and "₦25,000.50" in page
    edit = (await client.get(base, params={"edit": p["id"]})).text
    assert 'value="25000.50"' in edit and 'value="Small; Large=27000; Red!"' in edit
    r = await client.post(
        f"{base}/save", data={"csrf_token": _csrf(client), "name": "X", "price": "abc"}
    )
    assert "error=" in r.headers["location"]
    r = await client.post(
        f"{base}/import",
        data={"csrf_token": _csrf(client)},
        files={"file": ("p.csv", b"name,price\nScarf,oops\n", "text/csv")},
    )
    assert "error=" in r.headers["location"] and "nothing" in r.headers["location"].lower()
    r = await client.post(
        f"{base}/import",
        data={"csrf_token": _csrf(client)},
        files={"file": ("p.csv", b"name,price\nScarf,500000\n", "text/csv")},
    )
    assert "flash=" in r.headers["location"]
    assert len((await client.get(f"/api/assistants/{assistant_id}/products")).json()["data"]) == 2


async def test_pages_say_answers_are_weaker_without_embeddings(
    client: httpx.AsyncClient, assistant_id: str, monkeypatch
) -> None:
    from repdesk.knowledge.config import get_knowledge_settings

    page = (await client.get(f"/assistants/{assistant_id}/knowledge")).text
    assert ('data-testid="weaker-notice"' in page) is (not retrieval_on())
    monkeypatch.setenv("REPDESK_EMBEDDINGS", "off")
    get_knowledge_settings.cache_clear()
    try:
        for suffix in ("knowledge", "faqs", "catalog"):
            page = (await client.get(f"/assistants/{assistant_id}/{suffix}")).text
            assert 'data-testid="weaker-notice"' in page and "Answers will be weaker" in page
        status = (await client.get(f"/api/assistants/{assistant_id}/knowledge/status")).json()
        assert status["embeddings"] is False and status["retrieval"] == "bm25"
    finally:
        monkeypatch.delenv("REPDESK_EMBEDDINGS")
        get_knowledge_settings.cache_clear()


def retrieval_on() -> bool:
    from repdesk.knowledge import retrieval

    return retrieval.embeddings_enabled()


async def test_a_rejected_page_edit_changes_nothing(
    client: httpx.AsyncClient, assistant_id: str
) -> None:
    r = await client.post(
        f"/api/assistants/{assistant_id}/knowledge",
        json={"type": "qa", "question": "Do you deliver?", "answer": "Yes."},
    )
    item = r.json()
    r = await client.post(
        f"/assistants/{assistant_id}/knowledge/{item['id']}/edit",
        data={"csrf_token": _csrf(client), "question": "Do you deliver on Sundays?", "answer": " "},
    )
    assert r.status_code == 303 and "error=" in r.headers["location"]
    after = (await client.get(f"/api/assistants/{assistant_id}/knowledge/{item['id']}")).json()
    assert after["question"] == "Do you deliver?" and after["answer"] == "Yes."

    p = (
        await client.post(
            f"/api/assistants/{assistant_id}/products",
            json={"name": "Scarf", "price": 500000, "currency": "NGN"},
        )
    ).json()
    r = await client.post(
        f"/assistants/{assistant_id}/catalog/save",
        data={
            "csrf_token": _csrf(client),
            "product_id": p["id"],
            "name": "Silk Scarf",
            "price": "6000",
            "currency": "NGN",
            "image_url": "ftp://nope",
        },
    )
    assert "error=" in r.headers["location"]
    after = (await client.get(f"/api/assistants/{assistant_id}/products/{p['id']}")).json()
    assert after["name"] == "Scarf" and after["price"] == 500000 and after["images"] == []
