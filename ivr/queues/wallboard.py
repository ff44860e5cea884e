"""The wallboard's figures and the queue pages: calls in the IVR, per queue its callers and
waits, per agent its state, from the live state the AMI monitor keeps."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ivr.core.live_state import ACTIVE_CALLS, LiveState
from ivr.queues.ami_runtime import AmiRuntime
from ivr.queues.config import QueueConfig
from ivr.queues.monitor import queue_key

AGENT_BUCKETS = ("available", "on_call", "ringing", "paused", "unavailable", "logged_out")


def wallboard(
    state: LiveState, queues: Mapping[str, QueueConfig], now: datetime, ami: AmiRuntime | None
) -> dict[str, Any]:
    """Calls in the IVR, and per queue and agent state when AMI is set up; JSON-able."""
    data: dict[str, Any] = {
        "at": now.isoformat(),
        "ami": ami is not None,
        "ami_connected": bool(ami is not None and ami.client.connected),
        "calls_in_ivr": len(state.hgetall(ACTIVE_CALLS)),
        "queues": [],
        "total": {"waiting": 0, "longest_wait_s": 0},
        "agents": dict.fromkeys(AGENT_BUCKETS, 0),
    }
    if ami is None:
        return data
    snapshot = ami.monitor.snapshot()
    live_now = ami.monitor.clock().timestamp()
    configured = queues
    for name in sorted(set(configured) | set(snapshot["queues"])):
        data["queues"].append(_queue_figures(name, snapshot["queues"].get(name, {}), live_now))
    waits = [q["longest_wait_s"] for q in data["queues"]]
    data["total"] = {
        "waiting": sum(q["waiting"] for q in data["queues"]),
        "longest_wait_s": max(waits, default=0),
    }
    for agent in snapshot["agents"].values():
        data["agents"][agent_bucket(agent)] += 1
    known = {a for q in configured.values() for a in (*q.members, *q.dynamic_members)}
    data["agents"]["logged_out"] = len(known - set(snapshot["agents"]))
    return data


def _queue_figures(name: str, info: dict[str, Any], now: float) -> dict[str, Any]:
    joined = [c["joined"] for c in info.get("callers", [])]
    expected = info.get("estimated_wait")
    return {
        "name": name,
        "waiting": len(joined),
        "longest_wait_s": max(0, int(now - min(joined))) if joined else 0,
        "answered_today": _whole(info.get("answered_today")),
        "abandoned_today": _whole(info.get("abandoned_today")),
        "agents_logged_in": _whole(info.get("agents_logged_in")),
        "agents_free": _whole(info.get("agents_free")),
        "agents_busy": _whole(info.get("agents_busy")),
        "agents_paused": _whole(info.get("agents_paused")),
        # None: unknown, or nobody to take calls (JSON has no infinity)
        "estimated_wait_s": None if expected is None or math.isinf(expected) else int(expected),
    }


def agent_bucket(agent: Mapping[str, Any]) -> str:
    """On a call or ringing wins over paused (a paused agent may finish a call)."""
    state = agent.get("state")
    if state == "in-use":
        return "on_call"
    if state == "ringing":
        return "ringing"
    if agent.get("paused"):
        return "paused"
    return "unavailable" if state == "unavailable" else "available"


def _whole(text: Any) -> int:
    try:
        return int(float(text or 0))
    except ValueError:
        return 0


def members(state: LiveState, queue: str) -> dict[str, dict[str, Any]]:
    """Member name -> {interface, state, paused, reason, calls_taken} as AMI last said."""
    raw = state.hgetall(f"{queue_key(queue)}:members")
    return {name: json.loads(value) for name, value in sorted(raw.items())}


def queue_pages(
    state: LiveState, queues: Mapping[str, QueueConfig], ami: AmiRuntime | None
) -> list[dict[str, Any]]:
    """Per configured (or live) queue: its config, live members, logged-out agents, callers."""
    configured = queues
    snapshot = ami.monitor.snapshot()["queues"] if ami is not None else {}
    pages = []
    for name in sorted(set(configured) | set(snapshot)):
        config = configured.get(name)
        live = members(state, name) if ami is not None else {}
        agents = (*config.members, *config.dynamic_members) if config else ()
        pages.append(
            {
                "name": name,
                "config": config,
                "members": live,
                "logged_out": [a for a in agents if a not in live],
                "callers": snapshot.get(name, {}).get("callers", []),
            }
        )
    return pages
