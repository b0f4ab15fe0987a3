"""Test harness: every test gets a fresh, migrated database on the backend under test.

``REPDESK_TEST_DB=sqlite`` (default) or ``postgres`` picks the backend; the test command runs
the suite once for each. PostgreSQL gets a database of its own per run (so parallel runs do not
collide), migrated once, and emptied before every test that gets a database URL (see
``PostgresCleaner``). SQLite gets a copy of a migrated file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from repdesk.app import create_app, load_modules
from repdesk.assistants.models import Assistant
from repdesk.config import Settings
from repdesk.db.base import Base
from repdesk.db.engine import Database
from repdesk.db.migrate import upgrade
from repdesk.db.models_all import import_all_models
from repdesk.jobs.worker import Worker
from repdesk.kit.http import close_shared_client
from tests.factories import Account, create_account, create_assistant, signed_in
from tests.fakes.server import ThreadedServer, free_port

# The fakes' fixtures (graph, llm, embedding_server, node_receiver, fake_stt, no_stt, paystack)
# are every test's to ask for: no per-folder conftest re-exports them.
pytest_plugins = [
    "tests.fakes.graph",
    "tests.fakes.openai_server",
    "tests.fakes.embeddings",
    "tests.fakes.webhook_receiver",
    "tests.fakes.transcription",
    "tests.fakes.paystack",
]

BACKEND = os.environ.get("REPDESK_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("REPDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

load_modules()
import_all_models()


def pytest_report_header(config: pytest.Config) -> str:
    return f"repdesk database backend: {BACKEND}"


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def _shared_http_clients() -> AsyncIterator[None]:
    """The HTTP pools the code under test opened on the session's loop, closed at its end (as
    the app's shutdown does), so that none is left for the interpreter to find unclosed."""
    yield
    await close_shared_client()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for this run: a SQLite file path, or a PostgreSQL URL."""
    if BACKEND == "postgres":
        name = f"repdesk_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        base, _, _ = PG_ADMIN_URL.rpartition("/")

        async def admin(sql: str) -> None:
            eng = create_async_engine(_asyncpg_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
            async with eng.connect() as conn:
                await conn.execute(text(sql))
            await eng.dispose()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        url = _asyncpg_url(f"{base}/{name}")
        upgrade(url)
        yield url
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("tpl") / "template.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        yield str(path)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


class PostgresCleaner:
    """Empties this run's PostgreSQL database before every test that can reach it.

    Every test that gets a database URL (``database_url``, so ``settings``, ``db``, the live
    server, a CLI run) starts from empty tables, whether or not it asks for ``db``. It runs on a
    loop of its own in a thread, with one connection kept for the run, so it works from sync
    tests (the browser's) as from async ones; it costs one round trip when the previous test
    wrote nothing (most unit tests), and a TRUNCATE when it did.
    """

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.conn: Any = None
        tables = [t.name for t in Base.metadata.sorted_tables]
        self.any_row = " OR ".join(f'EXISTS (SELECT 1 FROM "{t}")' for t in tables)
        self.truncate = "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"

    async def _clean(self) -> None:
        import asyncpg

        if self.conn is None or self.conn.is_closed():
            self.conn = await asyncpg.connect(self.url)
        if not await self.conn.fetchval(f"SELECT {self.any_row}"):
            return
        # A previous test's server thread may still be finishing a job: retry a deadlocked or
        # lock-waiting TRUNCATE instead of failing this test's setup.
        for attempt in range(10):
            try:
                async with self.conn.transaction():
                    await self.conn.execute("SET LOCAL lock_timeout = '5s'")
                    await self.conn.execute(self.truncate)
                return
            except asyncpg.PostgresError:
                if attempt == 9:
                    raise
                await asyncio.sleep(0.2)

    def clean(self) -> None:
        asyncio.run_coroutine_threadsafe(self._clean(), self.loop).result(timeout=120)

    def close(self) -> None:
        if self.conn is not None:
            asyncio.run_coroutine_threadsafe(self.conn.close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def pg_cleaner(template_db: str) -> Iterator[PostgresCleaner | None]:
    if BACKEND != "postgres":
        yield None
        return
    cleaner = PostgresCleaner(template_db)
    yield cleaner
    cleaner.close()


@pytest.fixture
def database_url(template_db: str, tmp_path: Path, pg_cleaner: PostgresCleaner | None) -> str:
    """This test's database, empty of rows: PostgreSQL's run database truncated (when the
    previous test left rows), or a fresh copy of SQLite's migrated file."""
    if pg_cleaner is not None:
        pg_cleaner.clean()
        return template_db
    target = tmp_path / "repdesk.db"
    shutil.copyfile(template_db, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=10)
    yield database
    await database.dispose()


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        public_url="http://testserver",
        secret_key="",
        worker_in_process=False,
        allow_private_webhooks=True,
        ai_allow_private_urls=True,  # the fake LLM servers listen on 127.0.0.1
        log_format="text",
        login_rate_limit="1000/minute",
    )


@pytest.fixture(autouse=True)
def _settings_env(settings: Settings) -> Iterator[None]:
    """Code that reads get_settings() (jobs, services) sees the test's settings."""
    from repdesk import config, vault

    config.use_settings(settings)
    vault.init(settings.secret_key, settings.data_dir)
    yield
    config.use_settings(None)


@pytest_asyncio.fixture
async def app(settings: Settings, db: Database) -> AsyncIterator[Any]:
    application = create_app(settings, db=db)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


# A workspace's assistant and a signed-in owner, for the domain tests that need no more.
@pytest_asyncio.fixture
async def assistant(db: Database) -> Assistant:
    _user, ws = await create_account(db)
    return await create_assistant(db, workspace_id=ws.id)


@pytest_asyncio.fixture
async def owner(client: httpx.AsyncClient, db: Database) -> Account:
    return await signed_in(client, db)


@pytest_asyncio.fixture
async def assistant_id(client: httpx.AsyncClient, owner: Account) -> str:
    r = await client.post("/api/assistants", json={"name": "Shop", "platform": "whatsapp"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture
def worker(db: Database) -> Worker:
    return Worker(db, concurrency=4, lease_seconds=30, poll_interval=0.05)


class LiveServer(ThreadedServer):
    """repdesk itself over real HTTP (its lifespan on: the in-process worker runs)."""

    def __init__(self, app: Any, port: int) -> None:
        super().__init__(app, port=port, lifespan="on", name="live server")


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    port = free_port()
    return settings.model_copy(
        update={
            "host": "127.0.0.1",
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "worker_in_process": True,
            "job_poll_interval": 0.05,
        }
    )


@pytest.fixture
def live_server(
    live_settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """repdesk served over real HTTP by uvicorn in a thread, with its in-process worker.

    It owns its own engine (its own event loop); tests talk to it over HTTP only.
    """
    from repdesk import config

    config.use_settings(live_settings)
    application = create_app(live_settings)
    server = LiveServer(application, live_settings.port)
    server.start()
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread while it is alive, which async tests must not meet."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    # PostgreSQL-only tests are deselected (not skipped) on SQLite, and SQLite-only ones (run
    # once per test run: the fuzzer) on PostgreSQL.
    other = "postgres_only" if BACKEND != "postgres" else "sqlite_only"
    keep = [i for i in items if i.get_closest_marker(other) is None]
    dropped = [i for i in items if i.get_closest_marker(other) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright. Browser tests are plain (sync) tests that talk
    to ``live_server`` over HTTP."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (the test command installs it)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()
