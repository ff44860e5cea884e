"""The sound files Asterisk's queues play, in Vietnamese and Mandarin, spoken by our TTS.

While a caller waits, app_queue says the position and the estimated hold time with sound files
looked up in the channel's language (CHANNEL(language), which the IVR sets before Queue()):
``sounds/<language>/queue-thereare`` and so on, and the numbers in between with
``ast_say_number()``, which builds them from ``digits/*`` files by each language's rules.
Asterisk's core sounds exist in English only; without these files a vi or zh caller would hear
nothing (or English). ``ivr queues sounds`` renders them, plus each queue's periodic
announcement (``hotline/<queue>-periodic``, in every language its YAML gives a text for) and
the call-back introduction (``hotline/callback-intro``, vi, zh and en), as 8 kHz mono 16-bit
WAV files: ``<out>/<language>/<name>.wav``. The generated audio is not
committed; Docker mounts the folder into the Asterisk container (docker/compose.yaml).

The names come from Asterisk's source (22.x; the same in 20.x):

* apps/app_queue.c, init_queue(): the defaults of queue-youarenext, queue-thereare,
  queue-callswaiting, queue-quantity1, queue-quantity2, queue-holdtime, queue-minutes,
  queue-minute, queue-seconds, queue-thankyou, queue-reporthold (said to the agent) and
  queue-periodic-announce; say_position() plays them and calls ast_say_number() for the
  position, the minutes and the (rounded) seconds.
* main/say.c, ast_say_number_full_vi(): digits/0-19, the tens digits/20..digits/90, the
  unit forms digits/1a (mốt), digits/4a (tư), digits/5a (lăm) after a ten, digits/hundred,
  digits/odd (lẻ), digits/0-hundred, digits/0-hundred-odd, digits/thousand, digits/million.
* main/say.c, ast_say_number_full_zh(): digits/0-9, the tens digits/10..digits/90,
  digits/hundred, digits/thousand, digits/wan (万), digits/yi (亿); zero is digits/0
  (ast_say_digits_full) and also the 零 said inside a number such as 105.
"""

from __future__ import annotations

import argparse
import wave
from collections.abc import Iterable, Mapping
from pathlib import Path

from ivr.core.settings import Settings
from ivr.queues.config import QueueConfig
from ivr.tts.cache import PromptCache
from ivr.wire.audio_format import SAMPLE_RATE

# app_queue.c: the sounds of say_position() and of the agent's hold-time report.
QUEUE_TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "queue-youarenext": "Quý khách là người tiếp theo được phục vụ.",
        "queue-thereare": "Quý khách đang là người gọi thứ",
        "queue-callswaiting": "đang chờ gặp tư vấn viên.",
        "queue-quantity1": "Hiện có hơn",
        "queue-quantity2": "người đang chờ.",
        "queue-holdtime": "Thời gian chờ dự kiến khoảng",
        "queue-minutes": "phút.",
        "queue-minute": "phút.",
        "queue-seconds": "giây.",
        "queue-thankyou": "Cảm ơn quý khách đã kiên nhẫn chờ máy.",
        "queue-reporthold": "Thời gian chờ",
        "queue-periodic-announce": "Tất cả tư vấn viên đang bận, xin quý khách vui lòng giữ máy.",
    },
    "zh": {
        "queue-youarenext": "下一位就是您。",
        "queue-thereare": "您现在排在第",
        "queue-callswaiting": "位，正在等待客服人员接听。",
        "queue-quantity1": "目前有超过",
        "queue-quantity2": "位来电者在等待。",
        "queue-holdtime": "预计等待时间约为",
        "queue-minutes": "分钟。",
        "queue-minute": "分钟。",
        "queue-seconds": "秒。",
        "queue-thankyou": "感谢您的耐心等待。",
        "queue-reporthold": "等待时间",
        "queue-periodic-announce": "所有客服人员都在忙，请不要挂机。",
    },
}

