"""Speech turns through the real sockets: VAD endpointing, barge-in, keys and hangups.

The turns here listen with the real webrtcvad and no recognizer (``call.turn`` with
``speech=True``); recognition itself is tested in test_speech_menus.py and test_asr_engines.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivr.simulator.caller import HangUp, Listen, Press, Say, read_wav, speech
from ivr.simulator.simulator import SimulatedCall
from ivr.voice.call import CallerHungUp
from ivr.voice.turn import TurnSpec
from ivr.voice.vad import SpeechDetector, VadSettings
from tests.wire_helpers import agi_server, no_leaks

SOUNDS = Path("/usr/share/asterisk/sounds/en")
TONE = b"\x00\x10\x00\xf0" * 4000  # a loud square wave, 1 s: never silence
LONG_PROMPT = TONE * 6


def run(script: Any, actions: list[Any], **options: Any) -> Any:
    with agi_server({"entry": script}) as server:
        result = SimulatedCall(
            ("127.0.0.1", server.port),
            "19001234",
            actions,
            answer_delay=0.0,
            **options,
            rate=server.media.clock.rate,
        ).run(timeout=60)
    return result


def listening(spec: TurnSpec, seen: dict[str, Any], audio: bytes = LONG_PROMPT) -> Any:
    def script(call: Any) -> None:
        call.answer()
        seen["result"] = call.turn(audio, spec)

    return script


def test_detector_finds_real_speech_and_its_end() -> None:
    pcm = read_wav(SOUNDS / "hello-world.wav")
    detector = SpeechDetector()
    now = 0.0
    for offset in range(0, len(pcm), 480):  # 30 ms packets
        detector.feed(pcm[offset : offset + 480], now)
        now += 0.03
    assert detector.speaking and detector.started_at is not None
    assert detector.last_voiced_at is not None and detector.started_at < detector.last_voiced_at
    assert not detector.ended(detector.last_voiced_at + 0.2)
    assert detector.ended(detector.last_voiced_at + 0.6)
    # the utterance keeps the words: from the pre-roll before the start to the end of the file
    assert 0.5 * len(pcm) < len(detector.utterance) <= len(pcm)


def test_silence_is_not_speech() -> None:
    detector = SpeechDetector()
    for i in range(100):
        detector.feed(bytes(320), i * 0.02)
    assert not detector.speaking and detector.utterance == bytearray()


@pytest.mark.realtime  # the subject: how soon barge-in silences the prompt, in real time
@pytest.mark.parametrize("packet_ms", [20, 30])
def test_caller_speech_stops_the_prompt_and_its_end_ends_the_turn(packet_ms: int) -> None:
    seen: dict[str, Any] = {}
    words = read_wav(SOUNDS / "telephone-number.wav")
    result = run(
        listening(TurnSpec(speech=True, timeout=5), seen),
        [Say(words, delay=1.0, label="telephone number")],
        packet_ms=packet_ms,
    )
    turn = seen["result"]
    assert turn.status == "speech" and turn.interrupted
    session = result.sessions[0]
    # barge-in: the prompt went quiet within one VAD window (120 ms) of the first voiced
    # packet, plus the loop's frame and the socket; never seconds later
    assert session.audio_after_speech is not None and session.audio_after_speech < 0.4
    assert 0.9 < turn.played_ms / 1000 < 2.0  # of a 6 s prompt
    # the utterance holds the speech (from its pre-roll on), not the whole turn
    assert 0.6 * len(words) < len(turn.utterance) <= len(words) + 3200


def test_without_barge_in_the_prompt_plays_out_and_speech_over_it_is_ignored() -> None:
    seen: dict[str, Any] = {}
    run(
        listening(TurnSpec(speech=True, timeout=1, barge_in=False), seen, TONE * 2),
        [Say(speech("hello there"), delay=0.3)],
    )
    turn = seen["result"]
    assert turn.status == "timeout" and not turn.interrupted
    assert turn.played_ms == 2000 and turn.utterance == b""


def test_a_key_during_a_speech_turn_ends_it_with_the_digit() -> None:
    seen: dict[str, Any] = {}
    run(listening(TurnSpec(speech=True, max_digits=1, timeout=5), seen), [Press("7", delay=0.5)])
    turn = seen["result"]
    assert (turn.status, turn.digits, turn.interrupted) == ("digits", "7", True)


@pytest.mark.realtime  # the subject: Asterisk's 2 s inactivity timer, a real-time one
def test_no_speech_is_a_timeout_and_silence_keeps_the_session_alive() -> None:
    seen: dict[str, Any] = {}
    result = run(listening(TurnSpec(speech=True, timeout=3), seen, TONE), [Listen()])
    assert seen["result"].status == "timeout"
    # 1 s of prompt, then 3 s of listening with no frame from the caller: our silence frames
    # kept Asterisk's 2 s inactivity timer from firing
    assert not [e for e in result.kinds("error")]
    assert result.played_seconds >= 3.0


def test_long_speech_is_cut_at_max_speech() -> None:
    seen: dict[str, Any] = {}
    talk = read_wav(SOUNDS / "vm-intro.wav") * 2
    run(listening(TurnSpec(speech=True, max_speech=1.5), seen, TONE), [Say(talk, delay=0.2)])
    turn = seen["result"]
    assert turn.status == "speech"
    assert len(turn.utterance) < len(talk) / 2


def test_caller_hangs_up_while_speaking() -> None:
    seen: dict[str, Any] = {}

    def script(call: Any) -> None:
        call.answer()
        try:
            call.turn(LONG_PROMPT, TurnSpec(speech=True))
        except CallerHungUp:
            seen["hung_up"] = True
            call.verbose("cleanup after hangup")

    with no_leaks():
        result = run(
            script,
            [Say(read_wav(SOUNDS / "vm-intro.wav"), delay=0.5), HangUp(1.2, when="speaking")],
        )
    assert seen == {"hung_up": True} and result.hung_up_by_caller


@pytest.mark.parametrize("complete", [True, False])
def test_a_complete_answer_ends_the_turn_after_a_short_silence(complete: bool) -> None:
    seen: dict[str, Any] = {}
    words = read_wav(SOUNDS / "hello-world.wav")
    spec = TurnSpec(speech=True, vad=VadSettings(end_silence=4.0), early_end_silence=0.2)

    def script(call: Any) -> None:
        call.answer()
        seen["result"] = call.turn(TONE, spec, on_speech=lambda pcm: complete)

    result = run(script, [Say(words, delay=0.3)])
    assert seen["result"].status == "speech"
    # the IVR sends a frame every 20 ms while the session lasts (prompt, then silence)
    after_speech = len(result.sessions[0].played) / 16000 - 0.3 - len(words) / 16000
    if complete:  # the recognizer said the answer was whole: 0.2 s of silence ended it
        assert after_speech < 2.0, after_speech
    else:  # no: the VAD's 4 s of silence did
        assert after_speech > 3.5, after_speech
