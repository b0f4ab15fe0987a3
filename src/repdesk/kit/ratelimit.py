"""Rate limits with the ``limits`` library: memory by default, Redis when replicas share them.

The fixed-window strategy: one counter per limit and key, its window starting at the key's first
hit. Its headers are exact (``X-RateLimit-Reset`` is when the counter resets, so a client that
waits ``Retry-After`` gets through), and it is the cheapest: 47-132 µs per request for the burst
and endpoint limits, against ~400 µs for the moving window, whose in-memory storage keeps and
expires one entry per hit (measured, ADR 7). The price: a client may fit up to twice a limit
into a short span that straddles two windows."""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter, RateLimiter


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds


class Limiter:
    def __init__(self, redis_url: str = "") -> None:
        self.storage: Storage
        if redis_url:
            url = redis_url.replace("redis://", "async+redis://", 1)
            url = url.replace("rediss://", "async+rediss://", 1)
            # redis-py (already a dependency) rather than the default coredis client.
            self.storage = RedisStorage(url, implementation="redispy")
        else:
            self.storage = MemoryStorage()
        self.strategy: RateLimiter = FixedWindowRateLimiter(self.storage)

    async def hit(self, rule: str | RateLimitItem, *key: str, cost: int = 1) -> Decision:
        item = parse(rule) if isinstance(rule, str) else rule
        allowed = await self.strategy.hit(item, *key, cost=cost)
        stats = await self.strategy.get_window_stats(item, *key)
        return Decision(allowed, item.amount, max(0, stats.remaining), int(stats.reset_time))

    async def peek(self, rule: str | RateLimitItem, *key: str) -> Decision:
        item = parse(rule) if isinstance(rule, str) else rule
        stats = await self.strategy.get_window_stats(item, *key)
        allowed = stats.remaining > 0
        return Decision(allowed, item.amount, max(0, stats.remaining), int(stats.reset_time))

    async def clear(self, rule: str | RateLimitItem, *key: str) -> None:
        item = parse(rule) if isinstance(rule, str) else rule
        await self.strategy.clear(item, *key)

    async def reset(self) -> None:
        await self.storage.reset()
