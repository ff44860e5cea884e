"""The IVR that bench/turn_latency.py measures, in its own process: ``ivr serve`` plus one
bench script, ``speech_turns``, that asks for a spoken number several times in a row.

Each turn's prompt starts as soon as the previous answer is decoded, so the gap between the
caller's end of speech and the first frame of the next prompt is the turn latency.
Run by the benchmark; by hand: ``python bench/speech_server.py`` (settings from IVR_*).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.agi.registry import register  # noqa: E402
from ivr.app import build_services, start  # noqa: E402
from ivr.core.settings import Settings  # noqa: E402
from ivr.voice.listen import listen

GRAMMARS = {
    "en": ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "ko": ["예약", "도움말", "연결", "안녕하세요"],
}
PROMPTS = {"en": "Say a number.", "ko": "Say a number."}  # English voice: ko has no TTS here


def speech_turns(call: Any) -> None:
    language = call.env.args[0] if call.env.args else "en"
    turns = int(call.env.args[1]) if len(call.env.args) > 1 else 3
    call.answer()
    heard = []
    for _ in range(turns):
        audio = call.services.prompts.audio(PROMPTS[language], "en")
        answer = listen(call, audio, grammar=GRAMMARS[language], language=language)
        heard.append(answer.text or answer.status)
    call.set_variable("HEARD", ",".join(heard))
    call.hangup()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    register("speech_turns", speech_turns)
    settings = Settings.from_env()
    services = build_services(settings, keep_records=False)
    for language in PROMPTS:
        services.prompts.audio(PROMPTS[language], "en")  # rendered before the first call
    running = start(settings, services)
    print(f"ready {running.agi.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    running.stop()


if __name__ == "__main__":
    main()
