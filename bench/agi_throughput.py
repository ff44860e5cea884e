"""Completed DTMF-menu calls per second: FastAGI server vs classic process-per-call AGI.

Both run bench/menu_script.py's ``menu`` (ANSWER, GET DATA, SET VARIABLE, VERBOSE) against the
call simulator, which plays Asterisk's side of the wire. Usage:
    python bench/agi_throughput.py [--calls 400] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.menu_script import PROMPT, SCRIPTS  # noqa: E402
from ivr.agi.server import FastAgiServer  # noqa: E402
from ivr.simulator.caller import Press  # noqa: E402
from ivr.simulator.simulator import SimulatedCall  # noqa: E402
from ivr.voice.media_server import MediaServer  # noqa: E402


def _sounds() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bench-sounds-"))
    with wave.open(str(folder / f"{PROMPT}.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(320))
    return folder


def _run(
    address: tuple[str, int] | list[str], calls: int, concurrency: int, sounds: Path
) -> tuple[float, int]:
    def one(i: int) -> bool:
        digit = str(1 + i % 3)
        result = SimulatedCall(
            address, "menu", [Press(digit, delay=0.0)], answer_delay=0.0, sounds=[sounds]
        )
        result._agi("menu", [], time.monotonic() + 60)
        return result.channel.variables.get("MENU_CHOICE") == digit

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        ok = sum(pool.map(one, range(calls)))
    return time.perf_counter() - started, ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--classic-calls", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sounds = _sounds()

    media = MediaServer(port=0).start()
    server = FastAgiServer(SCRIPTS, None, media, port=0).start()
    fast_s, fast_ok = _run(("127.0.0.1", server.port), args.calls, args.concurrency, sounds)
    server.stop()
    media.stop()

    classic = [sys.executable, str(Path(__file__).resolve().parent / "menu_script.py")]
    classic_s, classic_ok = _run(classic, args.classic_calls, args.concurrency, sounds)

    fast_rate = fast_ok / fast_s
    classic_rate = classic_ok / classic_s
    print(
        f"FastAGI server : {fast_ok}/{args.calls} calls ok in {fast_s:.2f} s "
        f"= {fast_rate:.1f} calls/s (concurrency {args.concurrency})"
    )
    print(
        f"classic AGI    : {classic_ok}/{args.classic_calls} calls ok in {classic_s:.2f} s "
        f"= {classic_rate:.1f} calls/s (a python process per call)"
    )
    print(f"ratio FastAGI / classic: {fast_rate / classic_rate:.1f}x")


if __name__ == "__main__":
    main()
