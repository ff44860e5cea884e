"""Live state that outlives a Redis outage: Redis while it answers, this node's memory while it
does not, Redis again when it is back.

Live state is bookkeeping (calls in progress, counters, lock-outs, the knowledge base's
version): a Redis that stops answering must not reach a caller, as it did when the PIN
lock-out check raised ``ConnectionError`` and the balance caller heard "a technical problem".
On the first failure ``FallbackState`` logs one warning and serves every call from a
``MemoryState`` of its own: lock-outs and counters are counted per node meanwhile, and what
other nodes wrote before the outage is not seen. A background thread asks Redis every
``retry_s`` seconds; when it answers, what this node changed meanwhile is written back, and
from then on Redis serves again:

* a counter only incremented during the outage is added to Redis's (INCRBY the increments),
  so lock-outs counted on several nodes add up;
* a value set or deleted, and a hash deleted whole, is written as the node has it now;
* a hash field set or deleted is set or deleted in Redis (the calls in progress);
* expiries go with their keys (the time left).

While the write-back runs, the calls of this node wait for it (a few milliseconds); calls of
other nodes never do. A command Redis received but whose answer was lost is done again in
memory: at worst one increment counts twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ivr.core.live_state import MemoryState, RedisState

log = logging.getLogger(__name__)
RETRY_S = 2.0  # how often a node on its own memory asks Redis whether it is back


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class FallbackState:
    """``LiveState`` on Redis, falling back to this node's memory (see the module)."""

    def __init__(self, primary: RedisState, retry_s: float = RETRY_S) -> None:
        self.primary = primary
        self.retry_s = retry_s
        self._errors = _redis_errors()
        self._lock = threading.Lock()  # the memory, the changes and the switch back
        self._down = False  # read without the lock: the common case never waits
        self._memory = MemoryState()
        self._added: dict[str, int] = {}  # counters only incremented meanwhile: by how much
        self._replaced: set[str] = set()  # keys set or deleted meanwhile: the node's copy wins
        self._fields: dict[str, set[str]] = {}  # hash fields set or deleted meanwhile
        self._expiries: set[str] = set()  # keys whose expiry was set meanwhile
        self._closed = threading.Event()
        self._prober: threading.Thread | None = None

    @property
    def on_redis(self) -> bool:
        return not self._down

    # -- the interface --------------------------------------------------------------------
    def incr(self, key: str, amount: int = 1) -> int:
        def note() -> None:
            if key not in self._replaced:
                self._added[key] = self._added.get(key, 0) + amount

        result: int = self._call("incr", (key, amount), note)
        return result

    def get(self, key: str) -> str | None:
        result: str | None = self._call("get", (key,))
        return result

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._call("set", (key, value, ttl), lambda: self._replace(key))

    def delete(self, key: str) -> None:
        self._call("delete", (key,), lambda: self._replace(key))

    def hset(self, name: str, field: str, value: str) -> None:
        self._call("hset", (name, field, value), lambda: self._field(name, field))

    def hget(self, name: str, field: str) -> str | None:
        result: str | None = self._call("hget", (name, field))
        return result

    def hdel(self, name: str, field: str) -> None:
        self._call("hdel", (name, field), lambda: self._field(name, field))

    def hgetall(self, name: str) -> dict[str, str]:
        result: dict[str, str] = self._call("hgetall", (name,))
        return result

    def expire(self, key: str, ttl: float) -> None:
        self._call("expire", (key, ttl), lambda: self._expiries.add(key))

    def close(self) -> None:
        self._closed.set()
        if self._prober is not None:
            self._prober.join(timeout=self.retry_s + 10)
        self.primary.close()

    # -- Redis, or memory -----------------------------------------------------------------
    def _call(
        self, name: str, args: tuple[Any, ...], note: Callable[[], None] | None = None
    ) -> Any:
        while True:
            if not self._down:
                try:
                    return getattr(self.primary, name)(*args)
                except self._errors as exc:
                    self._fall_back(exc)
            with self._lock:
                if self._down:  # else Redis came back meanwhile: ask it
                    result = getattr(self._memory, name)(*args)
                    if note is not None:
                        note()
                    return result

    def _replace(self, key: str) -> None:
        self._replaced.add(key)
        self._added.pop(key, None)
        self._fields.pop(key, None)

    def _field(self, name: str, field: str) -> None:
        if name not in self._replaced:
            self._fields.setdefault(name, set()).add(field)

    def _fall_back(self, exc: Exception) -> None:
        with self._lock:
            if self._down or self._closed.is_set():
                return
            self._down = True
            log.warning(
                "live state: Redis does not answer (%s: %s); this node keeps its live state "
                "in memory (lock-outs and counters per node) and asks Redis again every %g s",
                type(exc).__name__, exc, self.retry_s,
            )  # fmt: skip
            self._prober = threading.Thread(target=self._probe, name="redis-probe", daemon=True)
            self._prober.start()

    def _probe(self) -> None:
        while not self._closed.wait(self.retry_s):
            try:
                self.primary.ping()
                with self._lock:
                    written = self._write_back()
                    self._down = False
                    self._memory = MemoryState()
            except self._errors:
                continue  # still down, or down again while writing back: the rest next time
            log.warning("live state: Redis answers again; %d keys written back to it", written)
            return

    def _write_back(self) -> int:
        """Write this node's changes to Redis, each forgotten once written (so a failure
        half-way leaves the rest for the next try and adds no increment twice)."""
        memory, primary, count = self._memory, self.primary, 0
        for key in sorted(self._replaced):
            primary.delete(key)
            kind = memory.kind(key)
            if kind == "value":
                primary.set(key, memory.get(key) or "", memory.ttl(key))
            elif kind == "hash":
                for field, value in memory.hgetall(key).items():
                    primary.hset(key, field, value)
            self._replaced.discard(key)
            count += 1
        for key, amount in sorted(self._added.items()):
            primary.incr(key, amount)
            del self._added[key]
            count += 1
        for name, fields in sorted(self._fields.items()):
            values = memory.hgetall(name)
            for field in sorted(fields):
                if field in values:
                    primary.hset(name, field, values[field])
                else:
                    primary.hdel(name, field)
            del self._fields[name]
            count += 1
        for key in sorted(self._expiries):
            left = memory.ttl(key)
            if left is not None:
                primary.expire(key, left)
            self._expiries.discard(key)
        return count
