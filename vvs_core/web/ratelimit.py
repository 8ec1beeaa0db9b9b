"""Fixed-window rate limits, in memory (one process) or in Redis (every process).

Two ways to count, one way to refuse:

- ``limiter.check(key)`` counts one event (a sign-up, a reset request, an API call)
  and raises ``TooManyRequests`` past the limit;
- for secrets being guessed (password, second factor) only failures count:
  ``limiter.check_blocked(key)`` before trying, ``limiter.fail(key)`` after a wrong
  answer, ``limiter.clear(key)`` after a right one.

``TooManyRequests`` is answered by one exception view (``vvs_core.web.errorpages``): the
French page (JSON on ``/api/``), status 429, always with ``Retry-After``. No view
builds a 429 itself.

The address of a request is ``client_address(request)``: the peer, or, behind
``vvs.trusted_proxies``, the first address of ``X-Forwarded-For`` counted from the
right past the trusted hops.
"""

import math
import threading

from pyramid.httpexceptions import HTTPTooManyRequests

from vvs_core.clock import timestamp
from vvs_core.settings import parse_rate

TOO_MANY = "Trop de tentatives. Réessayez dans quelques minutes."


class TooManyRequests(HTTPTooManyRequests):
    """Raise it when a limit is reached: 429 with ``Retry-After`` (seconds) and a French message."""

    def __init__(self, retry_after: int = 60, message: str = TOO_MANY):
        self.wait_seconds = max(1, int(math.ceil(retry_after)))
        self.message = message
        super().__init__(detail=message, headers={"Retry-After": str(self.wait_seconds)})


class MemoryStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, tuple[int, float]] = {}

    def _current(self, key: str, window: int, now: float) -> tuple[int, float]:
        count, reset = self.counts.get(key, (0, now + window))
        if now >= reset:
            count, reset = 0, now + window
        return count, reset

    def incr(self, key: str, window: int) -> int:
        now = timestamp()
        with self.lock:
            count, reset = self._current(key, window, now)
            count += 1
            self.counts[key] = (count, reset)
            if len(self.counts) > 100_000:  # bound memory under attack
                self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
            return count

    def get(self, key: str, window: int) -> tuple[int, float]:
        """(count, seconds until the window ends)."""
        now = timestamp()
        with self.lock:
            count, reset = self._current(key, window, now)
            return count, reset - now

    def reset(self, key: str) -> None:
        with self.lock:
            self.counts.pop(key, None)


class RedisStore:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)

    @staticmethod
    def _bucket(key: str, window: int) -> tuple[str, float]:
        now = timestamp()
        return f"vvs:rl:{key}:{int(now // window)}", window - (now % window)

    def incr(self, key: str, window: int) -> int:
        bucket, _left = self._bucket(key, window)
        pipe = self.client.pipeline()
        pipe.incr(bucket)
        pipe.expire(bucket, window + 1)
        return int(pipe.execute()[0])

    def get(self, key: str, window: int) -> tuple[int, float]:
        bucket, left = self._bucket(key, window)
        return int(self.client.get(bucket) or 0), left

    def reset(self, key: str) -> None:
        for k in self.client.scan_iter(f"vvs:rl:{key}:*"):
            self.client.delete(k)


class RateLimiter:
    def __init__(self, store, rate: str, scope: str):
        self.store = store
        self.limit, self.window = parse_rate(rate)
        self.scope = scope

    def _key(self, key: str) -> str:
        return f"{self.scope}:{key}"

    def hit(self, key: str) -> bool:
        """Count an event for ``key``; True while under the limit."""
        return self.store.incr(self._key(key), self.window) <= self.limit

    def check(self, key: str, message: str = TOO_MANY) -> None:
        """Count an event for ``key``; raise ``TooManyRequests`` past the limit."""
        if not self.hit(key):
            raise TooManyRequests(self.retry_after(key), message)

    def blocked(self, key: str) -> bool:
        """Whether ``key`` has used up its attempts (nothing is counted)."""
        return self.store.get(self._key(key), self.window)[0] >= self.limit

    def check_blocked(self, key: str, message: str = TOO_MANY) -> None:
        """Raise ``TooManyRequests`` while ``key`` has used up its attempts."""
        if self.blocked(key):
            raise TooManyRequests(self.retry_after(key), message)

    def fail(self, key: str) -> None:
        """Count one failure (a wrong password, a wrong code)."""
        self.store.incr(self._key(key), self.window)

    def retry_after(self, key: str) -> int:
        return int(math.ceil(self.store.get(self._key(key), self.window)[1])) or self.window

    def clear(self, key: str) -> None:
        self.store.reset(self._key(key))


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
    """The address of the client, for rate limits and logs.

    ``REMOTE_ADDR`` is the connection's peer. Behind trusted proxies
    (``vvs.trusted_proxies``), each appends the address it received the request from to
    ``X-Forwarded-For``, so the entries on the right are trustworthy and anything on the
    left may have been written by the client: walk from the right past the trusted hops.
    (WebOb's ``request.client_addr`` takes the leftmost entry: the client's choice.)
    """
    trusted = request.registry.settings.get("vvs.trusted_proxies", 0)
    peer = (request.remote_addr or "").strip() or "unknown"
    header = request.headers.get("X-Forwarded-For", "") if trusted else ""
    if not header:
        return peer
    hops = [part.strip() for part in header[-2000:].split(",")]  # the right end is the trusted one
    hops.append(peer)
    if isinstance(trusted, int):
        # the peer is the last trusted proxy; the other trusted proxies wrote the entries
        # just before it; the entry before those is the client as the first proxy saw it
        index = len(hops) - 1 - trusted
        address = hops[max(index, 0)]
        return address if _valid_ip(address) else hops[max(index, 0) + 1] if index >= 0 else peer
    address = peer
    for hop in reversed(hops[:-1]):
        if not _in_networks(address, trusted):
            break
        if not _valid_ip(hop):
            break  # garbage where an address should be: keep the last proxy's word
        address = hop
    return address


def _valid_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _in_networks(text: str, networks) -> bool:
    import ipaddress

    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return any(address in network for network in networks)
