"""The sample health-insurance flow, walked by DTMF through the real sockets in each language."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ivr.flow.loader import load_flow
from ivr.flow.model import (
    HoursNode,
    LanguageNode,
    MenuNode,
    PromptNode,
    QueueNode,
    ScriptNode,
)
from ivr.simulator.caller import HangUp, Listen, Press
from ivr.simulator.simulator import CallResult, SimulatedCall
from tests.conftest import CLOSED, OPEN, SAMPLE_FLOWS
from tests.wire_helpers import wait_until

FLOW = load_flow(SAMPLE_FLOWS / "health_hotline.yaml")
NUMBER = FLOW.numbers[0]
LANGUAGE = FLOW.node(FLOW.start)
assert isinstance(LANGUAGE, LanguageNode)
MAIN = FLOW.node(LANGUAGE.next)
assert isinstance(MAIN, MenuNode)
POLICY = FLOW.node(MAIN.options["1"])
assert isinstance(POLICY, MenuNode)
HOURS = FLOW.node(MAIN.options["3"])
assert isinstance(HOURS, HoursNode)
QUEUE = FLOW.node(HOURS.if_open)
assert isinstance(QUEUE, QueueNode)
KEY_OF = {lang: key for key, lang in LANGUAGE.options.items()}
INFO_KEYS = sorted(
    k for k, target in POLICY.options.items() if isinstance(FLOW.node(target), PromptNode)
)


def dial(ivr: Any, actions: list[Any], **options: Any) -> CallResult:
    return SimulatedCall(
        ("127.0.0.1", ivr.agi.port), NUMBER, actions, rate=ivr.media.clock.rate, **options
    ).run(timeout=120)


def said(result: CallResult) -> list[str]:
    return [t[len('ivr: say "') : -1] for t in result.kinds("ivr") if t.startswith("ivr: say")]


def in_parallel(*calls: Any) -> list[CallResult]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda f: f(), calls))


def test_sample_flow_shape() -> None:
    assert set(FLOW.languages) == {"vi", "zh", "en"}
    assert MAIN.options["2"] == "balance"
    assert len(INFO_KEYS) >= 3 and POLICY.options.get("9") == MAIN.id


def test_every_branch_in_every_language_by_dtmf(make_ivr: Any) -> None:
    ivr = make_ivr(clock=OPEN)

    def walk(lang: str) -> Any:
        def run() -> CallResult:
            keys = [Press(KEY_OF[lang]), Press("1")]
            for key in INFO_KEYS:  # each info prompt plays fully, then the policy menu again
                keys += [Press(key), Listen()]
            keys += [Press("9"), Press("3")]
            return dial(ivr, keys)

        return run

    results = dict(
        zip(
            ["vi", "zh", "en"],
            in_parallel(*(walk(lang) for lang in ["vi", "zh", "en"])),
            strict=True,
        )
    )
    for lang, result in results.items():
        info_nodes = [POLICY.options[k] for k in INFO_KEYS]
        expected = [LANGUAGE.id, MAIN.id, POLICY.id]
        for node in info_nodes:
            expected += [node, POLICY.id]
        expected += [MAIN.id, HOURS.id, QUEUE.id]
        assert result.route == expected, (lang, result.transcript())
        assert any(f"Queue({QUEUE.queue}," in t for t in result.kinds("dialplan"))
        spoken = said(result)
        assert MAIN.prompt[lang] in spoken
        for node in info_nodes:
            info = FLOW.node(node)
            assert isinstance(info, PromptNode) and info.prompt[lang] in spoken
        other = [x for x in FLOW.languages if x != lang]
        assert not any(MAIN.prompt[x] in spoken for x in other)
        assert result.played_seconds > 3


def _to_the_ai_agent_then_callback(lang: str) -> list[Any]:
    """Keys of a caller who reaches the AI agent and asks for a call back (key 3). English
    has a recognizer: the agent listens at once; vi/zh have none here: the agent says so,
    then offers a message or a call back by keys."""
    if lang == "en":
        return [Press("3")]
    return [Listen(), Press("3")]


def test_closed_and_overflow_routes_reach_the_ai_agent(make_ivr: Any) -> None:
    open_ivr, closed_ivr = make_ivr(clock=OPEN), make_ivr(clock=CLOSED)
    ai_node = FLOW.node(QUEUE.on_overflow)
    assert isinstance(ai_node, ScriptNode) and ai_node.script == "ai_agent"
    calls = []
    for lang in ["vi", "zh", "en"]:
        keys = [Press(KEY_OF[lang]), Press("3")]
        then = _to_the_ai_agent_then_callback(lang)
        after_hours = [*keys, Listen(), *then]  # hear the opening hours out
        calls.append(lambda k=after_hours: dial(closed_ivr, k))
        calls.append(lambda k=keys + then: dial(open_ivr, k, queue_outcomes=["TIMEOUT"]))
        calls.append(lambda k=keys + then: dial(open_ivr, k, queue_outcomes=["JOINEMPTY"]))
    results = in_parallel(*calls)
    for i, lang in enumerate(["vi", "zh", "en"]):
        closed, timeout, joinempty = results[3 * i : 3 * i + 3]
        closed_node = FLOW.node(HOURS.if_closed)
        assert closed.route[:5] == [LANGUAGE.id, MAIN.id, HOURS.id, closed_node.id, ai_node.id]
        assert isinstance(closed_node, PromptNode) and closed_node.prompt[lang] in said(closed)
        assert "ivr: script ai_agent ended: callback" in closed.kinds("ivr"), closed.transcript()
        for result, status in [(timeout, "TIMEOUT"), (joinempty, "JOINEMPTY")]:
            assert result.route[:5] == [LANGUAGE.id, MAIN.id, HOURS.id, QUEUE.id, ai_node.id]
            assert len(result.agi_status) == 2  # re-entered after Queue()
            assert f"queue {QUEUE.queue} returned {status}" in " ".join(result.kinds("ivr"))
            assert "ivr: script ai_agent ended: callback" in result.kinds("ivr"), (
                result.transcript()
            )
    booked = open_ivr.services.callbacks.pending() + closed_ivr.services.callbacks.pending()
    assert len(booked) == 2  # one per number per day on each IVR, however often asked


def test_invalid_keys_and_silence_use_retries_then_failure_route(make_ivr: Any) -> None:
    ivr = make_ivr()
    wrong = [k for k in "0123456789*#" if k not in MAIN.options][0]
    tries = MAIN.retries + 1
    actions: list[Any] = [Press(KEY_OF["en"])] + [Press(wrong)] * tries
    result = dial(ivr, actions)
    assert result.route[:2] == [LANGUAGE.id, MAIN.id]
    assert result.route[2] == MAIN.on_failure
    spoken = said(result)
    assert spoken.count(MAIN.prompt["en"]) == tries
    assert MAIN.invalid_prompt is None or MAIN.invalid_prompt["en"] in spoken


SMALL_FLOW = """
flow: tiny
numbers: ["555"]
languages: [vi, en]
default_language: vi
timezone: Asia/Ho_Chi_Minh
start: pick
nodes:
  pick:
    type: language
    prompt: {vi: "Nhấn một.", en: "Press two."}
    options: {"1": vi, "2": en}
    timeout: 1
    retries: 1
    next: bye
  bye:
    type: hangup
    prompt: {vi: "Tạm biệt.", en: "Goodbye."}
