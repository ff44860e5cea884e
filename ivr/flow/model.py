"""What a flow is once its file has been checked: plain frozen values for the flow engine.

A flow is a graph of nodes, each naming the node that comes next (``None``: the call ends).
Every reference has been checked by the loader, so ``Flow.node`` of any id found in a node of
the flow succeeds; every text has a version for every language of the flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ivr.flow.hours import Hours
from ivr.understanding.choice import ACT, CONFIRM

# The values Asterisk's Queue() leaves in ${QUEUESTATUS} when the caller comes back unanswered.
QUEUE_STATUSES = frozenset(
    {"TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "CONTINUE"}
    | {"UNKNOWN", "WITHDRAW"}
    # Not Asterisk's: the caller left the queue with a key (KEY1: the dialplan's
    # [ivr-queue-exit] context), and the live state's predicted wait was above the queue's
    # overflow threshold before the caller joined (LONGWAIT: the call never queued).
    | {f"KEY{key}" for key in "0123456789*#"}
    | {"LONGWAIT"}
)
# Statuses that mean "no agent in time": the call overflows (to the AI agent in the sample).
OVERFLOW_STATUSES = frozenset(
    {"TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "LONGWAIT"}
)

DTMF_KEYS = frozenset("0123456789*#")

Text = dict[str, str]
"""One text in every language of its flow: language code -> non-empty text."""


@dataclass(frozen=True)
class PromptNode:
    """Say something; go on to ``next``, or hang up when it is ``None``."""

    id: str
    prompt: Text
    next: str | None


@dataclass(frozen=True)
class Bands:
    """How sure an answer in words must be (``ivr.understanding.choice``, 0..1): ``act`` or
    more, the option is taken; ``confirm`` or more, the caller is asked "Did you want ...?";
    less, the menu is asked again."""

    act: float = ACT
    confirm: float = CONFIRM


@dataclass(frozen=True)
class MenuNode:
    """Ask for one key, or a phrase: ``options`` maps key -> node, ``speech`` maps key ->
    language -> phrases that choose the same option. After ``1 + retries`` failed tries
    (timeout, a key not in ``options``, speech that matched nothing) the call goes to
    ``on_failure``."""

    id: str
    prompt: Text
    options: dict[str, str]
    timeout: float
    retries: int
    invalid_prompt: Text | None
    timeout_prompt: Text | None
    on_failure: str
    speech: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    understanding: Bands = field(default_factory=Bands)

    def phrases(self, language: str) -> dict[str, str]:
        """Phrase -> key for the options that can be chosen by speech in ``language``."""
        return {
            phrase: key
            for key, per_language in self.speech.items()
            for phrase in per_language.get(language, ())
        }


@dataclass(frozen=True)
class LanguageNode:
    """Offer the languages, each line in its own language and voice (in the order of the
    flow's ``languages``); ``options`` maps key -> language. When every try fails the flow's
    default language is kept. Either way the call goes on to ``next``."""

    id: str
    prompt: Text
    options: dict[str, str]
    timeout: float
    retries: int
    next: str


@dataclass(frozen=True)
class HoursNode:
    """Branch on business hours at the moment the caller reaches this node."""

    id: str
    hours: Hours
    if_open: str
    if_closed: str


@dataclass(frozen=True)
class QueueNode:
    """Hand the call to Asterisk's ``Queue(queue)`` for at most ``timeout`` seconds. If nobody
    answers, the dialplan re-enters the flow with ${QUEUESTATUS}; ``route_for`` picks the node."""

    id: str
    queue: str
    timeout: int
    on_overflow: str
    overflow: dict[str, str]

    def route_for(self, status: str) -> str:
        """The node for a QUEUESTATUS value: its own route in ``overflow``, else
        ``on_overflow`` (also for an empty or unexpected status)."""
        return self.overflow.get(status.strip().upper(), self.on_overflow)


@dataclass(frozen=True)
class ScriptNode:
    """Run a registered AGI script (``ivr/agi_scripts/<script>.py``) on the call. The script
    ends with an outcome ("ok", "locked", "agent", ...): ``routes`` maps outcomes to nodes;
    any other outcome goes on to ``next``, or hangs up when it is ``None``."""

    id: str
    script: str
    next: str | None
    routes: dict[str, str] = field(default_factory=dict)

    def route_for(self, outcome: str | None) -> str | None:
        return self.routes.get(outcome or "", self.next)


@dataclass(frozen=True)
class NumberNode:
    """Ask for a number (keyed in or said), read it back for the caller to confirm, and keep
    it for the steps after (``call.notes.numbers[save_as]``). ``digits`` lists the accepted lengths.
    After ``1 + retries`` entries without a confirmed number the call goes to ``on_failure``."""

    id: str
    prompt: Text
    digits: tuple[int, ...]
    save_as: str
    retries: int
    next: str
    on_failure: str


@dataclass(frozen=True)
class HangupNode:
    """Say ``prompt`` if there is one, then hang up."""

    id: str
    prompt: Text | None


Node = (
    PromptNode
    | MenuNode
    | LanguageNode
    | HoursNode
    | QueueNode
    | ScriptNode
    | NumberNode
    | HangupNode
)

NODE_TYPES: dict[str, type[Any]] = {
    "prompt": PromptNode,
    "menu": MenuNode,
    "language": LanguageNode,
    "hours": HoursNode,
    "queue": QueueNode,
    "script": ScriptNode,
    "number": NumberNode,
    "hangup": HangupNode,
}


@dataclass(frozen=True)
class Flow:
    """One flow file: the numbers it answers, its languages and its nodes.

    ``source`` is the file it was read from (the ``filename`` given to ``check_text``)."""

    id: str
    numbers: tuple[str, ...]
    languages: tuple[str, ...]
    default_language: str
    timezone: str
    start: str
    nodes: dict[str, Node]
    source: str

    def node(self, node_id: str) -> Node:
        """The node ``node_id``; ``KeyError`` naming the flow when there is none."""
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"flow {self.id} has no node {node_id!r}") from None

    def prompt_texts(self) -> list[tuple[str, str]]:
        """Every (language, text) the flow can say, once each, in file order: for
        pre-rendering the prompts. The engine's built-in fallback texts are not included."""
        seen: dict[tuple[str, str], None] = {}
        for node in self.nodes.values():
            for name in ("prompt", "invalid_prompt", "timeout_prompt"):
                texts: Text | None = getattr(node, name, None)
                for language, text in (texts or {}).items():
                    seen.setdefault((language, text), None)
        return list(seen)


class FlowSet:
    """The flows in force, found by dialled number or by id; iterates in file order.
    The loader has checked that no number or id is claimed twice."""

    def __init__(self, flows: Iterable[Flow] = ()) -> None:
        self._flows = {flow.id: flow for flow in flows}
        self._by_number = {n: flow for flow in self._flows.values() for n in flow.numbers}

    def for_number(self, number: str) -> Flow | None:
        return self._by_number.get(number.strip())

    def get(self, flow_id: str) -> Flow | None:
        return self._flows.get(flow_id)

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._flows.values())

    def __len__(self) -> int:
        return len(self._flows)

    def __repr__(self) -> str:
        return f"FlowSet({', '.join(self._flows)})"
