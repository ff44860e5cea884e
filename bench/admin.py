"""Admin web: publish-to-effective time, and report page render time on 100,000 call records.

Publish: two `ivr serve` workers (separate processes) share one data folder and one copy of
dialplans/, as two IVR hosts sharing the flow folder would. An admin signs in to worker A's
admin web, saves a draft that moves main-menu key 1 to another node and publishes it; right
after the publish answers, a simulated call on worker B (and one on A) dials in and presses
3 (English), 1. Printed: the publish request's time (check + atomic write), and how many calls
that started after it took the new route. Each round flips the route back and forth.

Reports: bench/admin_reports.py (100,000 call records over 30 days; 1, 7 and 30-day pages).

    python bench/admin.py [--rounds 10] [--skip-reports]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from ivr.simulator.caller import HangUp, Press  # noqa: E402
from ivr.simulator.simulator import SimulatedCall  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FILE = "health_hotline.yaml"
NUMBER = "19001234"
PASSWORD = "bench password 2026"
TARGETS = ("card_info", "policy_menu")  # key 1 of main_menu: flipped each round


def _env(data: Path) -> dict[str, str]:
    return dict(
        os.environ,
        IVR_DATA_DIR=str(data),
        IVR_DIALPLANS_DIR=str(data / "dialplans"),
        IVR_PROMPTS_DIR=str(data / "prompts"),
        IVR_AGI_PORT="0",
        IVR_MEDIA_PORT="0",
        IVR_HTTP_PORT="0",
        IVR_SMS_GATEWAY="none",
        IVR_ASR="vi=vosk",
        IVR_LOG_LEVEL="WARNING",
        IVR_MEDIA_RATE="1",  # the figures are real-time ones
        IVR_ADMIN_PASSWORD=PASSWORD,
    )


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], tuple[str, int], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve"], env=env, stdout=subprocess.PIPE, text=True
    )
    line = server.stdout.readline() if server.stdout else ""
    agi = re.search(r"FastAGI on ([\d.]+):(\d+)", line)
    web = re.search(r"admin web on (\S+)/admin", line)
    if not agi or not web:
        raise SystemExit(f"ivr serve did not start: {line!r}")
    return server, (agi.group(1), int(agi.group(2))), web.group(1)


def _route(address: tuple[str, int]) -> list[str]:
    call = SimulatedCall(address, NUMBER, [Press("3"), Press("1"), HangUp()])
    return call.run(timeout=60).route


def _sign_in(web: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=web, timeout=60)
    form = client.get("/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]*)"', form)
    assert token, "no sign-in token"
    data = {"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    if client.post("/admin/login", data=data).status_code != 303:
        raise SystemExit("sign-in failed")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/admin").text)
    assert csrf, "no CSRF token"
    return client, csrf.group(1)


def publish_bench(rounds: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-admin-"))
    shutil.copytree(ROOT / "dialplans", data / "dialplans")
    env = _env(data)
    subprocess.run(
        [sys.executable, "-m", "ivr.cli", "admin", "create-user", "bench", "--role", "admin"],
        env=env,
        check=True,
        capture_output=True,
    )
    a_server, a_agi, a_web = _serve(env)
    b_server, b_agi, _ = _serve(env)
    try:
        client, csrf = _sign_in(a_web)
        original = (data / "dialplans" / FILE).read_text(encoding="utf-8")
        _route(a_agi), _route(b_agi)  # warm-up: prompts synthesized once
        timings, followed, total = [], 0, 0
        for i in range(rounds):
            target = TARGETS[i % 2]
            text = original.replace(
                'options: {"1": policy_menu, "2": balance',
                f'options: {{"1": {target}, "2": balance',
            )
            headers = {"x-csrf-token": csrf, "accept": "application/json"}
            saved = client.post(f"/admin/flows/{FILE}/save", data={"text": text}, headers=headers)
            assert saved.status_code == 200, saved.text
            started = time.perf_counter()
            published = client.post(f"/admin/flows/{FILE}/publish", data={}, headers=headers)
            timings.append(time.perf_counter() - started)
            assert published.status_code == 200, published.text
            for address in (b_agi, a_agi):
                total += 1
                route = _route(address)
                followed += route[:3] == ["choose_language", "main_menu", target]
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(0.95 * len(timings)))]
        print("publish to effective (2 workers sharing the flow folder, 2-core machine)")
        print(
            f"  publish request (check + write): p50 {statistics.median(timings) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms over {rounds} publishes"
        )
        print(f"  first call after publish took the new route: {followed}/{total}")
        print("  (no restart, no Asterisk reload: each call re-reads a changed flow folder)")
    finally:
        for server in (a_server, b_server):
            server.terminate()
            server.wait(10)
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--skip-reports", action="store_true")
    args = parser.parse_args()
    publish_bench(args.rounds)
    if not args.skip_reports:
        from bench import admin_reports

        admin_reports.main([])


if __name__ == "__main__":
    main()
