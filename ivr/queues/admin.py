"""Queues and agents as the admin web shows and changes them: the wallboard's figures, the
supervisors' agent actions over AMI, and the admins' edits of ``queues/<name>.yaml``.

An edit goes the way ``ivr queues render`` goes, so the web and the command line can never
disagree: the new file is checked with ``load_queues`` on a copy of the folder (every problem
by file:line, nothing written), then written (atomic replace), then queues.conf and
extensions_queues.conf are rendered into the Asterisk folder (``default_etc``), and Asterisk is
asked over AMI to reload what changed: ``Action: Reload`` with ``Module: app_queue.so`` for
queues.conf and ``pbx_config.so`` for the dialplan (manager.c answers ``Module Reloaded``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ivr.ami.client import ActionFailed, ActionTimeout, AmiError, NotConnected
from ivr.core.languages import LANGUAGES
from ivr.core.live_state import ACTIVE_CALLS
from ivr.flow import comments, roundtrip
from ivr.flow.yaml_reader import Problem
from ivr.queues.config import (
    OVERFLOW_CHOICES,
    STRATEGIES,
    QueueConfig,
    QueueError,
    agent_endpoints,
    load_queues,
)
from ivr.queues.monitor import queue_key
from ivr.queues.render import EXTENSIONS_QUEUES_CONF, QUEUES_CONF, default_etc, write_files

AMI_TIMEOUT_S = 5.0
# The module whose reload reads each rendered file again.
RELOAD_MODULE = {QUEUES_CONF: "app_queue.so", EXTENSIONS_QUEUES_CONF: "pbx_config.so"}
AGENT_BUCKETS = ("available", "on_call", "ringing", "paused", "unavailable", "logged_out")
NO_AMI = (
    "Live queue data needs the Asterisk manager (AMI): set IVR_AMI_HOST (and IVR_AMI_PORT, "
    "IVR_AMI_USER, IVR_AMI_SECRET) and restart the IVR."
)
_save_lock = threading.Lock()


# -- the wallboard -------------------------------------------------------------------------


def wallboard(services: Any, ami: Any) -> dict[str, Any]:
    """Calls in the IVR, and per queue and agent state when AMI is set up; JSON-able."""
    data: dict[str, Any] = {
        "at": services.clock().isoformat(),
        "ami": ami is not None,
        "ami_connected": bool(ami is not None and ami.client.connected),
        "calls_in_ivr": len(services.state.hgetall(ACTIVE_CALLS)),
        "queues": [],
        "total": {"waiting": 0, "longest_wait_s": 0},
        "agents": dict.fromkeys(AGENT_BUCKETS, 0),
    }
    if ami is None:
        return data
    snapshot = ami.monitor.snapshot()
    now = ami.monitor.clock().timestamp()
    configured: Mapping[str, QueueConfig] = services.queues or {}
    for name in sorted(set(configured) | set(snapshot["queues"])):
        data["queues"].append(_queue_figures(name, snapshot["queues"].get(name, {}), now))
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


# -- queues and members ------------------------------------------------------------------------


def members(state: Any, queue: str) -> dict[str, dict[str, Any]]:
    """Member name -> {interface, state, paused, reason, calls_taken} as AMI last said."""
    raw = state.hgetall(f"{queue_key(queue)}:members")
    return {name: json.loads(value) for name, value in sorted(raw.items())}


def queue_pages(services: Any, ami: Any) -> list[dict[str, Any]]:
    """Per configured (or live) queue: its config, live members, logged-out agents, callers."""
    configured: Mapping[str, QueueConfig] = services.queues or {}
    snapshot = ami.monitor.snapshot()["queues"] if ami is not None else {}
    pages = []
    for name in sorted(set(configured) | set(snapshot)):
        config = configured.get(name)
        live = members(services.state, name) if ami is not None else {}
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


class AmiProblem(Exception):
    """An AMI action that did not happen: ``status`` 503 (no AMI) or 502 (Asterisk said no)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class AmiAnswer:
    action: str
    response: str
    message: str

    @property
    def ok(self) -> bool:
        return self.response.lower() == "success"

    def __str__(self) -> str:
        return f"{self.action}: {self.response}" + (f" ({self.message})" if self.message else "")


