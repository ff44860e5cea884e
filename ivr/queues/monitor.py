"""Live queue and agent state from AMI events, for the flow engine, the wallboard and the
callback dialer; queue calls and agent events recorded in the database on the way.

Keys in the shared live state (``ivr.core.live_state``; values are strings, JSON where noted):

* ``queues`` (hash): queue name -> ``"1"`` for every queue seen.
* ``queue:<name>`` (hash): ``waiting``, ``longest_wait_since`` (epoch seconds, ``""`` when
  nobody waits), ``agents_logged_in``, ``agents_free``, ``agents_busy`` (in use or ringing),
  ``agents_paused``, ``answered_today``, ``abandoned_today`` (the hotline's local day),
  ``avg_hold_s`` and ``avg_talk_s`` (means of the last 20 answered calls, ``""`` before any),
  ``asterisk_holdtime`` and ``asterisk_talktime`` (app_queue's own averages from QueueParams),
  ``day`` (the local date the counters are for).
* ``queue:<name>:callers`` (hash): Uniqueid -> JSON ``{"position", "joined", "caller"}``
  (``caller`` masked: the wallboard needs no full number).
* ``queue:<name>:members`` (hash): member name -> JSON ``{"interface", "state", "paused",
  "reason", "calls_taken"}``.
* ``agents`` (hash): member name -> JSON ``{"state", "paused", "pause_reason", "queues",
  "calls_taken", "since"}``; state is ``not-in-use``, ``in-use``, ``ringing`` or
  ``unavailable``.

Nothing here is counted by adding one per event: counters come from the database rows (each
written at most once, see ``ivr.queues.records``) and everything else is set, not added. So an
event seen twice, or a reconnect's QueueStatus snapshot that overlaps events already handled,
counts nothing twice. ``rebuild`` (run on every AMI login) replaces the live state with
Asterisk's own view, then re-applies the events that arrived after that view was taken.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from ivr.core.db import Database
from ivr.core.languages import LANGUAGES
from ivr.core.live_state import LiveState
from ivr.core.privacy import mask_number
from ivr.queues.records import QueueRecords
from ivr.records.callbacks import CallbackList
from ivr.wire.ami import Message

log = logging.getLogger(__name__)

QUEUES = "queues"
AGENTS = "agents"
# AST_DEVICE_* (Status: of QueueMember*) -> our agent state. Unknown counts as free, as
# app_queue itself rings members whose device state is unknown.
STATES = {
    0: "not-in-use",
    1: "not-in-use",
    2: "in-use",
    3: "in-use",
    4: "unavailable",
    5: "unavailable",
    6: "ringing",
    7: "ringing",
    8: "in-use",
}
CALLER_GONE = ("QueueCallerLeave", "QueueCallerAbandon", "AgentConnect")
MEMBER_EVENTS = ("QueueMemberStatus", "QueueMemberAdded", "QueueMemberPause", "QueueMemberRemoved")


class ListsActions(Protocol):
    def actions_list(
        self, name: str, timeout: float | None = None, **fields: Any
    ) -> list[Message]: ...


def queue_key(queue: str) -> str:
    return f"queue:{queue}"


class QueueMonitor:
    def __init__(
        self,
        state: LiveState,
        database: Database,
        clock: Callable[[], datetime],
        zone: str = "Asia/Ho_Chi_Minh",
        callbacks: CallbackList | None = None,
        default_language: str = "vi",
    ) -> None:
        self.state = state
        self.clock = clock
        self.records = QueueRecords(database, clock, zone)
        self.callbacks = callbacks if callbacks is not None else CallbackList(database, clock)
        self.default_language = default_language
        self.listeners: list[Callable[[], None]] = []  # told after any change (the dialer)
        self._lock = threading.RLock()
        self._rebuilding = False
        self._replay: list[Message] = []

    # -- events -----------------------------------------------------------------------------

    def handle(self, event: Message) -> None:
        """One AMI event: the database first (idempotent), then the live state."""
        name = event.event
        if name not in CALLER_GONE + MEMBER_EVENTS + ("QueueCallerJoin", "AgentComplete"):
            return
        with self._lock:
            self._record(event)
            self._live(event)
            if self._rebuilding:
                self._replay.append(event)
            self._refresh(event.get("Queue", ""))
        self._notify()

    def _record(self, e: Message) -> None:
        name, queue, uid = e.event, e.get("Queue", ""), e.get("Uniqueid", "")
        caller, agent = e.get("CallerIDNum", ""), e.get("MemberName", "")
        r = self.records
        if name == "QueueCallerJoin":
            r.joined(uid, queue, caller, e.integer("Position"))
        elif name == "AgentConnect":
            r.connected(uid, queue, caller, agent, e.integer("HoldTime"))
        elif name == "AgentComplete":
            r.completed(uid, queue, caller, agent, e.integer("HoldTime"), e.integer("TalkTime"))
        elif name == "QueueCallerAbandon":
            if r.abandoned(uid, queue, caller, e.integer("HoldTime")):
                self._call_back(e)
        elif name == "QueueCallerLeave":
            r.left(uid, queue)
        elif name == "QueueMemberAdded":
            r.agent_event(agent, queue, "login")
        elif name == "QueueMemberRemoved":
            r.agent_event(agent, queue, "logout")
        elif name == "QueueMemberPause":
            paused = e.get("Paused") == "1"
            reason = e.get("PausedReason", e.get("Reason", "")) if paused else ""
            r.agent_event(agent, queue, "pause" if paused else "unpause", reason)

    def _call_back(self, e: Message) -> None:
        number = e.get("CallerIDNum", "")
        if not number.lstrip("+").isdigit():
            return  # anonymous or "<unknown>": nobody to call back
        language = e.get("Language", "")
        language = language if language in LANGUAGES else self.default_language
        day = self.clock().astimezone(self.records.zone).date()
        booked = self.callbacks.request(
            number, day, "abandoned", language, e.get("Uniqueid"), queue=e.get("Queue")
        )
        log.info(
            "queue %s: abandoned call from %s -> callback %d (%s)",
            e.get("Queue"),
            mask_number(number),
            booked.id,
            "new" if booked.new else "already booked today",
        )

    def _live(self, e: Message) -> None:
        name, queue = e.event, e.get("Queue", "")
        if not queue:
            return
        self.state.hset(QUEUES, queue, "1")
        callers = f"{queue_key(queue)}:callers"
        if name == "QueueCallerJoin":
            if self.state.hget(callers, e.get("Uniqueid", "")) is not None:
                return  # seen already (a repeated event): keep the position and time we have
            entry = {
                "position": e.integer("Position"),
                "joined": self.clock().timestamp(),
                "caller": mask_number(e.get("CallerIDNum")),
            }
            self.state.hset(callers, e.get("Uniqueid", ""), json.dumps(entry))
        elif name in CALLER_GONE:
            self._caller_gone(callers, e.get("Uniqueid", ""))
        elif name in MEMBER_EVENTS:
            self._member(queue, e.get("MemberName", ""), e, removed=name == "QueueMemberRemoved")

    def _caller_gone(self, callers: str, uid: str) -> None:
        gone = self.state.hget(callers, uid)
        if gone is None:
            return
        self.state.hdel(callers, uid)
        position = json.loads(gone)["position"]
        for other, raw in self.state.hgetall(callers).items():  # app_queue moves the rest up
            entry = json.loads(raw)
            if entry["position"] > position:
                entry["position"] -= 1
                self.state.hset(callers, other, json.dumps(entry))

    def _member(self, queue: str, name: str, e: Message, removed: bool = False) -> None:
        members = f"{queue_key(queue)}:members"
        if removed:
            self.state.hdel(members, name)
        else:
            info = {
                "interface": e.get("Interface", e.get("Location", "")),
                "state": STATES.get(e.integer("Status", 0), "not-in-use"),
                "paused": e.get("Paused") == "1",
                "reason": e.get("PausedReason", ""),
                "calls_taken": e.integer("CallsTaken"),
            }
            self.state.hset(members, name, json.dumps(info))
        self._agent(name)

    def _agent(self, name: str) -> None:
        """The agent's entry across all queues they are a member of."""
        found = []
        for queue in self.state.hgetall(QUEUES):
            raw = self.state.hget(f"{queue_key(queue)}:members", name)
            if raw is not None:
                found.append((queue, json.loads(raw)))
        if not found:
            self.state.hdel(AGENTS, name)
            return
        state = found[-1][1]["state"]
        old = json.loads(self.state.hget(AGENTS, name) or "{}")
        paused = [info for _, info in found if info["paused"]]
        entry = {
            "state": state,
            "paused": bool(paused),
            "pause_reason": paused[0]["reason"] if paused else "",
            "queues": sorted(queue for queue, _ in found),
            "calls_taken": sum(info["calls_taken"] for _, info in found),
            "since": old.get("since") if old.get("state") == state else self.clock().timestamp(),
        }
        self.state.hset(AGENTS, name, json.dumps(entry))

    def _refresh(self, queue: str) -> None:
        """Recount a queue's hash from its callers, members and database rows."""
        if not queue:
            return
        key = queue_key(queue)
        callers = [json.loads(v) for v in self.state.hgetall(f"{key}:callers").values()]
        members = [json.loads(v) for v in self.state.hgetall(f"{key}:members").values()]
        working = [m for m in members if not m["paused"] and m["state"] != "unavailable"]
        values: dict[str, Any] = {
            "waiting": len(callers),
            "longest_wait_since": min((c["joined"] for c in callers), default=""),
            "agents_logged_in": len(members),
            "agents_free": sum(m["state"] == "not-in-use" for m in working),
            "agents_busy": sum(m["state"] in ("in-use", "ringing") for m in working),
            "agents_paused": sum(m["paused"] for m in members),
            "day": self.clock().astimezone(self.records.zone).date().isoformat(),
            **self.records.stats(queue),
        }
        for field, value in values.items():
            self.state.hset(key, field, "" if value is None else str(value))

    def _notify(self) -> None:
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                log.exception("queue state listener failed")

    # -- rebuild on (re)connect -------------------------------------------------------------

    def rebuild(self, client: ListsActions) -> None:
        """Replace the live state with Asterisk's QueueStatus; record what changed meanwhile."""
        with self._lock:
            self._rebuilding, self._replay = True, []
        try:
            started = self.clock()
            items = client.actions_list("QueueStatus")
            with self._lock:
                self._apply_snapshot(items, started)
                taken = max((item.seq for item in items), default=0)
                for event in self._replay:
                    if event.seq > taken:  # came after Asterisk's view: apply it again
                        self._live(event)
                for queue in self.state.hgetall(QUEUES):
                    self._refresh(queue)
        finally:
            with self._lock:
                self._rebuilding, self._replay = False, []
        self._notify()

    def _apply_snapshot(self, items: list[Message], started: datetime) -> None:
        known = set(self.state.hgetall(QUEUES))
        queues = {i.get("Queue", "") for i in items if i.event == "QueueParams"}
        for queue in known - queues:
            self._forget(queue)
        for params in (i for i in items if i.event == "QueueParams"):
            queue = params.get("Queue", "")
            key = queue_key(queue)
            old = {n: json.loads(v) for n, v in self.state.hgetall(f"{key}:members").items()}
            self._forget(queue)
            self.state.hset(QUEUES, queue, "1")
            self.state.hset(key, "asterisk_holdtime", params.get("Holdtime", ""))
            self.state.hset(key, "asterisk_talktime", params.get("TalkTime", ""))
            members = [i for i in items if i.event == "QueueMember" and i.get("Queue") == queue]
            entries = [i for i in items if i.event == "QueueEntry" and i.get("Queue") == queue]
            for m in members:
                name = m.get("Name") or m.get("MemberName", "")
                self._member(queue, name, m)
                if queue in known:
                    self._member_changes(
                        queue, name, old.pop(name, None), m.get("Paused") == "1", m
                    )
            for name in old if queue in known else []:  # gone while we were away
                self.records.agent_event(name, queue, "logout")
                self._agent(name)
            for entry in entries:
                uid, wait = entry.get("Uniqueid", ""), entry.integer("Wait")
                self.records.joined(
                    uid, queue, entry.get("CallerIDNum", ""), entry.integer("Position"), wait
                )
                info = {
                    "position": entry.integer("Position"),
                    "joined": started.timestamp() - wait,
                    "caller": mask_number(entry.get("CallerIDNum")),
                }
                self.state.hset(f"{key}:callers", uid, json.dumps(info))
            present = {entry.get("Uniqueid", "") for entry in entries}
            self.records.close_missing(queue, present, started)

    def _member_changes(
        self, queue: str, name: str, old: dict[str, Any] | None, paused: bool, m: Message
    ) -> None:
        if old is None:
            self.records.agent_event(name, queue, "login")
        if old is None and not paused:
            return
        if old is None or old["paused"] != paused:
            self.records.agent_event(
                name, queue, "pause" if paused else "unpause", m.get("PausedReason", "")
            )

    def _forget(self, queue: str) -> None:
        key = queue_key(queue)
        for name in self.state.hgetall(f"{key}:members"):
            self.state.hdel(f"{key}:members", name)
            self._agent(name)
        for suffix in ("", ":callers", ":members"):
            self.state.delete(key + suffix)
        self.state.hdel(QUEUES, queue)

    # -- reading ----------------------------------------------------------------------------

    def queue(self, name: str) -> dict[str, str]:
        return self.state.hgetall(queue_key(name))

    def estimated_wait(self, queue: str) -> float | None:
        """Seconds a caller joining ``queue`` now would likely wait; None when unknown.

        With ``n`` agents taking calls (free or busy, not paused) each freeing up about every
        ``avg_talk_s``, the queue serves ``n / avg_talk_s`` callers a second; a new caller has
        ``waiting + 1 - free`` callers to be served before a free agent is theirs. Ignoring that
        busy agents are part-way through their calls errs on the long side, which is the safe
        side for offering the AI agent. Without talk times yet, app_queue's own average hold
        time (QueueParams ``Holdtime``) is the estimate. Nobody to take calls: infinity.
        """
        info = self.queue(queue)
        if not info:
            return None
        free, busy = int(info.get("agents_free") or 0), int(info.get("agents_busy") or 0)
        waiting = int(info.get("waiting") or 0)
        if free > waiting:
            return 0.0
        if free + busy == 0:
            return math.inf
        talk = _number(info.get("avg_talk_s")) or _number(info.get("asterisk_talktime"))
        if talk:
            return round((waiting + 1 - free) / (free + busy) * talk, 1)
        return _number(info.get("asterisk_holdtime"))

    def free_agents(self, queue: str) -> int:
        return int(self.queue(queue).get("agents_free") or 0)

    def waiting(self, queue: str) -> int:
        return int(self.queue(queue).get("waiting") or 0)

    def snapshot(self) -> dict[str, Any]:
        """Everything a wallboard shows, as plain JSON-able data."""
        today = self.clock().astimezone(self.records.zone).date().isoformat()
        queues: dict[str, Any] = {}
        for name in sorted(self.state.hgetall(QUEUES)):
            if self.queue(name).get("day") != today:  # a new day: zero the day's counters
                with self._lock:
                    self._refresh(name)
            key = queue_key(name)
            callers = {u: json.loads(v) for u, v in self.state.hgetall(f"{key}:callers").items()}
            queues[name] = {
                **self.queue(name),
                "callers": sorted(callers.values(), key=lambda c: c["position"]),
                "estimated_wait": self.estimated_wait(name),
            }
        agents = {n: json.loads(v) for n, v in self.state.hgetall(AGENTS).items()}
        return {"at": self.clock().isoformat(), "queues": queues, "agents": agents}


def _number(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if value > 0 else None
