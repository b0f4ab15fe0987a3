"""One committer: ``repdesk.db.engine.commit`` / ``Database.transaction`` (and ``rollback``) are
the only way a unit of work ends. A bare ``session.commit()`` skips what ``commit`` does after
the commit (publishing the realtime events, waking the workers), so this check fails on any
``.commit()`` or ``.rollback()`` call in ``src/repdesk`` outside ``src/repdesk/db/``."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "repdesk"
BANNED = frozenset({"commit", "rollback"})


def stray_commits(source: str, filename: str) -> list[str]:
    """``file:line: .commit()`` for every commit or rollback method call in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in BANNED
        ):
            found.append(f"{filename}:{node.lineno}: .{node.func.attr}()")
    return found


def check_tree(root: Path, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Every stray commit under ``root`` (outside ``root/db`` and the ``allowed`` files)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name.startswith("db/") or name in allowed:
            continue
        found += stray_commits(path.read_text("utf-8"), name)
    return found


def test_nothing_outside_db_commits_or_rolls_back_a_session() -> None:
    assert check_tree(SRC) == []


def test_the_check_fails_on_a_bad_file(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "engine.py").write_text("async def f(s):\n    await s.commit()\n")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "service.py").write_text(
        "async def save(session, row):\n"
        "    session.add(row)\n"
        "    await session.commit()\n"
        "\n"
        "async def undo(session):\n"
        "    await session.rollback()\n"
        "\n"
        "async def fine(session):\n"
        "    from repdesk.db.engine import commit\n"
        "    await commit(session)\n"
    )
    assert check_tree(tmp_path) == [
        "shop/service.py:3: .commit()",
        "shop/service.py:6: .rollback()",
    ]
