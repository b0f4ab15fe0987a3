"""One way to serve an ASGI app over real HTTP in a test: uvicorn in a daemon thread on a free
loopback port. The protocol fakes (Graph API, LLM, embeddings) and the live repdesk server use it;
``kept_fake`` keeps one fake running for the whole test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import uvicorn

T = TypeVar("T")
_KEPT: dict[str, tuple[Any, ThreadedServer]] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadedServer:
    """``ThreadedServer(app, port=…, lifespan="off").start()``; ``url`` is its base address."""

    def __init__(
        self, app: Any, *, port: int | None = None, lifespan: str = "off", name: str = "server"
    ) -> None:
        self.app = app
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = name
        # proxy_headers off, as `repdesk serve` runs: X-Forwarded-For is read only by
        # kit.clientip, from the proxies the operator trusts.
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan=lifespan,
            proxy_headers=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 20) -> ThreadedServer:
        self.thread.start()
        deadline = time.time() + timeout
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"{self.name} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def kept_fake(name: str, state: Callable[[str], T], app: Callable[[T], Any]) -> T:
    """A fake started once per test process and kept running (its fixture resets the state
    per test): ``state(base_url)`` makes the fake's state, ``app(state)`` its ASGI app."""
    if name not in _KEPT:
        port = free_port()
        fake = state(f"http://127.0.0.1:{port}")
        _KEPT[name] = (fake, ThreadedServer(app(fake), port=port, name=name).start())
    return cast(T, _KEPT[name][0])
