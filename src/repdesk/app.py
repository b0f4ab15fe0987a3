"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from repdesk import __version__, vault
from repdesk.config import Settings, get_settings, use_settings
from repdesk.db.engine import Database
from repdesk.db.migrate import migrations_current
from repdesk.events.bus import MemoryBus, RedisBus, make_bus
from repdesk.jobs.worker import Worker
from repdesk.kit import errors, security
from repdesk.kit.http import close_shared_client
from repdesk.kit.ratelimit import Limiter
from repdesk.modules import MODULES

log = logging.getLogger("repdesk.app")

STATIC_DIR = Path(__file__).parent / "dashboard" / "static"


def load_modules() -> list[Any]:
    extra = [m.strip() for m in get_settings().extra_modules.split(",") if m.strip()]
    return [importlib.import_module(name) for name in [*MODULES, *extra]]


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    use_settings(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    vault.init(settings.secret_key, settings.data_dir)
    database = db or Database(
        settings.resolved_database_url,
        pool_size=settings.db_pool_size or 20,
        notify_jobs=settings.job_notify,
    )
    bus: MemoryBus | RedisBus = make_bus(settings.redis_url)

    async def publish(events: list[tuple[str, dict[str, Any]]]) -> None:
        for topic, payload in events:
            try:
                await bus.publish(topic, payload)
            except Exception:  # realtime is best effort; durable consumers have the job
                log.exception("realtime publish failed")

    database.publisher = publish

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker_task: asyncio.Task[None] | None = None
        worker: Worker | None = None
        if settings.worker_in_process:
            worker = Worker(
                database,
                concurrency=settings.worker_concurrency,
                lease_seconds=settings.job_lease_seconds,
                poll_interval=settings.job_poll_interval,
                listen=settings.job_notify,
            )
            app.state.worker = worker
            database.on_jobs_committed = worker.wake
            worker_task = asyncio.create_task(worker.run_forever())
        try:
            yield
        finally:
            if worker is not None and worker_task is not None:
                database.on_jobs_committed = None
                worker.stop()  # lets jobs in flight finish (up to 10 s), then returns
                try:
                    await asyncio.wait_for(worker_task, timeout=15)
                except BaseException:
                    worker_task.cancel()
                    with contextlib.suppress(BaseException):
                        await worker_task
            await bus.close()
            await close_shared_client()
            if db is None:
                await database.dispose()

    app = FastAPI(
        title="repdesk",
        version=__version__,
        description="Management API of repdesk (session auth). The Developer API lives at /v1.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.bus = bus
    app.state.limiter = Limiter(settings.redis_url)
    app.state.worker = None
    errors.install(app)
    security.install_body_limit(app)  # innermost: inside the modules' middleware (widget CORS)

    for module in load_modules():
        for attr in ("router", "pages"):
            router = getattr(module, attr, None)
            if router is not None:
                app.include_router(router)
        setup = getattr(module, "setup_app", None)
        if setup is not None:
            setup(app)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    security.install(app, public_url=lambda: settings.public_url)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        try:
            current = await migrations_current(database)
        except Exception as exc:
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"ready": False, "database": "unreachable"}, status_code=503)
        if not current:
            return JSONResponse({"ready": False, "database": "migrations pending"}, status_code=503)
        return JSONResponse({"ready": True, "database": "ok"})

    return app