"""


def test_no_language_choice_falls_back_to_the_default(make_ivr: Any, tmp_path: Any) -> None:
    (tmp_path / "tiny.yaml").write_text(SMALL_FLOW, encoding="utf-8")
    ivr = make_ivr(dialplans=tmp_path)
    result = SimulatedCall(("127.0.0.1", ivr.agi.port), "555", [], rate=ivr.media.clock.rate).run(
        timeout=60
    )
    assert result.route == ["pick", "bye"]
    spoken = said(result)
    assert spoken.count("Press two.") == 2  # asked twice (1 + 1 retry)
    assert spoken[-1] == "Tạm biệt."  # then the default language, vi
    assert "ivr: language vi" in result.kinds("ivr")


def test_caller_hangup_mid_flow_is_recorded(make_ivr: Any) -> None:
    ivr = make_ivr()
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        [Press(KEY_OF["zh"]), HangUp(delay=0.5)],
        rate=ivr.media.clock.rate,
    )
    result = call.run(timeout=60)
    assert result.agi_status == ["HANGUP"]
    record = ivr.services.records.get(call.uniqueid)
    assert record is not None
    assert record["outcome"] == "caller-hangup"
    assert record["language"] == "zh"
    assert record["path"] == [LANGUAGE.id, MAIN.id]
    assert record["caller"] == "0901234567"


# 200 calls at once is the load of 200 real-time calls; sped up, it would be 10 times that.
# A load test: CI runs it in a process of its own (nothing left by other tests shares its cores)
@pytest.mark.realtime
@pytest.mark.load
def test_two_hundred_concurrent_calls_through_the_flow(make_ivr: Any) -> None:
    ivr = make_ivr(clock=OPEN)
    lang_for = ["vi", "zh", "en"]

    def one(i: int) -> tuple[str, CallResult]:
        lang = lang_for[i % 3]
        # half go to the agent queue, half hear the policy menu and leave it
        keys = (
            [Press(KEY_OF[lang]), Press("3")]
            if i % 2
            else [Press(KEY_OF[lang]), Press("1"), HangUp(delay=0.5)]
        )
        return lang, dial(ivr, keys)

    with ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(one, range(200)))
    for i, (lang, result) in enumerate(results):
        if i % 2:
            assert result.route == [LANGUAGE.id, MAIN.id, HOURS.id, QUEUE.id], result.transcript()
        else:
            assert result.route == [LANGUAGE.id, MAIN.id, POLICY.id], result.transcript()
        assert MAIN.prompt[lang] in said(result)
        assert not result.kinds("error"), result.transcript()
    assert wait_until(lambda: ivr.agi.active_calls == 0)


BROKEN_FLOW = """
flow: broken
numbers: ["666"]
languages: [en]
default_language: en
timezone: UTC
start: hello
nodes:
  hello:
    type: prompt
    prompt: {en: "Hello."}
    next: explode
  explode:
    type: script
    script: test_explode
"""


def test_a_failing_step_ends_with_a_spoken_apology(make_ivr: Any, tmp_path: Any) -> None:
    from ivr.agi.registry import register
    from ivr.voice.texts import BUILT_IN

    def explode(call: Any) -> None:
        raise RuntimeError("a bug in a script")

    register("test_explode", explode)
    (tmp_path / "broken.yaml").write_text(BROKEN_FLOW, encoding="utf-8")
    ivr = make_ivr(dialplans=tmp_path)
    call = SimulatedCall(("127.0.0.1", ivr.agi.port), "666", [Listen()], rate=ivr.media.clock.rate)
    result = call.run(timeout=60)
    assert said(result) == ["Hello.", BUILT_IN["apology"]["en"]]
    assert result.played_seconds > 2
    assert "the IVR hung up" in result.kinds("dialplan")
    record = ivr.services.records.get(call.uniqueid)
    assert record["outcome"] == "error" and record["path"] == ["hello", "explode"]
