"""Self-service calls: complete authenticated balance calls per minute at 1 and 30 concurrent
calls, and the time from the caller's last PIN key to the first audio of the balance.

Seeds a demo database, starts `ivr serve` in its own process (keys only: the Vietnamese path
without a speech model), then places calls through the simulator: language, main menu 2,
insurance number + #, read-back confirmed with 1, PIN + #, the balance heard for one second,
9 back to the main menu, hang up. Callers press keys as soon as a prompt starts (barge-in), so
the figures are the IVR's own time, not the length of the prompts.

    python bench/self_service.py [--levels 1,30] [--calls-per-level 2]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.accounts.seed import DEMO_PERSONS  # noqa: E402
from ivr.simulator.caller import HangUp, Press  # noqa: E402
from ivr.simulator.simulator import CallResult, SimulatedCall  # noqa: E402

NUMBER = "19001234"
PEOPLE = [p for p in DEMO_PERSONS if p.language == "vi"]


def _call(address: tuple[str, int], i: int) -> tuple[CallResult, float | None, bool]:
    person = PEOPLE[i % len(PEOPLE)]
    actions = [
        Press("1"),
        Press("2"),
        Press(person.insurance_number + "#", gap=0.05),
        Press("1"),
        Press(person.pin + "#", gap=0.05),
        Press("9", delay=1.0),
        HangUp(),
    ]
    call = SimulatedCall(address, NUMBER, actions, callerid="0280000001", answer_delay=0.0)
    result = call.run(timeout=300)
    gap = None
    for before, after in zip(result.sessions, result.sessions[1:], strict=False):
        if before.pressed == person.pin + "#" and before.last_key and after.first_frame:
            gap = after.first_frame - before.last_key
    done = "ivr: script balance ended: menu" in result.kinds("ivr")
    return result, gap, done


def _start_server(data: str) -> tuple[subprocess.Popen[str], tuple[str, int]]:
    env = dict(
        os.environ,
        IVR_DATA_DIR=data,
        IVR_PROMPTS_DIR=os.path.join(data, "prompts"),
        IVR_AGI_PORT="0",
        IVR_MEDIA_PORT="0",
        IVR_HTTP_PORT="0",
        IVR_SMS_GATEWAY="none",
        IVR_ASR="vi=vosk",
        IVR_LOG_LEVEL="WARNING",
        IVR_MEDIA_RATE="1",  # the figures are real-time ones
    )
    command = [sys.executable, "-m", "ivr.cli", "seed", "--demo"]
    subprocess.run(command, env=env, check=True, capture_output=True)
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
    parser.add_argument("--calls-per-level", type=int, default=2, help="rounds of calls")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="bench-self-service-")
    server, address = _start_server(data)
    try:
        _call(address, 0)  # warm-up: every prompt synthesized once
        print("self-service balance calls (keys, barge-in), 2-core machine")
        for level in [int(x) for x in args.levels.split(",")]:
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=level) as pool:
                runs = list(
                    pool.map(lambda i: _call(address, i), range(level * args.calls_per_level))
                )
            elapsed = time.monotonic() - started
            gaps = sorted(g for _, g, _ in runs if g is not None)
            done = sum(ok for _, _, ok in runs)
            if not gaps:
                print(f"{level:3d} concurrent: no complete calls")
                continue
            p95 = gaps[min(len(gaps) - 1, int(0.95 * len(gaps)))] * 1000
            seconds = statistics.mean(r.events[-1].at for r, _, _ in runs)
            print(
                f"{level:3d} concurrent: {done}/{len(runs)} calls complete, "
                f"{done / elapsed * 60:6.1f} calls/min, {seconds:4.1f} s per call; "
                f"last PIN key -> balance audio p50 {statistics.median(gaps) * 1000:4.0f} ms, "
                f"p95 {p95:4.0f} ms"
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
