"""Report page render time on 100,000 call records (the report half of ``bench/admin.py``).

Builds a fresh SQLite database in a temporary folder (the IVR's own migrations), bulk-inserts
100,000 call records over 30 local days with matching queue calls, agent events, surveys,
tickets and unanswered questions, starts the real IVR web side on it, signs in as a viewer and
times ``GET /admin/reports`` for 1, 7 and 30 days (p50/p95) and the CSV exports.

    python bench/admin_reports.py [--calls 100000] [--repeat 10]

``run(calls, repeat)`` returns the figures for ``bench/admin.py``.
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.admin.users import Users  # noqa: E402
from ivr.app import RunningIvr, build_services, start  # noqa: E402
from ivr.core.db import Database  # noqa: E402
from ivr.core.models import (  # noqa: E402
    AgentEvent,
    CallRecord,
    QueueCall,
    SurveyResponse,
    Ticket,
    UnansweredQuestion,
)
from ivr.core.settings import Settings  # noqa: E402

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 17:00 local on the last day
DAYS = 30
AGENTS = [f"agent{n:02d}" for n in range(20)]
CATEGORIES = ["card", "payment", "coverage", "refund", "hospital", "registration"]
# calls per local hour of the day, relative: busy 8-17
PROFILE = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 10, 12, 14, 13, 10, 6, 4, 3, 2, 2, 1, 1]
PASSWORD = "benchmark password"


def _call_rows(count: int, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Call records and what goes with them, as plain dicts for bulk inserts."""
    rows: dict[str, list[dict[str, Any]]] = {"calls": [], "queue": [], "surveys": [], "asked": []}
    first_day = NOW - timedelta(days=DAYS - 1)
    local_midnight = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    local_midnight -= timedelta(hours=7)
    hours = rng.choices(range(24), weights=PROFILE, k=count)
    for n, hour in enumerate(hours):
        started = local_midnight + timedelta(
            days=rng.randrange(DAYS), hours=hour, seconds=rng.uniform(0, 3600)
        )
        _one_call(rows, f"bench-{n}", started, hour, rng)
    return rows


def _one_call(
    rows: dict[str, list[dict[str, Any]]], call_id: str, started: datetime, hour: int, rng: Any
) -> None:
    after_hours = hour < 8 or hour >= 17
    fate = rng.random()
    tags, path, handled, queue = [], ["choose_language", "main_menu"], "ivr", None
    if after_hours:
        tags, path, handled = ["after-hours"], [*path, "agent_hours", "ai_agent"], "ai"
    elif fate < 0.6:
        handled, queue, path = "human", "insurance", [*path, "agent_hours", "agent"]
        _queue_call(rows, call_id, started, rng, tags, path)
        if "overflow" in tags:
            handled = "ai"
    self_service = ["auth", "balance"] if handled == "ivr" and fate > 0.8 else []
    rows["calls"].append(
        {
            "call_id": call_id,
            "started_at": started,
            "ended_at": started + timedelta(seconds=rng.uniform(30, 600)),
            "flow": "health_hotline",
            "number_dialled": "19001234",
            "caller": f"09{rng.randrange(10**8):08d}",
            "language": rng.choice(["vi", "vi", "vi", "en", "zh"]),
            "path": path,
            "entry": "new",
            "outcome": "queue" if queue else "hangup",
            "queue": queue,
            "handled_by": handled,
            "tags": tags,
            "self_service": self_service,
            "category": rng.choice(CATEGORIES) if rng.random() < 0.5 else None,
        }
    )
    if handled in ("human", "ai") and rng.random() < 0.2:
        rows["surveys"].append(
            {
                "call_id": call_id,
                "score": rng.choice([1, 2, 3, 4, 4, 5, 5, 5]),
                "via": "dtmf",
                "handled_by": handled,
                "agent": rng.choice(AGENTS) if handled == "human" else None,
                "queue": queue,
                "language": "vi",
                "answered_at": started + timedelta(minutes=5),
            }
        )
    if handled == "ai" and rng.random() < 0.05:
        text = f"câu hỏi số {rng.randrange(40)}"
        rows["asked"].append({"language": "vi", "text": text, "asked_at": started})


def _queue_call(
    rows: dict[str, list[dict[str, Any]]],
    call_id: str,
    started: datetime,
    rng: Any,
    tags: list[str],
    path: list[str],
) -> None:
    joined = started + timedelta(seconds=rng.uniform(20, 60))
    hold = rng.expovariate(1 / 25)
    row = {"call_id": call_id, "queue": "insurance", "caller": "0912345678", "joined_at": joined}
    fate = rng.random()
    if fate < 0.8:
        talk = rng.uniform(60, 400)
        connected = joined + timedelta(seconds=hold)
        row |= {"agent": rng.choice(AGENTS), "connected_at": connected, "hold_s": hold}
        row |= {"talk_s": talk, "ended_at": connected + timedelta(seconds=talk)}
        row["outcome"] = "answered"
    elif fate < 0.92:
        row |= {"outcome": "abandoned", "hold_s": hold, "ended_at": joined}
    else:
        row |= {"outcome": "left", "hold_s": 120.0, "ended_at": joined}
        tags.append("overflow")
        path.append("ai_agent")
    rows["queue"].append(row)


