"""Call time: the media clock, its setting, and a simulated call faster than real time."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ivr.core.media_clock import MediaClock
from ivr.core.settings import Settings
from ivr.simulator.caller import Listen, Press, Say, read_wav
from ivr.simulator.simulator import SimulatedCall
from ivr.voice.turn import TurnSpec
from tests.wire_helpers import agi_server

SOUNDS = Path("/usr/share/asterisk/sounds/en")


def test_call_time_is_real_time_times_the_rate() -> None:
    clock = MediaClock(10)
    started, real = clock.monotonic(), time.monotonic()
    clock.sleep(1.0)  # one second of call time
    assert 0.09 <= time.monotonic() - real < 0.5
    assert 1.0 <= clock.monotonic() - started < 5.0
    assert clock.real(2.0) == pytest.approx(0.2)
    assert MediaClock().rate == 1.0


@pytest.mark.parametrize("value", ["0", "0.5", "101", "fast", ""])
def test_a_bad_media_rate_names_the_variable(value: str) -> None:
    with pytest.raises(ValueError, match="IVR_MEDIA_RATE"):
        Settings.from_env({"IVR_MEDIA_RATE": value})


def test_the_media_rate_is_1_unless_set() -> None:
    assert Settings.from_env({}).media_rate == 1.0
    assert Settings.from_env({"IVR_MEDIA_RATE": "10"}).media_rate == 10.0


def test_both_sides_agree_on_call_time_at_rate_10() -> None:
    """A 1.4 s prompt, a 2 s no-input timeout and a key 0.5 s into a GET DATA: the transcript
    and the script see call time, while the wall clock sees a tenth of it."""
    got: dict[str, Any] = {}

    def entry(call: Any) -> None:
        call.answer()
        call.stream_file("hello-world", "")
        got["timeout"] = call.turn(b"", TurnSpec(max_digits=1, timeout=2.0))
        got["data"] = call.get_data("beep", 3000, 1)

    with agi_server({"entry": entry}, rate=10.0) as server:
        started = time.monotonic()
        result = SimulatedCall(
            ("127.0.0.1", server.port),
            "1900",
            [Listen(), Listen(), Press("4", delay=0.5)],  # the key: in the GET DATA
            rate=10.0,
        ).run(timeout=30)
        wall = time.monotonic() - started
    assert got["timeout"].status == "timeout" and got["data"].digits == "4"
    # answer 0.5 + prompt 1.4 + no input 2.0 + beep 0.4 + key 0.5: about 4.8 s of call time
    ended = result.events[-1].at
    assert 4.5 < ended < 7.0, result.transcript(detail=True)
    # the turn's silence frames are paced in call time too: 2 s of them
    assert 1.9 <= result.played_seconds <= 2.5
    assert wall < ended / 2


@pytest.mark.realtime  # the stall is in real seconds; the caller's speech in call time
def test_a_stalled_turn_hears_the_waiting_audio_before_the_silence_timer_decides() -> None:
    """The turn's thread is held up (a slow recognizer) while the caller goes on talking: the
    speech waiting in the socket is heard before the VAD's end-of-speech timer may end the turn,
    so our own stall is not taken for the caller's silence."""
    seen: dict[str, Any] = {}
    words = read_wav(SOUNDS / "telephone-number.wav")
    stalls = [0.8]  # the first piece of speech holds the thread longer than end_silence (0.5)

    def on_speech(pcm: bytes) -> None:
        if stalls:
            time.sleep(stalls.pop())

    def entry(call: Any) -> None:
        call.answer()
        seen["turn"] = call.turn(b"", TurnSpec(speech=True, timeout=5), on_speech=on_speech)

    with agi_server({"entry": entry}) as server:
        SimulatedCall(
            ("127.0.0.1", server.port),
            "1900",
            [Say(words, delay=0.3)],
            answer_delay=0.0,
            rate=server.media.clock.rate,
        ).run(timeout=30)
    turn = seen["turn"]
    assert turn.status == "speech"
    assert len(turn.utterance) > 0.6 * len(words)  # not only the piece before the stall
