"""Queue definitions: ``queues/*.yaml``, one file per Asterisk queue, checked and typed.

A queue file says everything about one queue in one place: what Asterisk needs (strategy,
members, ring timeout, wrap-up, maximum length, announcements; rendered into queues.conf by
``ivr.queues.render``) and what the flow engine needs (the wait after which Queue() gives up,
the predicted wait above which a caller goes straight to the AI agent, the QUEUESTATUS values
that overflow, the opening hours, the keys that leave the queue). The admin edits YAML, never
queues.conf, so the two can never disagree; ``ivr queues render --check`` catches a forgotten
render.

Files are read like flow files (``ivr.flow.yaml_reader``): every problem at once, each as
``file:line: path: problem``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ivr.core.languages import LANGUAGES
from ivr.flow.hours import Hours
from ivr.flow.model import OVERFLOW_STATUSES, QUEUE_STATUSES
from ivr.flow.node_values import NodeValues
from ivr.flow.yaml_reader import Field, Problem, did_you_mean, join_path

__all__ = [
    "LEAVE_ACTIONS",
    "STRATEGIES",
    "QueueConfig",
    "QueueError",
    "agent_endpoints",
    "load_queues",
]

# app_queue.c, strategies[]: the names queues.conf accepts for "strategy".
STRATEGIES = (
    "ringall",
    "leastrecent",
    "fewestcalls",
    "random",
    "rrmemory",
    "linear",
    "wrandom",
    "rrordered",
)
# What a key pressed while waiting does; the flow routes KEY<digit> like a QUEUESTATUS.
LEAVE_ACTIONS = ("ai_agent", "callback")
# The [ivr-queue] extension pattern _[a-z].: at least two characters, so that the special
# one-letter extensions (h, i, s, t) are never queue names.
QUEUE_NAME = re.compile(r"[a-z][a-z0-9-]+")
HOLDTIME = ("yes", "no", "once")  # announce-holdtime
# The QUEUESTATUS values a queue may send to the AI agent (LONGWAIT: our predicted wait).
OVERFLOW_CHOICES = tuple(sorted(OVERFLOW_STATUSES))

QUEUE: dict[str, str] = {
    "name": "queue_name!",
    "description": "text!",
    "language": "language!",
    "strategy": "strategy!",
    "members": "agents",
    "dynamic_members": "agents",
    "ring_timeout": "seconds!",
    "retry": "seconds!",
    "wrapup": "seconds!",
    "max_wait": "seconds!",
    "max_length": "count!",
    "announcements": "announcements!",
    "overflow": "overflow!",
    "hours": "hours",
    "leave_keys": "leave_keys",
}
ANNOUNCEMENTS: dict[str, str] = {
    "position": "yes_no!",
    "hold_time": "holdtime!",
    "frequency": "seconds!",
    "periodic": "periodic",
}
PERIODIC: dict[str, str] = {"every": "seconds!", "text": "texts!"}
OVERFLOW: dict[str, str] = {"predicted_wait": "seconds", "to_ai_agent": "statuses!"}
HOURS: dict[str, str] = {"timezone": "zone!", "open": "weekly!", "holidays": "dates"}


@dataclass(frozen=True)
class QueueConfig:
    """One queue, as its file says. Times are whole seconds."""

    name: str
    file: str
    description: str
    language: str  # the caller language the queue serves (vi, zh, en)
    strategy: str
    members: tuple[str, ...]  # PJSIP endpoints always in the queue (static members)
    dynamic_members: tuple[str, ...]  # endpoints that may log in with *45 / QueueAdd
    ring_timeout: int  # ring one agent this long (queues.conf timeout)
    retry: int  # then wait this long before ringing again
    wrapup: int  # an agent's rest after a call (wrapuptime)
    max_wait: int  # Queue()'s own timeout: the IVR passes it as IVR_QUEUE_TIMEOUT
    max_length: int  # callers waiting at most (maxlen; 0: no limit)
    announce_position: bool
    announce_holdtime: str  # yes, no or once
    announce_frequency: int
    periodic_every: int = 0  # 0: no periodic announcement
    periodic_text: dict[str, str] = field(default_factory=dict)  # language -> text
    overflow_wait: float | None = None  # predicted wait (s) above which callers skip the queue
    overflow_statuses: frozenset[str] = frozenset()  # QUEUESTATUS values that go to the AI
    hours: Hours | None = None  # None: whenever the flow sends callers
    leave_keys: dict[str, str] = field(default_factory=dict)  # digit -> ai_agent | callback

    @property
    def periodic_sound(self) -> str:
        """The sound file (under sounds/<language>/) of the periodic announcement."""
        return f"hotline/{self.name}-periodic"

    @property
    def exit_context(self) -> str:
        """The dialplan context app_queue sends a caller who presses a leave key to."""
        return f"ivr-queue-keys-{self.name}"


class QueueError(Exception):
    """Queue files with problems; ``problems`` lists each one by file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def agent_endpoints(pjsip_conf: Path) -> set[str]:
    """The agent endpoints of pjsip.conf: the sections built from the [agent-endpoint]
    template (``[agent1001](agent-endpoint)``), the only interfaces a queue may ring."""
    names: set[str] = set()
    header = re.compile(r"\[([^\]]+)\]\(([^)]*)\)")
    for line in pjsip_conf.read_text(encoding="utf-8").splitlines():
        match = header.match(line.split(";", 1)[0].strip())
        if match and "agent-endpoint" in (b.strip() for b in match.group(2).split(",")):
            names.add(match.group(1))
    return names


