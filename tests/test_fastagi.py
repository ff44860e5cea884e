"""The FastAGI server and the call API, driven through the real socket by the simulator."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ivr.simulator.caller import HangUp, Press, PressBetween
from ivr.simulator.simulator import SimulatedCall
from ivr.voice.call import (
    CallerHungUp,
    CommandFailed,
    InvalidCommand,
    UnknownApplication,
    UsageError,
)
from ivr.voice.turn import TurnSpec
from ivr.wire.audiosocket import silence
from tests.wire_helpers import agi_server, no_leaks, wait_until

PROMPT = silence(1500)  # 1.5 s of audio played in media turns


def call(server: Any, actions: list[Any] | None = None, **options: Any) -> Any:
    return SimulatedCall(
        ("127.0.0.1", server.port),
        "19001234",
        actions or [],
        answer_delay=0.0,
        **options,
        rate=server.media.clock.rate,
    ).run(timeout=30)


def test_header_values_and_arguments_reach_the_script() -> None:
    seen: dict[str, Any] = {}

    def entry(c: Any) -> None:
        seen.update(
            script=c.env.script,
            args=c.env.args,
            callerid=c.env.callerid,
            channel=c.env.channel,
            rdnis=c.env.get("agi_rdnis"),
            accountcode=c.env.get("agi_accountcode", "absent"),
        )

    with agi_server({"entry": entry}) as server:
        result = call(server)
    assert seen == {
        "script": "entry",
        "args": ("19001234",),
        "callerid": "0901234567",
        "channel": seen["channel"],
        "rdnis": "unknown",
        "accountcode": "",
    }
    assert seen["channel"].startswith("PJSIP/trunk-")
    assert result.agi_status == ["SUCCESS"]


def test_header_split_over_many_reads_with_query_and_empty_argument() -> None:
    seen: dict[str, Any] = {}
    done = []

    def balance(c: Any) -> None:
        seen.update(script=c.env.script, query=c.env.query, args=c.env.args)
        c.verbose("hi there", 1)
        done.append(True)

    header = (
        b"agi_network: yes\nagi_network_script: balance?lang=vi&x=1\n"
        b"agi_request: agi://127.0.0.1:4573/balance?lang=vi&x=1\nagi_channel: PJSIP/t-1\n"
        b"agi_uniqueid: 1.1\nagi_accountcode: \nagi_arg_1: a b: c\nagi_arg_2: \n"
        b"agi_arg_3: last\n\n"
    )
    with agi_server({"balance": balance}) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            for i in range(0, len(header), 7):  # 7-byte TCP segments, split mid-line
                sock.sendall(header[i : i + 7])
                time.sleep(0.005)
            line = sock.makefile("rb").readline()
            assert line == b'VERBOSE "hi there" 1\n'
            sock.sendall(b"200 result=1\n")
            assert wait_until(lambda: bool(done))
    assert seen == {
        "script": "balance",
        "query": {"lang": "vi", "x": "1"},
        "args": ("a b: c", "", "last"),
    }


@pytest.mark.parametrize(
    "header",
    [
        b"this is not agi\n\n",
        b"agi_channel: PJSIP/x\n\n",  # no agi_request
        b"\x00\xff\xfe garbage\n\n",
    ],
)
def test_malformed_header_closes_the_connection_and_server_keeps_serving(header: bytes) -> None:
    ran = []
    with agi_server({"entry": lambda c: ran.append(c.env.script)}) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(header)
            assert sock.recv(100) == b""  # closed without a command
        assert ran == []
        assert call(server).agi_status == ["SUCCESS"]
        assert ran == ["entry"]


def test_unknown_script_tells_asterisk_and_server_stays_up() -> None:
    with agi_server({"entry": lambda c: None}) as server:
        result = SimulatedCall(
            ("127.0.0.1", server.port), "1900", answer_delay=0.0, rate=server.media.clock.rate
        )
        result._agi("nosuchscript", [], time.monotonic() + 10)
        channel = result.channel
        assert channel.variables["IVR_ERROR"] == "unknown-script:nosuchscript"
        assert any(
            "unknown AGI script 'nosuchscript'" in e.text for e in channel.events if e.kind == "ivr"
        )
        assert call(server).agi_status == ["SUCCESS"]


def test_error_replies_become_typed_exceptions() -> None:
    outcome: dict[str, Any] = {}

    def entry(c: Any) -> None:
        c.answer()
        for name, attempt in [
            ("510", lambda: c.execute("FROB NICATE")),
            ("520", lambda: c.execute("STREAM FILE")),
            ("-1", lambda: c.stream_file("no-such-sound-file")),
            ("-2", lambda: c.exec("NoSuchApplication", "x")),
        ]:
            try:
                attempt()
            except (InvalidCommand, UsageError, CommandFailed, UnknownApplication) as exc:
                outcome[name] = exc
        outcome["still-up"] = c.channel_status()

    with agi_server({"entry": entry}) as server:
        call(server)
    assert isinstance(outcome["510"], InvalidCommand)
    assert isinstance(outcome["520"], UsageError)
    assert "Usage: STREAM FILE <filename> <escape digits>" in outcome["520"].usage
    assert isinstance(outcome["-1"], CommandFailed)
    assert isinstance(outcome["-2"], UnknownApplication)
    assert outcome["still-up"] == 6


def test_dtmf_commands_and_variables() -> None:
    got: dict[str, Any] = {}

    def entry(c: Any) -> None:
        c.answer()
        got["data"] = c.get_data("beep", 3000, 4)
        got["wait"] = c.wait_for_digit(2000)
        got["timeout"] = c.get_data("beep", 300, 4)
        got["escape"] = c.stream_file("demo-congrats", "5#")
        c.set_variable("GREETING", 'he said "hi" \\ ok')
        got["var"] = c.get_variable("GREETING")
        got["full"] = c.get_full_variable("${GREETING} and ${CALLERID(num)}")
        got["unset"] = c.get_variable("NEVER_SET")

    with agi_server({"entry": entry}) as server:
        # the third key waits 1 s into its phase: longer than the short GET DATA waits
        result = call(server, [Press("1234"), Press("*"), Press("5", delay=1.0)])
    assert got["data"].digits == "1234" and not got["data"].timed_out
    assert got["wait"] == "*"
    assert got["timeout"].digits == "" and got["timeout"].timed_out
    assert got["escape"].digit == "5" and 8000 <= got["escape"].endpos < 16000
    assert got["var"] == 'he said "hi" \\ ok'
    assert got["full"] == 'he said "hi" \\ ok and 0901234567'
    assert got["unset"] is None
    assert "pressed 5" in result.kinds("caller")


def test_dtmf_pressed_between_commands_is_lost() -> None:
    got: dict[str, Any] = {}

    def entry(c: Any) -> None:
        c.answer()
        got["first"] = c.get_data("beep", 2000, 1)
        got["second"] = c.get_data("beep", 500, 1)

    with agi_server({"entry": entry}) as server:
        result = call(server, [Press("1"), PressBetween("7")])
    assert got["first"].digits == "1"
    assert got["second"].digits == "" and got["second"].timed_out
    assert any("key 7" in text for text in result.kinds("lost"))


class Recorder:
    """A script that plays, waits and records how it ended, including its cleanup."""

    def __init__(self, start_at: str = "prompt") -> None:
        self.start_at = start_at
        self.steps: list[str] = []
        self.cleanup: dict[str, Any] = {}

    def __call__(self, c: Any) -> None:
        c.answer()
        steps = {
            "prompt": lambda: c.stream_file("demo-congrats", ""),  # 30 s, no escape digits
            "menu": lambda: c.wait_for_digit(5000),
            "turn": lambda: c.turn(PROMPT, TurnSpec(max_digits=1, timeout=3)),
        }
        names = list(steps)[list(steps).index(self.start_at) :]
        try:
            for name in names:
                self.steps.append(name)
                steps[name]()
            self.steps.append("done")
        except CallerHungUp:
            self.steps.append("hangup")
            # Dead-channel-safe cleanup still works; media commands get 511.
            self.cleanup["var"] = c.get_variable("CALLERID(num)")
            c.set_variable("IVR_CLEANUP", "yes")
            try:
                c.stream_file("beep", "")
            except CallerHungUp:
                self.cleanup["511"] = True
            raise


@pytest.mark.parametrize("when", ["prompt", "menu", "turn"])
def test_caller_hangup_stops_the_script_without_leaks(when: str) -> None:
    recorder = Recorder(start_at=when)
    with agi_server({"entry": recorder}) as server:
        with no_leaks():
            result = call(server, [HangUp(delay=0.3)])
            assert wait_until(lambda: server.active_calls == 0)
        # the server keeps serving
        assert call(server, [Press("1")] * 3).agi_status == ["SUCCESS"]
    assert recorder.steps[:2] == [when, "hangup"]
    assert recorder.cleanup == {"var": "0901234567", "511": True}
    assert result.variables["IVR_CLEANUP"] == "yes"
    assert result.agi_status == ["HANGUP"]
    assert result.hung_up_by_caller


def test_hangup_line_between_command_and_reply() -> None:
    seen: dict[str, Any] = {}

    def entry(c: Any) -> None:
        try:
            c.answer()  # Asterisk sends HANGUP, then 511 for the ANSWER
        except CallerHungUp:
            seen["hung_up"] = c.hung_up
            seen["var"] = c.get_variable("CALLERID(num)")  # still answered on a dead channel
            raise

    with agi_server({"entry": entry}) as server:
        result = call(server, [HangUp(when="before-reply")])
    assert seen == {"hung_up": True, "var": "0901234567"}
    replies = result.kinds("reply")
    assert replies[:2] == [
        "HANGUP",
        "511 Command Not Permitted on a dead channel or intercept routine",
    ]


def test_hangup_while_no_command_runs() -> None:
    steps: list[str] = []

    def entry(c: Any) -> None:
        c.answer()
        time.sleep(0.2)  # the HANGUP line arrives on its own meanwhile
        try:
            c.stream_file("beep", "")
        except CallerHungUp:
            steps.append("noticed")

    with agi_server({"entry": entry}) as server:
        result = call(server, [HangUp(when="between")])
    assert steps == ["noticed"]
    assert "HANGUP" in result.kinds("reply")


def test_script_hangup_then_server_closes() -> None:
    def entry(c: Any) -> None:
        c.answer()
        c.hangup()
        c.verbose("after hangup", 1)  # allowed on a dead channel

    with agi_server({"entry": entry}) as server:
        result = call(server)
    assert result.kinds("ivr") == ["after hangup"]
    assert result.agi_status == ["HANGUP"]


def test_script_exception_does_not_take_the_server_down() -> None:
    def entry(c: Any) -> None:
        raise RuntimeError("bug in a script")

    with agi_server({"entry": entry}) as server:
        with no_leaks():
            assert call(server).agi_status == ["SUCCESS"]
            assert wait_until(lambda: server.active_calls == 0)
        assert call(server).agi_status == ["SUCCESS"]


# 200 calls at once is the load of 200 real-time calls; sped up, it would be 10 times that
@pytest.mark.realtime
def test_many_concurrent_calls_complete_correctly() -> None:
    got: dict[str, str] = {}

    def entry(c: Any) -> None:
        c.answer()
        result = c.turn(silence(400), TurnSpec(max_digits=3, timeout=3))
        got[c.id] = result.digits
        c.set_variable("ECHO", result.digits)

    def one(i: int) -> tuple[str, str]:
        digits = f"{i % 1000:03d}"
        result = call(server, [Press(digits, delay=0.1, gap=0.05)])
        return digits, result.variables.get("ECHO", "")

    with agi_server({"entry": entry}) as server:
        with no_leaks(settle=10):
            with ThreadPoolExecutor(max_workers=200) as pool:
                pairs = list(pool.map(one, range(200)))
            assert wait_until(lambda: server.active_calls == 0, 10)
    assert len(pairs) == 200
    assert all(sent == echoed for sent, echoed in pairs), [p for p in pairs if p[0] != p[1]][:5]
    assert len(got) == 200