# Played by extensions.conf [ivr-callback-queue] when a caller we call back answers.
CALLBACK_TEXTS: dict[str, str] = {
    "vi": "Đây là cuộc gọi lại từ tổng đài bảo hiểm y tế. Xin quý khách vui lòng giữ máy, "
    "tư vấn viên sẽ trả lời ngay.",
    "zh": "这是医疗保险热线的回电。请不要挂机，客服人员马上为您服务。",
    "en": "This is the health insurance hotline calling you back. Please hold, an agent will "
    "be with you shortly.",
}
CALLBACK_SOUND = "hotline/callback-intro"

_VI_UNITS = "không một hai ba bốn năm sáu bảy tám chín".split()
_ZH_UNITS = "零一二三四五六七八九"

# main/say.c: the digits/* files each language's ast_say_number_full_<lang>() asks for.
DIGIT_TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        **{f"digits/{n}": _VI_UNITS[n] for n in range(10)},
        "digits/10": "mười",
        **{f"digits/{n}": f"mười {'lăm' if n == 15 else _VI_UNITS[n - 10]}" for n in range(11, 20)},
        **{f"digits/{t * 10}": f"{_VI_UNITS[t]} mươi" for t in range(2, 10)},
        "digits/1a": "mốt",
        "digits/4a": "tư",
        "digits/5a": "lăm",
        "digits/hundred": "trăm",
        "digits/odd": "lẻ",
        "digits/0-hundred": "không trăm",
        "digits/0-hundred-odd": "không trăm lẻ",
        "digits/thousand": "nghìn",
        "digits/million": "triệu",
    },
    "zh": {
        **{f"digits/{n}": _ZH_UNITS[n] for n in range(10)},
        "digits/10": "十",
        **{f"digits/{t * 10}": f"{_ZH_UNITS[t]}十" for t in range(2, 10)},
        "digits/hundred": "百",
        "digits/thousand": "千",
        "digits/wan": "万",
        "digits/yi": "亿",
    },
}

# Languages whose queue sounds come from us; English has Asterisk's core sounds, and needs
# only our own hotline/* files.
SOUND_LANGUAGES = ("en", "vi", "zh")


def sound_texts(
    queues: Mapping[str, QueueConfig], languages: Iterable[str]
) -> dict[str, dict[str, str]]:
    """language -> sound name -> text: what ``render_sounds`` writes for ``languages``."""
    result: dict[str, dict[str, str]] = {}
    for language in languages:
        texts = {**QUEUE_TEXTS.get(language, {}), **DIGIT_TEXTS.get(language, {})}
        if language in CALLBACK_TEXTS:
            texts[CALLBACK_SOUND] = CALLBACK_TEXTS[language]
        for queue in sorted(queues.values(), key=lambda q: q.name):
            if language in queue.periodic_text:
                texts[queue.periodic_sound] = queue.periodic_text[language]
        if texts:
            result[language] = texts
    return result


def write_wav(path: Path, pcm: bytes) -> None:
    """8 kHz mono 16-bit PCM: what Asterisk's format_wav reads as ``.wav``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
    tmp.replace(path)


def render_sounds(
    queues: Mapping[str, QueueConfig],
    out_dir: Path,
    cache: PromptCache,
    languages: Iterable[str] = SOUND_LANGUAGES,
) -> list[Path]:
    """Speak every sound of ``languages`` into ``out_dir``; the files written."""
    written = []
    for language, texts in sound_texts(queues, languages).items():
        for name, text in texts.items():
            path = out_dir / language / f"{name}.wav"
            write_wav(path, cache.audio(text, language))
            written.append(path)
    return written


def default_out(settings: Settings) -> Path:
    return settings.queues_dir.resolve().parent / "asterisk" / "sounds"


def command(queues: Mapping[str, QueueConfig], args: argparse.Namespace, settings: Settings) -> int:
    """``ivr queues sounds [--language vi] [--out DIR]``: every language unless --language
    says which."""
    languages = args.language or list(SOUND_LANGUAGES)
    out_dir = args.out or default_out(settings)
    cache = PromptCache(settings.prompts_dir, settings.tts_engines)
    written = render_sounds(queues, out_dir, cache, languages)
    for language in languages:
        count = sum(1 for path in written if path.parent.relative_to(out_dir).parts[0] == language)
        print(f"{language}: {count} sound files in {out_dir / language}")
    return 0
