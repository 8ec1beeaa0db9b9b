"""Fixed-window rate limits, in memory (one process) or in Redis (every process).

``limiter.hit(key)`` counts one event and says whether it is still allowed.
"""
from __future__ import annotations

import threading

from .clock import timestamp
from .settings import parse_rate


class MemoryStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, window: int) -> int:
        now = timestamp()
        with self.lock:
            count, reset = self.counts.get(key, (0, now + window))
            if now >= reset:
                count, reset = 0, now + window
            count += 1
            self.counts[key] = (count, reset)
            if len(self.counts) > 100_000:  # bound memory under attack
                self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
            return count

    def reset(self, key: str) -> None:
        with self.lock:
            self.counts.pop(key, None)


class RedisStore:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)

    def incr(self, key: str, window: int) -> int:
        bucket = f"vvs:rl:{key}:{int(timestamp() // window)}"
        pipe = self.client.pipeline()
        pipe.incr(bucket)
        pipe.expire(bucket, window + 1)
        return int(pipe.execute()[0])

    def reset(self, key: str) -> None:
        for k in self.client.scan_iter(f"vvs:rl:{key}:*"):
            self.client.delete(k)


class RateLimiter:
    def __init__(self, store, rate: str, scope: str):
        self.store = store
        self.limit, self.window = parse_rate(rate)
        self.scope = scope

    def hit(self, key: str) -> bool:
        """Count an event for ``key``; True while under the limit."""
        return self.store.incr(f"{self.scope}:{key}", self.window) <= self.limit

    def clear(self, key: str) -> None:
        self.store.reset(f"{self.scope}:{key}")


def make_store(url: str):
    if url.startswith("redis://") or url.startswith("rediss://"):
        return RedisStore(url)
    return MemoryStore()


def limiter(request, scope: str, rate_setting: str | None = None, rate: str | None = None) -> RateLimiter:
    registry = request.registry
    store = registry.get("vvs.ratelimit_store")
    if store is None:
        store = registry["vvs.ratelimit_store"] = make_store(registry.settings["vvs.ratelimit_url"])
    return RateLimiter(store, rate or registry.settings[rate_setting], scope)


def client_address(request) -> str:
    return request.client_addr or "unknown"
