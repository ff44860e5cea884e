"""Calls leave the same live state whether it is held in-process or in a real Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ivr.core.live_state import ACTIVE_CALLS
from ivr.simulator.caller import HangUp, Press
from ivr.simulator.simulator import SimulatedCall
from tests.conftest import CLOSED
from tests.test_sample_flow import FLOW, KEY_OF, NUMBER

SCRIPTS = [
    [Press(KEY_OF["vi"]), Press("3")],  # closed: hangs up after the closed message
    [Press(KEY_OF["en"]), Press("3")],
    [Press(KEY_OF["zh"]), HangUp(delay=0.4)],  # caller leaves in the main menu
    [Press(KEY_OF["en"]), Press("1"), Press("9"), HangUp(delay=0.3)],
]


def _counters(state: Any) -> dict[str, str | None]:
    keys = [f"flow:{FLOW.id}:new"]
    keys += [f"flow:{FLOW.id}:node:{node}" for node in FLOW.nodes]
    keys += [f"flow:{FLOW.id}:outcome:{o}" for o in ("hangup", "caller-hangup", "queue", "error")]
    return {key: state.get(key) for key in keys}


def _run_calls(ivr: Any) -> dict[str, str | None]:
    def one(actions: list[Any]) -> None:
        SimulatedCall(
            ("127.0.0.1", ivr.agi.port), NUMBER, list(actions), rate=ivr.media.clock.rate
        ).run(timeout=60)

    with ThreadPoolExecutor(max_workers=len(SCRIPTS)) as pool:
        list(pool.map(one, SCRIPTS))
    assert ivr.services.state.hgetall(ACTIVE_CALLS) == {}  # every call was taken off
    return _counters(ivr.services.state)


def test_redis_and_in_process_state_agree(make_ivr: Any, redis_server: str) -> None:
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    memory = _run_calls(make_ivr(clock=CLOSED))
    shared = _run_calls(make_ivr(clock=CLOSED, redis_url=redis_server))
    assert memory == shared
    assert memory[f"flow:{FLOW.id}:new"] == "4"
    assert memory[f"flow:{FLOW.id}:outcome:caller-hangup"] == "2"
    assert memory[f"flow:{FLOW.id}:outcome:hangup"] == "2"


def test_calls_go_on_when_redis_is_down(make_ivr: Any, caplog: Any) -> None:
    ivr = make_ivr(clock=CLOSED, redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    result = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        [Press(KEY_OF["en"]), HangUp(delay=0.3)],
        rate=ivr.media.clock.rate,
    ).run(timeout=60)
    assert result.route == [FLOW.start, FLOW.node(FLOW.start).next]  # type: ignore[union-attr]
    down = [r for r in caplog.records if "Redis does not answer" in r.getMessage()]
    assert len(down) == 1  # one warning, then the node's own memory
    assert not any("0901234567" in r.getMessage() for r in caplog.records)