def load_queues(directory: Path, agents: Collection[str] | None = None) -> dict[str, QueueConfig]:
    """Every ``*.yaml`` of ``directory`` by queue name; ``QueueError`` listing every problem.
    ``agents``: the endpoints members may name (None: not checked)."""
    queues: dict[str, QueueConfig] = {}
    problems: list[Problem] = []
    first_file: dict[str, tuple[str, int]] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        reader = _QueueReader(path.name, agents)
        queue = reader.read(path.read_text(encoding="utf-8"))
        problems += reader.problems
        if queue is None:
            continue
        if queue.name in first_file:
            where, line = first_file[queue.name]
            message = f"queue '{queue.name}' is also defined in {where} (line {line})"
            problems.append(Problem(path.name, reader.name_line, "name", message))
            continue
        first_file[queue.name] = (path.name, reader.name_line)
        queues[queue.name] = queue
    if problems:
        raise QueueError(problems)
    return queues


def _seconds_or_none(value: int | None) -> float | None:
    return None if value is None else float(value)


class _QueueReader(NodeValues):
    """One queue file. Reuses the flow readers of languages, time zones and hours."""

    def __init__(self, filename: str, agents: Collection[str] | None) -> None:
        super().__init__(filename, None)
        self.agents = set(agents) if agents is not None else None
        self.name_line = 1

    def read(self, text: str) -> QueueConfig | None:
        root = self.parse(text)
        if root is None:
            return None
        values = self.fields(self.pairs(root, "", "a mapping of queue settings"), QUEUE, "", "", 1)
        announcements = values.pop("announcements") or {}
        overflow = values.pop("overflow") or {}
        periodic = announcements.get("periodic") or {}
        members, dynamic = values["members"] or (), values["dynamic_members"] or ()
        both = sorted(set(members) & set(dynamic))
        if both:
            self.report(root, "dynamic_members", f"static members need not log in: {both}")
        if not members and not dynamic:
            self.report(root, "members", "no members and no dynamic_members: nobody answers")
        if self.problems:
            return None
        return QueueConfig(
            file=self.filename,
            name=values["name"],
            description=values["description"],
            language=values["language"],
            strategy=values["strategy"],
            members=tuple(members),
            dynamic_members=tuple(dynamic),
            ring_timeout=values["ring_timeout"],
            retry=values["retry"],
            wrapup=values["wrapup"],
            max_wait=values["max_wait"],
            max_length=values["max_length"],
            announce_position=announcements["position"],
            announce_holdtime=announcements["hold_time"],
            announce_frequency=announcements["frequency"],
            periodic_every=periodic.get("every") or 0,
            periodic_text=periodic.get("text") or {},
            overflow_wait=_seconds_or_none(overflow.get("predicted_wait")),
            overflow_statuses=frozenset(overflow.get("to_ai_agent") or ()),
            hours=values["hours"],
            leave_keys=values["leave_keys"] or {},
        )

    def section(self, field_: Field, path: str, spec: dict[str, str]) -> dict[str, Any]:
        pairs = self.pairs(field_[1], path, "a mapping")
        return self.fields(pairs, spec, path, "", field_[1])

    # -- the kinds of values ------------------------------------------------------------------
    def read_queue_name(self, field_: Field, path: str, owner: str) -> str:
        self.name_line = field_[0].start_mark.line + 1
        name = self.scalar(field_[1], path, "a queue name")
        if name and not QUEUE_NAME.fullmatch(name):
            message = (
                f"'{name}' is not a queue name: lowercase letters, digits and dashes, starting "
                "with a letter, at least two characters (the dialplan's _[a-z]. pattern)"
            )
            self.report(field_[1], path, message)
        return name

    def read_text(self, field_: Field, path: str, owner: str) -> str:
        return self.scalar(field_[1], path, "a text")

    def read_strategy(self, field_: Field, path: str, owner: str) -> str:
        strategy = self.scalar(field_[1], path, "a strategy")
        if strategy and strategy not in STRATEGIES:
            hint = did_you_mean(strategy, STRATEGIES, f" (one of {', '.join(STRATEGIES)})")
            self.report(field_[1], path, f"unknown strategy '{strategy}'{hint}")
        return strategy

    def read_agents(self, field_: Field, path: str, owner: str) -> tuple[str, ...]:
        names: list[str] = []
        for i, item in enumerate(self.items(field_[1], path, "a list of agent endpoints")):
            name = self.scalar(item, f"{path}.{i}", "an agent endpoint such as agent1001")
            if not name:
                continue
            if self.agents is not None and name not in self.agents:
                known = f" (pjsip.conf agents: {', '.join(sorted(self.agents))})"
                hint = did_you_mean(name, self.agents, known)
                self.report(item, f"{path}.{i}", f"'{name}' is not an agent endpoint{hint}")
            elif name in names:
                self.report(item, f"{path}.{i}", f"'{name}' is listed twice")
            names.append(name)
        return tuple(names)

    def read_seconds(self, field_: Field, path: str, owner: str) -> int:
        return self.whole(field_[1], path, "a whole number of seconds")

    def read_count(self, field_: Field, path: str, owner: str) -> int:
        return self.whole(field_[1], path, "a whole number (0: no limit)")

    def whole(self, node: yaml.Node, path: str, what: str) -> int:
        raw = node.value.strip() if isinstance(node, yaml.ScalarNode) else ""
        if re.fullmatch(r"-\d+", raw, re.ASCII):
            self.report(node, path, f"must not be negative ({raw})")
        elif not re.fullmatch(r"\d+", raw, re.ASCII):
            self.report(node, path, f"must be {what}, not '{raw}'" if raw else f"must be {what}")
        elif int(raw) > 86400:
            self.report(node, path, f"must be at most 86400, not {raw}")
        else:
            return int(raw)
        return 0

    def read_yes_no(self, field_: Field, path: str, owner: str) -> bool:
        node = field_[1]
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":bool"):
            return node.value.lower() in ("yes", "true", "on")
        self.report(node, path, "must be yes or no")
        return False

    def read_holdtime(self, field_: Field, path: str, owner: str) -> str:
        node = field_[1]
        raw = node.value.strip().lower() if isinstance(node, yaml.ScalarNode) else ""
        value = {"true": "yes", "on": "yes", "false": "no", "off": "no"}.get(raw, raw)
        if value not in HOLDTIME:
            self.report(node, path, "must be yes, no or once")
        return value

    def read_texts(self, field_: Field, path: str, owner: str) -> dict[str, str]:
        texts: dict[str, str] = {}
        for key, value in self.pairs(field_[1], path, "a mapping of language to text (vi: ...)"):
            key_path = join_path(path, key.value)
            if key.value not in LANGUAGES:
                choices = ", ".join(LANGUAGES)
                self.report(key, key_path, f"'{key.value}' is not a language ({choices})")
            elif text := self.scalar(value, key_path, "a text"):
                texts[str(key.value)] = text
        return texts

    def read_announcements(self, field_: Field, path: str, owner: str) -> dict[str, Any]:
        return self.section(field_, path, ANNOUNCEMENTS)

    def read_periodic(self, field_: Field, path: str, owner: str) -> dict[str, Any]:
        values = self.section(field_, path, PERIODIC)
        if values.get("every") == 0:
            self.report(field_[1], path, "every: must be above 0 (leave periodic out instead)")
        return values

    def read_overflow(self, field_: Field, path: str, owner: str) -> dict[str, Any]:
        return self.section(field_, path, OVERFLOW)

    def read_statuses(self, field_: Field, path: str, owner: str) -> tuple[str, ...]:
        statuses: list[str] = []
        for i, item in enumerate(self.items(field_[1], path, "a list of QUEUESTATUS values")):
            status = self.scalar(item, f"{path}.{i}", "a QUEUESTATUS")
            if status and status not in OVERFLOW_STATUSES:
                extra = " (CONTINUE means an agent answered)" if status in QUEUE_STATUSES else ""
                hint = did_you_mean(status, OVERFLOW_CHOICES, f" (one of {OVERFLOW_CHOICES})")
                self.report(item, f"{path}.{i}", f"'{status}' cannot overflow{extra}{hint}")
            statuses.append(status)
        return tuple(statuses)

    def read_hours(self, field_: Field, path: str, owner: str) -> Hours:
        values = self.section(field_, path, HOURS)
        zone = values["timezone"] or "UTC"
        self.zone = zone
        return Hours(zone, values["open"] or {}, values["holidays"] or frozenset())

    def read_leave_keys(self, field_: Field, path: str, owner: str) -> dict[str, str]:
        keys: dict[str, str] = {}
        for key, value in self.pairs(field_[1], path, 'a mapping of key to action ("1": ai_agent)'):
            key_path = join_path(path, key.value)
            if not re.fullmatch(r"[0-9]", str(key.value)):
                self.report(key, key_path, f"'{key.value}' is not one digit 0-9")
                continue
            action = self.scalar(value, key_path, "an action")
            if action and action not in LEAVE_ACTIONS:
                hint = did_you_mean(action, LEAVE_ACTIONS, f" (one of {', '.join(LEAVE_ACTIONS)})")
                self.report(value, key_path, f"unknown action '{action}'{hint}")
            keys[str(key.value)] = action
        return dict(sorted(keys.items()))