def send(ami: Any, name: str, **fields: str) -> AmiAnswer:
    """One action; ``AmiProblem`` when AMI is not set up, not connected or Asterisk refused."""
    if ami is None:
        raise AmiProblem(503, f"Nothing was sent. {NO_AMI}")
    try:
        reply = ami.client.action(name, timeout=AMI_TIMEOUT_S, **fields)
    except NotConnected:
        raise AmiProblem(
            503,
            "Not connected to Asterisk's manager right now (the IVR reconnects by itself): "
            "nothing was changed. Try again in a moment.",
        ) from None
    except ActionTimeout:
        raise AmiProblem(
            502,
            f"Asterisk did not answer {name} within {AMI_TIMEOUT_S:.0f} s: the change may or "
            "may not have happened. Look at the queue before trying again.",
        ) from None
    except ActionFailed as exc:
        raise AmiProblem(502, f"Asterisk answered {name}: Error ({exc.reason})") from None
    except AmiError as exc:
        raise AmiProblem(502, f"Asterisk's manager: {exc}") from None
    return AmiAnswer(name, reply.response or "Success", reply.get("Message", ""))


def wait_until(check: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Asterisk answers an action before its event reaches the live state: wait a little."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# -- queue settings (queues/<name>.yaml) --------------------------------------------------------
# A save changes only the lines of the settings that changed (``ivr.flow.roundtrip``): comments,
# order and quotes stay, a new key goes after the keys before it in ``KEY_ORDER``; a save that
# would lose a comment (other than one inside a setting the form removed) is refused.

NUMBERS = ("ring_timeout", "retry", "wrapup", "max_wait", "max_length", "announcements.frequency")
OPTIONAL_NUMBERS = ("announcements.periodic.every", "overflow.predicted_wait")
LISTS = ("members", "dynamic_members")
TEXTS = tuple(f"announcements.periodic.text.{lang}" for lang in LANGUAGES)
CHOICES = {
    "strategy": STRATEGIES,
    "announcements.position": ("yes", "no"),
    "announcements.hold_time": ("yes", "no", "once"),
}
FORM_FIELDS = ("description", *CHOICES, *NUMBERS, *OPTIONAL_NUMBERS, *LISTS, *TEXTS)
KEY_ORDER = {
    "": ("name", "description", "language", "strategy", "members", "dynamic_members",
         "ring_timeout", "retry", "wrapup", "max_wait", "max_length", "announcements", "overflow",
         "hours", "leave_keys"),
    "announcements": ("position", "hold_time", "frequency", "periodic"),
    "announcements.periodic": ("every", "text"),
    "overflow": ("predicted_wait", "to_ai_agent"),
}  # fmt: skip


@dataclass
class SaveResult:
    problems: list[Problem] = field(default_factory=list)
    conflict: bool = False
    changes: list[str] = field(default_factory=list)  # "ring_timeout: 20 -> 25"
    rendered: list[str] = field(default_factory=list)  # the Asterisk files that changed
    etc_dir: Path | None = None
    reloads: list[AmiAnswer] = field(default_factory=list)
    reload_error: str = ""

    def field_problems(self) -> dict[str, list[str]]:
        """Form field -> its messages (a problem belongs to the longest field its path starts
        with; others go under "")."""
        found: dict[str, list[str]] = {}
        for p in self.problems:
            owner = max(
                (f for f in (*FORM_FIELDS, "overflow.to_ai_agent") if _under(p.path, f)),
                key=len,
                default="",
            )
            found.setdefault(owner, []).append(p.message)
        return found


def _under(path: str, name: str) -> bool:
    return path == name or path.startswith(name + ".")


def queue_file(settings: Any, queue: QueueConfig) -> Path:
    return Path(settings.queues_dir) / queue.file


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def form_values(text: str) -> dict[str, Any]:
    """The form's values (strings; the statuses a list) from a queue file's text."""
    data = yaml.safe_load(text) or {}
    values: dict[str, Any] = {}
    for name in FORM_FIELDS:
        value = _get(data, name)
        if name in LISTS:
            value = ", ".join(value or [])
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        values[name] = "" if value is None else str(value)
    values["overflow.to_ai_agent"] = sorted(_get(data, "overflow.to_ai_agent") or [])
    return values


def apply_form(data: dict[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """The queue file's data (``roundtrip.load``) with the form's values put in: only what
    differs is changed, keys the form does not edit are kept."""
    for name in ("description", *CHOICES):
        value: Any = str(form.get(name, "")).strip()
        if name == "announcements.position":
            value = {"yes": True, "no": False}.get(value, value)
        _set(data, name, value)
    for name in NUMBERS:
        _set(data, name, _number(form.get(name, "")))
    for name in LISTS:
        names = [n for n in re.split(r"[\s,]+", str(form.get(name, ""))) if n]
        _set(data, name, names or None)
    every = _number(form.get("announcements.periodic.every", ""))
    texts = {
        lang: str(form.get(f"announcements.periodic.text.{lang}", "")).strip() for lang in LANGUAGES
    }
    if every in ("", 0):
        _set(data, "announcements.periodic", None)
    else:
        periodic = {"every": every, "text": {k: v for k, v in texts.items() if v}}
        _set(data, "announcements.periodic", periodic)
    wait = _number(form.get("overflow.predicted_wait", ""))
    _set(data, "overflow.predicted_wait", None if wait == "" else wait)
    chosen = form.get("overflow.to_ai_agent") or []
    kept = [s for s in _get(data, "overflow.to_ai_agent") or [] if s in chosen]  # file's order
    added = [s for s in OVERFLOW_CHOICES if s in chosen and s not in kept]
    _set(data, "overflow.to_ai_agent", [str(s) for s in kept] + added)
    return data


def _number(raw: Any) -> Any:
    """A whole number as an int; anything else as typed, for the loader to name the problem."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else text


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    """``roundtrip.put`` at a dotted path (None: removed), making the mappings on the way."""
    *parents, last = path.split(".")
    for depth, part in enumerate(parents):
        if not isinstance(data.get(part), dict):
            if value is None:
                return
            roundtrip.put(data, part, {}, order=KEY_ORDER.get(".".join(parents[:depth]), ()))
        data = data[part]
    roundtrip.put(data, last, value, order=KEY_ORDER.get(".".join(parents), ()))


def queue_text(original: str, data: Mapping[str, Any]) -> str:
    """The new file: ``original`` with only the lines of the settings that changed."""
    return roundtrip.dump(data, original)


def _lost_comments(path: Path, original: str, new: str) -> list[Problem]:
    """The comments ``new`` lost, but for those inside a setting the form removed."""
    removed = [c.text for c in comments.removed_with_content(original, new)]
    return [
        Problem(path.name, c.line + 1, "", f"the save would lose the comment {c.text!r}")
        for c in comments.subtract(comments.lost(original, new), removed)
    ]


def save_queue(services: Any, ami: Any, queue: QueueConfig, form: Mapping[str, Any]) -> SaveResult:
    """Check, write, render, reload: see the module docstring. Nothing is written when the
    new file has problems or the file changed since the form was opened (``conflict``)."""
    settings = services.settings
    path = queue_file(settings, queue)
    etc_dir = default_etc(settings)
    pjsip = etc_dir / "pjsip.conf"
    agents = agent_endpoints(pjsip) if pjsip.is_file() else None
    with _save_lock:
        original = path.read_text(encoding="utf-8")
        if form.get("version") != version_of(original):
            return SaveResult(conflict=True)
        try:
            data = roundtrip.load(original)
        except roundtrip.YAMLError as exc:
            message = f"the file cannot be changed from here: {str(exc).splitlines()[0]}"
            return SaveResult(problems=[Problem(path.name, 1, "", message)])
        new = queue_text(original, apply_form(data, form))
        result = SaveResult(changes=_changes(form_values(original), form_values(new)))
        result.problems = _check(path, new, agents) or _lost_comments(path, original, new)
        if result.problems or not result.changes:
            return result
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(path)
        queues = load_queues(path.parent, agents)
        result.etc_dir = etc_dir
        result.rendered = write_files(etc_dir, queues) if etc_dir.is_dir() else []
        services.queues = queues  # the flow engine's next call sees the new wait limits
    _reload(ami, result)
    return result


def _check(path: Path, new: str, agents: set[str] | None) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="queues-check-") as folder:
        copy = Path(folder)
        for other in path.parent.glob("*.yaml"):
            shutil.copyfile(other, copy / other.name)
        (copy / path.name).write_text(new, encoding="utf-8")
        try:
            load_queues(copy, agents)
        except QueueError as exc:
            return list(exc.problems)
    return []


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [
        f"{k}: {old.get(k) or '-'} -> {new.get(k) or '-'}" for k in new if old.get(k) != new.get(k)
    ]


def _reload(ami: Any, result: SaveResult) -> None:
    if not result.rendered or ami is None:
        return
    try:
        for name in result.rendered:
            answer = send(ami, "Reload", Module=RELOAD_MODULE[name])
            answer.action = f"Reload {RELOAD_MODULE[name]}"
            result.reloads.append(answer)
    except AmiProblem as exc:
        result.reload_error = exc.message
        return
    if QUEUES_CONF in result.rendered:
        try:  # members a reload added or removed: take Asterisk's view again
            ami.monitor.rebuild(ami.client)
        except AmiError:
            pass
