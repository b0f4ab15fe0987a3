"""Starts ``webhook_receiver.js`` (Node) and talks to its control endpoints.

Fixture ``node_receiver``: a running receiver; ``receiver.url`` is where to point a webhook,
``receiver.configure(secret=..., failNext=...)`` and ``receiver.received()``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

SCRIPT = Path(__file__).with_name("webhook_receiver.js")


class NodeReceiver:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not installed (apt-get install nodejs)")
        self.proc = subprocess.Popen(
            [node, str(SCRIPT)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.port = int(json.loads(line)["port"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/webhooks/247rep"

    def configure(self, **control: Any) -> None:
        httpx.post(f"{self.base}/_control", json=control, timeout=5).raise_for_status()

    def received(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.base}/_received", timeout=5).json())

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.time() + timeout
        got = self.received()
        while len(got) < count and time.time() < deadline:
            time.sleep(0.05)
            got = self.received()
        return got

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def node_receiver() -> Iterator[NodeReceiver]:
    receiver = NodeReceiver()
    yield receiver
    receiver.stop()
