"""Prompt audio latency: how long until the first audio of a prompt is ready.

Per engine and language, over a few dozen dynamic texts (amounts, dates):

* cold     the first synthesis of the run (a pyttsx3 worker or the Piper model starting)
* memory   ``audio()`` of a prompt in the memory cache
* disk     ``audio()`` of a prompt only on disk (a fresh cache over the same folder)
* audio    ``audio()`` of a new text: the whole text synthesized
* stream   ``stream()`` of a new text: until its first bytes can be read (the first clause)
* 8 thr    ``audio()`` of new texts from 8 threads at once: latency, and ms per text overall

Then the choice made in ivr/tts/pyttsx3_voice.py: pyttsx3 in worker processes against one
engine in this process behind a lock, both synthesizing from 8 threads at once.

Prints p50/p95 in milliseconds; no asserts, not part of the test run.

    python bench/tts.py [--texts 30] [--engines pyttsx3,espeak-ng,piper] [--skip-lock]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.tts.cache import PromptCache  # noqa: E402
from ivr.tts.espeak import SynthesisError, to_slin  # noqa: E402
from ivr.tts.pyttsx3_voice import VOICES, Pyttsx3Voice, _Speaker  # noqa: E402
from ivr.tts.voices import make_voice  # noqa: E402

TEMPLATES = {
    "vi": "Số dư tài khoản của quý khách là {n} nghìn đồng, cập nhật lúc {h} giờ ngày {d} "
    "tháng {m}. Cảm ơn quý khách đã gọi tổng đài.",
    "zh": "您的账户余额为{n}元，更新时间为{m}月{d}日{h}点。感谢您的来电。",
    "en": "Your account balance is {n} thousand dong, updated at {h} o'clock on {m}/{d}. "
    "Thank you for calling.",
}


def texts(language: str, count: int, tag: str) -> list[str]:
    return [
        f"{tag} " + TEMPLATES[language].format(n=137 * i + 11, h=i % 24, d=i % 28 + 1, m=i % 12 + 1)
        for i in range(count)
    ]


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def first_bytes(cache: PromptCache, text: str, language: str) -> float:
    started = time.perf_counter()
    stream = cache.stream(text, language)
    while not stream.read(320):
        if stream.finished:
            raise SynthesisError("stream ended with no audio")
        time.sleep(0.0005)
    elapsed = (time.perf_counter() - started) * 1000
    while not stream.finished:  # let it finish, so the next text has the voice to itself
        stream.read(1 << 20)
        time.sleep(0.001)
    return elapsed


def p50_p95(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):7.2f} {p95:7.2f}"


def bench(engine: str, language: str, count: int, folder: Path) -> None:
    cache = PromptCache(folder, {language: engine})
    cold = timed(lambda: cache.audio(f"{engine} {language} warm up", language))
    whole = texts(language, count, "a")
    audio = [timed(lambda t=t: cache.audio(t, language)) for t in whole]
    stream = [first_bytes(cache, t, language) for t in texts(language, count, "s")]
    memory = [timed(lambda t=t: cache.audio(t, language)) for t in whole]
    fresh = PromptCache(folder, {language: engine})
    disk = [timed(lambda t=t: fresh.audio(t, language)) for t in whole]
    parallel = texts(language, count, "p")
    with ThreadPoolExecutor(8) as pool:
        started = time.perf_counter()
        loaded = list(pool.map(lambda t: timed(lambda: cache.audio(t, language)), parallel))
        per_text = (time.perf_counter() - started) * 1000 / len(parallel)
    row = [p50_p95(v) for v in (memory, disk, audio, stream, loaded)]
    print(f"{engine:9} {language:3} {cold:7.0f} " + " ".join(row) + f" {per_text:7.1f}")


class LockedPyttsx3:
    """The alternative not taken: the worker's engine in this process, behind one lock."""

    def __init__(self) -> None:
        self.speaker = _Speaker()
        self.lock = threading.Lock()

    def synthesize(self, language: str, text: str) -> bytes:
        fd, wav = tempfile.mkstemp(suffix=".wav")
        os.close(fd)
        try:
            request = {"voice": VOICES[language], "rate": 160, "text": text, "path": wav}
            with self.lock, contextlib.redirect_stdout(io.StringIO()):
                self.speaker.save(request)
            return to_slin(Path(wav).read_bytes(), "wav")
        finally:
            os.unlink(wav)


def compare_lock(count: int) -> None:
    locked = LockedPyttsx3()
    workers = {language: Pyttsx3Voice(language) for language in TEMPLATES}
    ways: dict[str, Callable[[str, str], bytes]] = {
        "lock, 1 engine": locked.synthesize,
        "2 workers": lambda language, text: workers[language].synthesize(text),
    }
    jobs = [(lang, t) for lang in TEMPLATES for t in texts(lang, count, "c")]
    print(f"\npyttsx3, {len(jobs)} texts of 3 languages from 8 threads; ms p50, p95, ms/text")
    for name, synthesize in ways.items():
        sequential, loaded, per_text = under_load(synthesize, jobs)
        print(
            f"{name:15} one at a time {p50_p95(sequential)}   "
            f"8 threads {p50_p95(loaded)} {per_text:7.1f}"
        )


def under_load(
    synthesize: Callable[[str, str], bytes], jobs: list[tuple[str, str]]
) -> tuple[list[float], list[float], float]:
    for language in TEMPLATES:
        synthesize(language, "warm up")
    sequential = [timed(lambda j=j: synthesize(*j)) for j in jobs[::3]]
    with ThreadPoolExecutor(8) as pool:
        started = time.perf_counter()
        loaded = list(pool.map(lambda j: timed(lambda: synthesize(*j)), jobs))
        per_text = (time.perf_counter() - started) * 1000 / len(jobs)
    return sequential, loaded, per_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=30)
    parser.add_argument("--engines", default="pyttsx3,espeak-ng,piper")
    parser.add_argument("--skip-lock", action="store_true", help="no lock-vs-workers figures")
    args = parser.parse_args()
    columns = ("memory", "disk", "audio", "stream", "8 thr")
    print(f"{args.texts} texts each; milliseconds, p50 and p95")
    print(f"{'engine':9} {'':3} {'cold':>7} " + " ".join(f"{c:>15}" for c in columns) + "  ms/text")
    with tempfile.TemporaryDirectory() as scratch:
        for engine in args.engines.split(","):
            for language in TEMPLATES:
                try:
                    make_voice(engine, language)
                except SynthesisError as exc:
                    print(f"{engine:9} {language:3} -- {exc}")
                    continue
                try:
                    bench(engine, language, args.texts, Path(scratch) / f"{engine}-{language}")
                except SynthesisError as exc:
                    print(f"{engine:9} {language:3} -- {exc}")
    if not args.skip_lock:
        compare_lock(args.texts)


if __name__ == "__main__":
    main()
