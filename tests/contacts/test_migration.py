"""0017 keeps every contact's rows: dropping contacts.tags must not copy the contacts table
(on SQLite, batch mode's DROP TABLE cascaded to conversations and contact_tags), and the tags'
order comes over from the JSON list."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from repdesk.db.migrate import upgrade

pytestmark = pytest.mark.sqlite_only


def _insert(conn: sqlite3.Connection, table: str, **values: Any) -> None:
    row: dict[str, Any] = {}
    for _cid, name, kind, notnull, _default, _pk in conn.execute(f"pragma table_info({table})"):
        if notnull:
            row[name] = "{}" if "JSON" in kind.upper() else 0 if "INT" in kind.upper() else "x"
    row.update(values)
    marks = ",".join("?" * len(row))
    conn.execute(f"insert into {table} ({','.join(row)}) values ({marks})", list(row.values()))


def test_upgrade_keeps_conversations_and_tag_order(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0014_merge_audit")
    conn = sqlite3.connect(path)
    _insert(conn, "workspaces", id="w1")
    _insert(conn, "assistants", id="a1", workspace_id="w1")
    _insert(
        conn,
        "contacts",
        id="c1",
        assistant_id="a1",
        phone="+2348030000001",
        tags=json.dumps(["vip", "lagos", "abc"]),
        created_at="2026-01-01 00:00:00",
    )
    _insert(conn, "conversations", id="v1", assistant_id="a1", contact_id="c1")
    conn.commit()
    conn.close()

    upgrade(url)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("select count(*) from conversations").fetchone() == (1,)
        tags = conn.execute(
            "select tag from contact_tags where contact_id = 'c1' order by position"
        ).fetchall()
        assert [t for (t,) in tags] == ["vip", "lagos", "abc"]
        columns = {r[1] for r in conn.execute("pragma table_info(contacts)")}
        assert "tags" not in columns and "replies_count" in columns
    finally:
        conn.close()
