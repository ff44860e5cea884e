"""Live state shared by the calls of one worker, or of many workers through Redis.

One small interface, two implementations with the same behaviour: ``MemoryState`` for the
embedded default (one process), ``RedisState`` when ``REDIS_URL`` is set (several workers
behind several Asterisk boxes agree on counters, lock-outs and live queue state). With Redis,
``FallbackState`` keeps the node going on its own memory while Redis is down.

Values are strings, as Redis has them. TTLs are in seconds (fractions allowed); a TTL of zero
or less removes the key at once, in both implementations.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ivr.core.settings import Settings

if TYPE_CHECKING:
    import redis

# The calls in progress on every worker: call id -> {"flow", "since"} (JSON).
ACTIVE_CALLS = "calls:active"


@runtime_checkable
class LiveState(Protocol):
    def incr(self, key: str, amount: int = 1) -> int: ...
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl: float | None = None) -> None: ...
    def delete(self, key: str) -> None: ...
    def hset(self, name: str, field: str, value: str) -> None: ...
    def hget(self, name: str, field: str) -> str | None: ...
    def hdel(self, name: str, field: str) -> None: ...
    def hgetall(self, name: str) -> dict[str, str]: ...
    def expire(self, key: str, ttl: float) -> None: ...
    def close(self) -> None: ...


class MemoryState:
    """In-process state. TTLs are honoured lazily when a key is touched, and expired keys
    nobody touches again (a caller's rate-limit counter) are swept now and then."""

    def __init__(self, sweep_every: float = 60.0) -> None:
        self._values: dict[str, str | dict[str, str]] = {}
        self._expiry: dict[str, float] = {}  # key -> time.monotonic() deadline
        self._lock = threading.Lock()
        self._sweep_every = sweep_every
        self._next_sweep = time.monotonic() + sweep_every

    def _drop(self, key: str) -> None:
        self._values.pop(key, None)
        self._expiry.pop(key, None)

    def _live(self, key: str) -> bool:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self._sweep_every
            for expired in [k for k, deadline in self._expiry.items() if now >= deadline]:
                self._drop(expired)
        deadline = self._expiry.get(key)
        if deadline is not None and now >= deadline:
            self._drop(key)
        return key in self._values

    def _scalar(self, key: str) -> str | None:
        if not self._live(key):
            return None
        value = self._values[key]
        if isinstance(value, dict):
            raise TypeError(f"{key} holds a hash, not a value")
        return value

    def _hash(self, name: str, create: bool = False) -> dict[str, str]:
        if not self._live(name):
            if not create:
                return {}
            self._values[name] = {}
        value = self._values[name]
        if not isinstance(value, dict):
            raise TypeError(f"{name} holds a value, not a hash")
        return value

    def incr(self, key: str, amount: int = 1) -> int:
        with self._lock:
            value = int(self._scalar(key) or 0) + amount
            self._values[key] = str(value)  # like INCRBY, keeps the key's TTL
            return value

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._scalar(key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        with self._lock:
            self._drop(key)  # like SET, replaces a hash and clears an earlier TTL
            if ttl is not None and ttl <= 0:
                return
            self._values[key] = value
            if ttl is not None:
                self._expiry[key] = time.monotonic() + ttl

    def delete(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def hset(self, name: str, field: str, value: str) -> None:
        with self._lock:
            self._hash(name, create=True)[field] = value

    def hget(self, name: str, field: str) -> str | None:
        with self._lock:
            return self._hash(name).get(field)

    def hdel(self, name: str, field: str) -> None:
        with self._lock:
            values = self._hash(name)
            values.pop(field, None)
            if not values:
                self._drop(name)  # like Redis: a hash with no fields is no key at all

    def hgetall(self, name: str) -> dict[str, str]:
        with self._lock:
            return dict(self._hash(name))

    def expire(self, key: str, ttl: float) -> None:
        with self._lock:
            if self._live(key):
                self._expiry[key] = time.monotonic() + ttl

    def kind(self, key: str) -> str:
        """What ``key`` holds: "value", "hash", or "" (none); ``state_fallback`` copies keys."""
        with self._lock:
            if not self._live(key):
                return ""
            return "hash" if isinstance(self._values[key], dict) else "value"

    def ttl(self, key: str) -> float | None:
        """Seconds until ``key`` expires; None without an expiry (or without the key)."""
        with self._lock:
            deadline = self._expiry.get(key) if self._live(key) else None
            return None if deadline is None else max(0.0, deadline - time.monotonic())

    def close(self) -> None:
        pass


def _ms(ttl: float) -> int:
    """Redis takes whole milliseconds, at least one."""
    return max(1, round(ttl * 1000))


class RedisState:
    """State in Redis, every key under ``prefix`` so one Redis can serve other programs too.

    redis-py's client is thread-safe (a connection pool), so one object serves every call.
    """

    def __init__(self, url: str, prefix: str = "ivr:") -> None:
        import redis

        # Timeouts: a Redis that stops answering must fail a call's step, not hang it.
        self._redis: redis.Redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=5,
            health_check_interval=30,
        )
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return self.prefix + key

    def incr(self, key: str, amount: int = 1) -> int:
        return int(self._redis.incrby(self._key(key), amount))

    def get(self, key: str) -> str | None:
        value = self._redis.get(self._key(key))
        return None if value is None else str(value)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        if ttl is not None and ttl <= 0:
            self._redis.delete(self._key(key))
            return
        self._redis.set(self._key(key), value, px=None if ttl is None else _ms(ttl))

    def delete(self, key: str) -> None:
        self._redis.delete(self._key(key))

    def hset(self, name: str, field: str, value: str) -> None:
        self._redis.hset(self._key(name), field, value)

    def hget(self, name: str, field: str) -> str | None:
        value = self._redis.hget(self._key(name), field)
        return None if value is None else str(value)

    def hdel(self, name: str, field: str) -> None:
        self._redis.hdel(self._key(name), field)

    def hgetall(self, name: str) -> dict[str, str]:
        values = self._redis.hgetall(self._key(name))
        return {str(field): str(value) for field, value in values.items()}

    def expire(self, key: str, ttl: float) -> None:
        if ttl <= 0:
            self._redis.delete(self._key(key))  # what PEXPIRE does with a past deadline
            return
        self._redis.pexpire(self._key(key), _ms(ttl))

    def ping(self) -> None:
        self._redis.ping()

    def close(self) -> None:
        self._redis.close()


def make_state(settings: Settings) -> LiveState:
    """Redis when ``REDIS_URL`` is set (this node's memory while Redis does not answer, see
    ``ivr.core.state_fallback``), in-process otherwise."""
    if settings.redis_url:
        from ivr.core.state_fallback import FallbackState

        return FallbackState(RedisState(settings.redis_url))
    return MemoryState()
