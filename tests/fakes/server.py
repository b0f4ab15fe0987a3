"""One way to serve an ASGI app over real HTTP in a test: uvicorn in a daemon thread on a free
loopback port. The protocol fakes (Graph API, LLM, embeddings) and the live repdesk server use it."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


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
