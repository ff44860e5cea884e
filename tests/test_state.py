"""Live state: the in-process and the Redis implementation behave the same.

Every test runs against both, with the same expected results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis

from ivr.core.live_state import LiveState, MemoryState, RedisState, make_state
from ivr.core.settings import Settings
from ivr.core.state_fallback import FallbackState
from tests.conftest_redis import StoppableRedis, redis_server  # noqa: F401  (the fixture)
from tests.wire_helpers import wait_until


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest) -> Iterator[LiveState]:
    if request.param == "memory":
        yield MemoryState()
        return
    url = request.getfixturevalue("redis_server")
    redis.Redis.from_url(url).flushdb()
    live = RedisState(url)
    yield live
    live.close()


def test_counters_and_values(state: LiveState) -> None:
    assert state.get("calls") is None
    assert state.incr("calls") == 1
    assert state.incr("calls", 5) == 6
    assert state.incr("calls", -2) == 4
    assert state.get("calls") == "4"
    state.set("mode", "night")
    assert state.get("mode") == "night"
    state.set("mode", "day")
    assert state.get("mode") == "day"
    state.delete("mode")
    state.delete("never-set")
    assert state.get("mode") is None
    assert state.incr("from-a-set") == 1 and state.get("from-a-set") == "1"


def test_values_expire(state: LiveState) -> None:
    state.set("lock", "1", ttl=0.2)
    state.set("kept", "1", ttl=0.2)
    state.set("kept", "2")  # a plain set clears the earlier TTL
    state.incr("attempts")
    state.expire("attempts", 0.2)
    state.incr("attempts")  # counting keeps the TTL
    state.expire("missing", 0.2)  # no key, nothing to expire
    assert state.get("lock") == "1" and state.get("attempts") == "2"
    time.sleep(0.35)
    assert state.get("lock") is None and state.get("attempts") is None
    assert state.get("kept") == "2" and state.get("missing") is None
    assert state.incr("attempts") == 1  # starts again after expiry


def test_zero_ttl_removes_at_once(state: LiveState) -> None:
    state.set("a", "1", ttl=0)
    state.set("b", "1")
    state.expire("b", 0)
    assert state.get("a") is None and state.get("b") is None


def test_hashes(state: LiveState) -> None:
    assert state.hgetall("calls:active") == {}
    assert state.hget("calls:active", "1.1") is None
    state.hset("calls:active", "1.1", "a")
    state.hset("calls:active", "1.2", "b")
    state.hset("calls:active", "1.2", "c")
    assert state.hget("calls:active", "1.1") == "a"
    assert state.hgetall("calls:active") == {"1.1": "a", "1.2": "c"}
    state.hdel("calls:active", "1.1")
    state.hdel("calls:active", "nope")
    assert state.hgetall("calls:active") == {"1.2": "c"}
    state.hdel("calls:active", "1.2")
    assert state.hgetall("calls:active") == {} and state.hget("calls:active", "1.2") is None


def test_hashes_expire_and_delete(state: LiveState) -> None:
    state.hset("agent:7", "status", "busy")
    state.expire("agent:7", 0.2)
    state.hset("agent:8", "status", "idle")
    time.sleep(0.35)
    assert state.hgetall("agent:7") == {}
    state.hset("agent:7", "status", "idle")  # a new hash, with no TTL
    state.delete("agent:8")
    time.sleep(0.25)
    assert state.hgetall("agent:7") == {"status": "idle"}
    assert state.hgetall("agent:8") == {}


def test_concurrent_increments_are_exact(state: LiveState) -> None:
    def work() -> None:
        for _ in range(100):
            state.incr("n")

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state.get("n") == "2000"


def test_redis_keys_live_under_the_prefix(redis_server: str) -> None:  # noqa: F811
    redis.Redis.from_url(redis_server).flushdb()
    one, other = RedisState(redis_server), RedisState(redis_server, prefix="other:")
    one.incr("calls")
    one.hset("calls:active", "1.1", "x")
    assert other.get("calls") is None and other.hgetall("calls:active") == {}
    raw = redis.Redis.from_url(redis_server, decode_responses=True)
    assert sorted(raw.keys("*")) == ["ivr:calls", "ivr:calls:active"]
    raw.close()
    one.close()
    other.close()


def test_memory_state_sweeps_expired_keys_nobody_reads() -> None:
    state = MemoryState(sweep_every=0.0)
    for caller in range(100):
        state.set(f"pin-tries:{caller}", "1", ttl=0.05)
    time.sleep(0.1)
    state.get("something else")
    assert state._values == {} and state._expiry == {}


def test_make_state_follows_settings(redis_server: str) -> None:  # noqa: F811
    memory = make_state(Settings())
    assert isinstance(memory, MemoryState) and isinstance(memory, LiveState)
    shared = make_state(Settings(redis_url=redis_server))
    assert isinstance(shared, FallbackState) and isinstance(shared, LiveState)
    assert isinstance(shared.primary, RedisState) and shared.on_redis
    shared.set("ping", "pong")
    assert shared.get("ping") == "pong"
    shared.close()


def test_redis_down_then_back_gets_what_this_node_changed(
    stoppable_redis: StoppableRedis,
) -> None:
    state = FallbackState(RedisState(stoppable_redis.url), retry_s=0.2)
    raw = redis.Redis.from_url(stoppable_redis.url, decode_responses=True)
    state.set("kept", "a")
    state.set("gone", "b")
    state.hset("calls", "old", "1")
    state.incr("count", 5)
    stoppable_redis.stop()
    state.set("kept", "z", ttl=60)
    state.delete("gone")
    state.hset("calls", "new", "2")
    state.hdel("calls", "old")
    state.incr("count", 2)
    assert not state.on_redis and state.get("count") == "2"  # this node's count meanwhile
    stoppable_redis.start()
    assert wait_until(lambda: state.on_redis, timeout=10)
    assert raw.get("ivr:kept") == "z" and 0 < raw.pttl("ivr:kept") <= 60_000
    assert raw.get("ivr:gone") is None
    assert raw.hgetall("ivr:calls") == {"new": "2"}
    assert raw.get("ivr:count") == "7"
    assert state.incr("count") == 8  # Redis serves again
    state.close()
