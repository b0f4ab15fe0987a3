"""The ``repdesk`` command line."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from repdesk import logs
from repdesk.config import Settings, get_settings

log = logging.getLogger("repdesk.cli")

# Other domains add subcommands here: name -> (help, add_arguments, handler).
COMMANDS: dict[
    str,
    tuple[
        str,
        Callable[[argparse.ArgumentParser], None],
        Callable[[argparse.Namespace, Settings], int],
    ],
] = {}


def command(
    name: str, help: str, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> Callable[
    [Callable[[argparse.Namespace, Settings], int]], Callable[[argparse.Namespace, Settings], int]
]:
    def register(
        fn: Callable[[argparse.Namespace, Settings], int],
    ) -> Callable[[argparse.Namespace, Settings], int]:
        COMMANDS[name] = (help, add_arguments or (lambda p: None), fn)
        return fn

    return register


def _tune_gc() -> None:
    """For long-running processes: move everything loaded at start-up (modules, the app,
    mappers) out of the collector's sight, and collect the young generation less often.
    Full collections over those long-lived objects otherwise pause the event loop for tens of
    milliseconds under load, which shows in the webhook acknowledgement p99."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def _upgrade(settings: Settings) -> None:
    from repdesk.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--no-worker", action="store_true", help="do not run jobs in this process")
    p.add_argument("--no-migrate", action="store_true")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web server processes sharing the port (each with its own in-process worker "
        "unless --no-worker)",
    )


def _process_app() -> Any:
    """The app of one ``serve --workers N`` process (settings from the environment)."""
    from repdesk.app import create_app

    app = create_app()
    _tune_gc()
    return app


@command("serve", "run the web server (and, by default, an in-process worker)", _serve_args)
def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from repdesk.app import create_app

    updates: dict[str, Any] = {}
    if args.host:
        updates["host"] = args.host
    if args.port:
        updates["port"] = args.port
    if args.no_worker:
        updates["worker_in_process"] = False
    if updates:
        settings = settings.model_copy(update=updates)
    if not args.no_migrate:
        _upgrade(settings)
    from repdesk.knowledge.commands import warn_if_model_missing

    warn_if_model_missing()
    print(f"\n  repdesk is running: open {settings.base_url}/ in your browser\n", flush=True)
    app: Any
    if args.workers > 1:
        # Each process builds its app from the environment: pass the command line on, and
        # make sure the master key exists before they all look for it.
        from repdesk import vault

        vault.init(settings.secret_key, settings.data_dir)
        os.environ["REPDESK_HOST"] = settings.host
        os.environ["REPDESK_PORT"] = str(settings.port)
        os.environ["REPDESK_WORKER_IN_PROCESS"] = str(settings.worker_in_process).lower()
        app = "repdesk.cli:_process_app"
    else:
        app = create_app(settings)
        _tune_gc()
    uvicorn.run(
        app,
        factory=args.workers > 1,
        workers=args.workers if args.workers > 1 else None,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        # X-Forwarded-For is read by kit.clientip, from REPDESK_TRUSTED_PROXIES only.
        proxy_headers=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
    )
    return 0


def _worker_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--concurrency", type=int, default=None)
    p.add_argument("--drain", action="store_true", help="run due jobs, then exit")


@command(
    "worker", "run a standalone job worker (any number may run against one database)", _worker_args
)
def worker(args: argparse.Namespace, settings: Settings) -> int:
    from repdesk import vault
    from repdesk.app import load_modules
    from repdesk.db.engine import Database
    from repdesk.events.bus import make_bus
    from repdesk.jobs.worker import Worker

    load_modules()
    vault.init(settings.secret_key, settings.data_dir)
    _tune_gc()

    async def main() -> None:
        concurrency = args.concurrency or settings.worker_concurrency
        db = Database(
            settings.resolved_database_url,
            pool_size=settings.db_pool_size or concurrency + 4,
            notify_jobs=settings.job_notify,
        )
        bus = make_bus(settings.redis_url)

        async def publish(events: list[tuple[str, dict[str, Any]]]) -> None:
            for topic, payload in events:
                await bus.publish(topic, payload)

        db.publisher = publish
        w = Worker(
            db,
            concurrency=concurrency,
            lease_seconds=settings.job_lease_seconds,
            poll_interval=settings.job_poll_interval,
            listen=settings.job_notify,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, w.stop)
        try:
            if args.drain:
                n = await w.drain()
                print(f"ran {n} jobs")
            else:
                await w.run_forever()
        finally:
            from repdesk.kit.http import close_shared_client

            await close_shared_client()
            await bus.close()
            await db.dispose()

    _run(main())
    return 0


def _run(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` on uvloop when it is installed (it comes with uvicorn[standard], which
    the web server already runs on): cheaper sockets for the worker's database and HTTP."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def _db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["upgrade", "heads"])


@command("db", "database migrations: `repdesk db upgrade`", _db_args)
def db_cmd(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "upgrade":
        _upgrade(settings)
        print("database is up to date")
    else:
        from repdesk.db.migrate import script_heads

        print("\n".join(sorted(script_heads())))
    return 0


def _user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["create"])
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--business", required=True, help="business name")
    p.add_argument("--operator", action="store_true")


@command(
    "user", "admin helpers: `repdesk user create --email … --password … --business …`", _user_args
)
def user_cmd(args: argparse.Namespace, settings: Settings) -> int:
    from repdesk import vault
    from repdesk.accounts import service
    from repdesk.app import load_modules
    from repdesk.db.engine import Database
    from repdesk.kit.errors import AppError

    load_modules()
    vault.init(settings.secret_key, settings.data_dir)
    _upgrade(settings)

    async def main() -> int:
        db = Database(settings.resolved_database_url)
        try:
            async with db.transaction() as session:
                user, ws = await service.register(
                    session,
                    email=args.email,
                    password=args.password,
                    business_name=args.business,
                    verified=True,
                    send_email=False,
                )
                user.is_operator = bool(args.operator)
            print(f"created {user.email} (verified) in workspace {ws.id}")
            return 0
        except AppError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        finally:
            await db.dispose()

    return asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    # Domains may register more commands (demo, eval) when imported.
    try:
        from repdesk.app import load_modules

        load_modules()
    except Exception:  # a broken optional module must not take the CLI down
        log.exception("could not load every module")
    parser = argparse.ArgumentParser(prog="repdesk", description="repdesk: AI customer messaging")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, (help_text, add_args, _fn) in COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)
    return COMMANDS[args.cmd][2](args, settings)


if __name__ == "__main__":
    # ``python -m repdesk.cli`` runs this file as ``__main__``, a second copy of the module: the
    # domains register their commands (eval, demo, models...) in ``repdesk.cli``'s registry, so
    # run that module's ``main``, not this copy's.
    from repdesk.cli import main as _main

    raise SystemExit(_main())
