"""Realtime fan-out: in-process by default, Redis pub/sub across replicas."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

log = logging.getLogger("repdesk.events")


class Bus(Protocol):
    async def publish(self, topic: str, payload: dict[str, Any]) -> None: ...

    def subscribe(self, *topics: str) -> Any: ...

    async def close(self) -> None: ...


class Subscription:
    def __init__(self, maxsize: int = 1000) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)

    def put(self, payload: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:  # a stuck client must not block everyone else
            log.warning("realtime subscriber queue full; dropping an event")

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self.queue.get()


class MemoryBus:
    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.deliver(topic, payload)

    def deliver(self, topic: str, payload: dict[str, Any]) -> None:
        for sub in list(self._subs.get(topic, ())):
            sub.put(payload)

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        sub = Subscription()
        for t in topics:
            self._subs[t].add(sub)
        try:
            yield sub
        finally:
            for t in topics:
                self._subs[t].discard(sub)
                if not self._subs[t]:
                    self._subs.pop(t, None)

    async def close(self) -> None:
        self._subs.clear()


class RedisBus:
    """Publishes to Redis; one reader task per process relays to local subscribers."""

    CHANNEL_PREFIX = "repdesk:rt:"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._local = MemoryBus()
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._refcount: dict[str, int] = defaultdict(int)
        self._lock = asyncio.Lock()

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        data = json.dumps({"t": topic, "p": payload}, separators=(",", ":"), default=str)
        await self._redis.publish(self.CHANNEL_PREFIX + topic, data)

    async def _ensure_reader(self) -> None:
        if self._pubsub is None:
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            # Subscribe to a private channel so get_message has something to wait on.
            await self._pubsub.subscribe(self.CHANNEL_PREFIX + "__keepalive__")
            self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                msg = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis bus read failed; retrying")
                await asyncio.sleep(1)
                continue
            if msg is None or msg.get("type") != "message":
                continue
            try:
                body = json.loads(msg["data"])
                self._local.deliver(body["t"], body["p"])
            except (ValueError, KeyError, TypeError):
                log.warning("malformed realtime message on redis")

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        async with self._lock:
            await self._ensure_reader()
            new = [t for t in topics if self._refcount[t] == 0]
            for t in topics:
                self._refcount[t] += 1
            if new:
                await self._pubsub.subscribe(*(self.CHANNEL_PREFIX + t for t in new))
        try:
            async with self._local.subscribe(*topics) as sub:
                yield sub
        finally:
            async with self._lock:
                gone = []
                for t in topics:
                    self._refcount[t] -= 1
                    if self._refcount[t] <= 0:
                        self._refcount.pop(t, None)
                        gone.append(t)
                if gone and self._pubsub is not None:
                    with contextlib.suppress(Exception):
                        await self._pubsub.unsubscribe(*(self.CHANNEL_PREFIX + t for t in gone))

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        await self._redis.aclose()


def make_bus(redis_url: str) -> MemoryBus | RedisBus:
    return RedisBus(redis_url) if redis_url else MemoryBus()
