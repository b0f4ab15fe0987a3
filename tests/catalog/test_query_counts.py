"""List endpoints and pages run a fixed number of queries, however many rows they show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import event

from repdesk.db.engine import Database


async def _queries(db: Database, call: Callable[[], Awaitable[Any]]) -> int:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        r = await call()
        assert r.status_code == 200, r.text
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    return len(seen)


async def _add(client: httpx.AsyncClient, assistant_id: str, n: int, start: int) -> None:
    for i in range(start, start + n):
        await client.post(
            f"/api/assistants/{assistant_id}/products",
            json={
                "name": f"Dress {i}",
                "price": 1000 + i,
                "currency": "NGN",
                "variants": [{"name": "S"}, {"name": "M"}],
            },
        )
        await client.post(
            f"/api/assistants/{assistant_id}/knowledge",
            json={"type": "text", "content": f"Fact number {i}."},
        )
        await client.post(
            f"/api/assistants/{assistant_id}/faqs", json={"question": f"Q{i}?", "answer": "A."}
        )


async def test_list_endpoints_and_pages_do_not_grow_with_rows(
    client: httpx.AsyncClient, assistant_id: str, db: Database
) -> None:
    urls = [
        f"/api/assistants/{assistant_id}/products",
        f"/api/assistants/{assistant_id}/knowledge",
        f"/api/assistants/{assistant_id}/faqs",
        f"/assistants/{assistant_id}/catalog",
        f"/assistants/{assistant_id}/faqs",
        f"/assistants/{assistant_id}/knowledge",
    ]
    await _add(client, assistant_id, 2, 0)
    small = {u: await _queries(db, lambda u=u: client.get(u)) for u in urls}
    await _add(client, assistant_id, 8, 2)
    large = {u: await _queries(db, lambda u=u: client.get(u)) for u in urls}
    assert large == small
    assert all(n <= 12 for n in small.values()), small