def _agent_rows(rng: random.Random) -> list[dict[str, Any]]:
    events = []
    for day in range(DAYS):
        morning = NOW.replace(hour=1) - timedelta(days=DAYS - 1 - day)  # 08:00 local
        for agent in AGENTS:
            at = morning + timedelta(minutes=rng.uniform(-20, 20))
            events.append({"agent": agent, "queue": "insurance", "event": "login", "at": at})
            for _ in range(3):
                at += timedelta(minutes=rng.uniform(60, 120))
                events.append({"agent": agent, "queue": "insurance", "event": "pause", "at": at})
                at += timedelta(minutes=rng.uniform(5, 20))
                events.append({"agent": agent, "queue": "insurance", "event": "unpause", "at": at})
            at += timedelta(minutes=rng.uniform(30, 90))
            events.append({"agent": agent, "queue": "insurance", "event": "logout", "at": at})
    return events


def fill(database: Database, calls: int) -> float:
    """Insert the data set; seconds taken."""
    rng = random.Random(6)
    began = time.perf_counter()
    rows = _call_rows(calls, rng)
    tickets = [
        {
            "reference": f"B{n:06d}",
            "call_id": row["call_id"],
            "caller": "0912345678",
            "language": "vi",
            "level1": "transaction",
            "category": rng.choice(CATEGORIES),
            "summary": "...",
            "status": "open",
            "created_at": row["started_at"],
            "due_at": row["started_at"] + timedelta(days=2),
        }
        for n, row in enumerate(rows["calls"][::50])
    ]
    with database.session() as session:
        for model, batch in (
            (CallRecord, rows["calls"]),
            (QueueCall, rows["queue"]),
            (SurveyResponse, rows["surveys"]),
            (UnansweredQuestion, rows["asked"]),
            (Ticket, tickets),
            (AgentEvent, _agent_rows(rng)),
        ):
            session.execute(insert(model), batch)
    return time.perf_counter() - began


def _sign_in(base: str, users: Users) -> httpx.Client:
    users.create("bench-viewer", PASSWORD, "viewer")
    client = httpx.Client(base_url=base, timeout=300, headers={"accept": "text/html"})
    page = client.get("/admin/login")
    found = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    form = {"username": "bench-viewer", "password": PASSWORD}
    form["csrf_token"] = found.group(1) if found else ""
    reply = client.post("/admin/login", data=form)
    assert reply.status_code == 303, reply.text
    return client


def _time(client: httpx.Client, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        reply = client.get(path)
        times.append(time.perf_counter() - began)
        assert reply.status_code == 200, (path, reply.status_code, reply.text[:300])
    return times


def _quantiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _start(folder: Path) -> RunningIvr:
    settings = replace(
        Settings(),
        agi_port=0,
        media_port=0,
        http_port=0,
        sms_gateway="none",
        data_dir=folder / "var",
        prompts_dir=folder / "prompts",
        redis_url="",
        database_url="",
        ami_host="",
    )
    services = build_services(settings)  # migrates the new database under data_dir
    services.clock = lambda: NOW
    return start(settings, services)


def run(calls: int = 100_000, repeat: int = 10) -> dict[str, Any]:
    """{"insert_s", "rows", "pages": {days: (p50, p95)}, "csv": {name: (p50, p95)}}."""
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as folder:
        ivr = _start(Path(folder))
        try:
            database = ivr.services.outbox.database
            inserted = fill(database, calls)
            client = _sign_in(ivr.web.url, Users(database, lambda: NOW))
            today = NOW.date()
            pages = {}
            for days in (1, 7, 30):
                first = today - timedelta(days=days - 1)
                path = f"/admin/reports?start={first}&end={today}"
                client.get(path)  # warm: templates compiled, SQLite pages cached
                pages[days] = _quantiles(_time(client, path, repeat))
            month = f"start={today - timedelta(days=DAYS - 1)}&end={today}"
            exports = {}
            for name in ("summary", "calls_by_day", "queues", "agents"):
                path = f"/admin/reports/{name}.csv?{month}"
                exports[name] = _quantiles(_time(client, path, repeat))
            client.close()
        finally:
            ivr.stop()
    return {"insert_s": inserted, "rows": calls, "pages": pages, "csv": exports}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    figures = run(args.calls, args.repeat)
    print(
        f"{figures['rows']} call records (+ queue calls, agents, surveys) inserted in "
        f"{figures['insert_s']:.1f} s"
    )
    for days, (p50, p95) in figures["pages"].items():
        print(f"report page, {days:2d} day(s): p50 {p50 * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms")
    for name, (p50, p95) in figures["csv"].items():
        print(f"CSV {name:12s} 30 days: p50 {p50 * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
