"""AI agent calls: completed calls per minute with N concurrent callers, and the reply latency.

Starts `ivr serve` in its own process (English speech by the Whisper tiny.en model the
packages ship; the sample flow and knowledge base), then places calls through the simulator
the way an overflowing queue sends them: English, main menu 3, `Queue()` returns TIMEOUT, the
AI agent greets; the caller asks a question from the knowledge base (espeak-ng speech of an
entry's question), hears the answer start, says "no thank you goodbye", and hangs up when the
survey starts. Reply latency: the end of the caller's question to the first audio frame of the
answer (recognition + retrieval + synthesis of a new sentence, or its cache).

    python bench/ai_call.py [--levels 1,30] [--calls-per-level 1]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.simulator.caller import HangUp, Listen, Press, Say, speech  # noqa: E402
from ivr.simulator.simulator import CallResult, SimulatedCall  # noqa: E402

NUMBER = "19001234"
ROOT = Path(__file__).resolve().parent.parent


def _questions(count: int) -> list[tuple[str, bytes]]:
    """Questions of the English knowledge base, synthesized once: (key, caller audio)."""
    entries = yaml.safe_load((ROOT / "knowledge" / "en.yaml").read_text(encoding="utf-8"))
    chosen = entries["entries"][:: max(1, len(entries["entries"]) // count)][:count]
    return [(e["key"], speech(e["question"], "en")) for e in chosen]


def _call(
    address: tuple[str, int], question: tuple[str, bytes], bye: bytes
) -> tuple[CallResult, float | None, bool]:
    key, audio = question
    actions = [
        Press("3"),
        Press("3"),
        Listen(),  # the agent's greeting, heard out
        Say(audio, delay=0.2, label=key),
        Say(bye, delay=1.0, label="bye"),
        HangUp(delay=0.5),  # at the survey
    ]
    call = SimulatedCall(
        address, NUMBER, actions, callerid="0912345678", queue_outcomes=["TIMEOUT"]
    )
    result = call.run(timeout=600)
    latency = None
    for before, after in zip(result.sessions, result.sessions[1:], strict=False):
        if key in before.said and before.speech_ended and after.first_frame:
            latency = after.first_frame - before.speech_ended
    done = "ivr: script ai_agent ended: done" in result.kinds("ivr")
    return result, latency, done


def _start_server(data: str) -> tuple[subprocess.Popen[str], tuple[str, int]]:
    env = dict(
        os.environ,
        IVR_DATA_DIR=data,
        IVR_PROMPTS_DIR=os.path.join(data, "prompts"),
        IVR_AGI_PORT="0",
        IVR_MEDIA_PORT="0",
        IVR_HTTP_PORT="0",
        IVR_SMS_GATEWAY="none",
        IVR_LOG_LEVEL="WARNING",
        IVR_MEDIA_RATE="1",  # the figures are real-time ones
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve"], env=env, stdout=subprocess.PIPE, text=True
    )
    line = server.stdout.readline() if server.stdout else ""
    found = re.search(r"FastAGI on ([\d.]+):(\d+)", line)
    if not found:
        raise SystemExit(f"ivr serve did not start: {line!r}")
    return server, (found.group(1), int(found.group(2)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="1,30")
    parser.add_argument("--calls-per-level", type=int, default=1, help="rounds of calls")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    questions = _questions(max(levels) * args.calls_per_level)
    bye = speech("no thank you goodbye", "en")
    data = tempfile.mkdtemp(prefix="bench-ai-call-")
    server, address = _start_server(data)
    try:
        _call(address, questions[0], bye)  # warm-up: the fixed prompts synthesized once
        print("AI agent calls (English speech, Whisper tiny.en), 2-core machine")
        for level in levels:
            batch = [questions[i % len(questions)] for i in range(level * args.calls_per_level)]
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=level) as pool:
                runs = list(pool.map(lambda q: _call(address, q, bye), batch))
            elapsed = time.monotonic() - started
            latencies = sorted(x for _, x, _ in runs if x is not None)
            done = sum(ok for _, _, ok in runs)
            if not latencies:
                print(f"{level:3d} concurrent: no answered question")
                continue
            p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
            seconds = statistics.mean(r.events[-1].at for r, _, _ in runs)
            print(
                f"{level:3d} concurrent: {done}/{len(runs)} calls complete, "
                f"{done / elapsed * 60:6.1f} calls/min, {seconds:5.1f} s per call; "
                f"end of question -> first audio of the answer p50 "
                f"{statistics.median(latencies):5.2f} s, p95 {p95:5.2f} s"
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
