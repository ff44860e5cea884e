"""The flow engine: walks a caller through a flow of ``dialplans/*.yaml``, one node at a time.

Every node ends by naming the next node (or none: the call ends). Prompts are spoken over an
AudioSocket media turn, keys are collected in the same turn, and a transfer to a queue hands
the call back to the dialplan (``IVR_QUEUE``), which re-enters here with the queue's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ivr.core.clock import Clock
from ivr.flow.hours import is_open
from ivr.flow.model import (
    OVERFLOW_STATUSES,
    Bands,
    Flow,
    HangupNode,
    HoursNode,
    LanguageNode,
    MenuNode,
    Node,
    NumberNode,
    PromptNode,
    QueueNode,
    ScriptNode,
)
from ivr.records.announcements import Announcements, for_language
from ivr.self_service.repeat_back import capture_number, choose
from ivr.tts.espeak import SynthesisError
from ivr.understanding.choice import Choice
from ivr.voice.answers import choice_of
from ivr.voice.call import Call, CallerHungUp, CallScript, VoiceServices
from ivr.voice.listen import listen
from ivr.voice.texts import BUILT_IN
from ivr.voice.turn import TurnResult, TurnSpec
from ivr.wire.channel_vars import IVR_FLOW, IVR_NODE, IVR_QUEUE, IVR_QUEUE_TIMEOUT

log = logging.getLogger(__name__)

NO_MATCH = "no-match"  # never a phone key
MAX_STEPS = 200  # a call that visits this many nodes is stuck in a loop of the flow


class FlowStuck(Exception):
    pass


class QueueLimits(Protocol):
    @property
    def overflow_wait(self) -> float | None:
        """Predicted wait (s) above which a caller does not join the queue."""


class WaitEstimates(Protocol):
    def estimated_wait(self, queue: str) -> float | None: ...


class FlowServices(VoiceServices, Protocol):
    """What the flow engine uses of the running IVR (``ivr.agi.services.Services`` has it)."""

    @property
    def clock(self) -> Clock: ...

    @property
    def announcements(self) -> Announcements: ...

    @property
    def scripts(self) -> Mapping[str, CallScript]: ...

    @property
    def queues(self) -> Mapping[str, QueueLimits]: ...

    @property
    def queue_monitor(self) -> WaitEstimates | None: ...

    def note(self, call_id: str, **facts: str) -> None: ...
    def note_tag(self, call_id: str, tag: str) -> None: ...
    def note_visit(self, call_id: str, flow: str, node: str) -> None: ...
    def note_language(self, call_id: str, language: str) -> None: ...


class FlowRun:
    """One call's walk through one flow."""

    def __init__(self, call: Call[FlowServices], flow: Flow, services: FlowServices) -> None:
        self.call = call
        self.flow = flow
        self.services = services
        self.language = flow.default_language
        self.path: list[str] = []
        self.outcome = "hangup"
        self.queue: str | None = None
        self.announce_first = True  # a new call; False when it comes back from a queue
        self._announced: set[str] = set()  # languages of the announcement heard so far
        call.notes.timezone = call.notes.timezone or flow.timezone
        self._handlers: dict[type, Callable[[Any], str | None]] = {
            PromptNode: self._prompt,
            MenuNode: self._menu,
            LanguageNode: self._language,
            HoursNode: self._hours,
            QueueNode: self._queue,
            ScriptNode: self._script,
            NumberNode: self._number,
            HangupNode: self._hangup,
        }

    # -- walking --------------------------------------------------------------------------
    def walk(self, node_id: str | None) -> None:
        if self.announce_first:
            self.announce_first = False
            self.announce()
        steps = 0
        while node_id is not None:
            steps += 1
            if steps > MAX_STEPS:
                raise FlowStuck(f"flow {self.flow.id} visited {MAX_STEPS} nodes without ending")
            node = self.flow.node(node_id)
            self._enter(node)
            node_id = self._handlers[type(node)](node)
        if self.outcome == "hangup" and not self.call.hung_up:
            self.call.hangup()

    def resume_after_queue(self, node_id: str, status: str) -> None:
        node = self.flow.node(node_id)
        if not isinstance(node, QueueNode):
            raise ValueError(f"IVR_NODE {node_id!r} of flow {self.flow.id} is not a queue node")
        self.call.verbose(f"ivr: queue {node.queue} returned {status or 'no status'}", 3)
        self.announce_first = False
        self.walk(self._left_queue(node, status))

    def _left_queue(self, node: QueueNode, status: str) -> str:
        status = status.strip().upper()
        self.call.notes.queue_status = status
        if status in OVERFLOW_STATUSES:
            self.tag("overflow")
        elif status.startswith("KEY"):
            self.tag("left-queue")
        return node.route_for(status)

    def tag(self, tag: str) -> None:
        """Why the call went where it did ("after-hours", "overflow"): kept for the scripts
        that follow (the AI agent's greeting) and in the call record."""
        tags = self.call.notes.tags
        if tag not in tags:
            tags.append(tag)
        self.services.note_tag(self.call.id, tag)

    def _enter(self, node: Node) -> None:
        self.path.append(node.id)
        self.call.verbose(f"ivr: node {node.id} ({type(node).__name__})", 3)
        self.services.note_visit(self.call.id, self.flow.id, node.id)

    # -- speech out -----------------------------------------------------------------------
    def audio(self, text: str, language: str | None = None) -> bytes:
        return self.services.prompts.audio(text, language or self.language)

    def say(
        self, texts: list[str], spec: TurnSpec | None = None, language: str | None = None
    ) -> TurnResult:
        """Speak texts (in ``language``, by default the caller's) in one media turn."""
        for text in texts:
            self.call.verbose(f'ivr: say "{text}"', 3)
        return self.call.turn(b"".join(self.audio(t, language) for t in texts), spec)

    def text(self, texts: dict[str, str] | None, fallback: str) -> str:
        if texts and self.language in texts:
            return texts[self.language]
        return BUILT_IN[fallback][self.language]

    def announce(self) -> None:
        """The emergency announcement, when one is on: in the caller's language (else the
        flow's default, else any), each language's text once per call. Play-only: no key
        skips it. A failure to read it is logged and the call goes on."""
        if self.language in self._announced:
            return
        try:
            texts = self.services.announcements.current(self.services.clock())
        except Exception as exc:
            log.error("call %s: announcement not read: %s", self.call.id, exc)
            return
        if not texts:
            return
        language, text = for_language(texts, self.language, self.flow.default_language)
        self._announced.add(self.language)
        if language in self._announced and language != self.language:
            return
        self._announced.add(language)
        self.call.verbose(f"ivr: announcement in {language}", 3)
        try:
            self.say([text], language=language)
        except SynthesisError as exc:  # the flow still runs: its own prompts may be cached
            log.error("call %s: announcement in %s not spoken: %s", self.call.id, language, exc)

    # -- node types -----------------------------------------------------------------------
    def _prompt(self, node: PromptNode) -> str | None:
        self.say([node.prompt[self.language]])
        return node.next

    def _ask(
        self,
        texts: list[str],
        options: dict[str, str],
        timeout: float,
        retries: int,
        invalid: dict[str, str] | None,
        no_input: dict[str, str] | None,
        phrases: dict[str, str] | None = None,
        bands: Bands | None = None,
    ) -> str | None:
        """Play the menu, up to 1 + retries times; the chosen key, or None when it failed.

        With ``phrases`` (phrase -> key) the caller may also answer by voice: an answer in
        words is taken, confirmed first or asked again as ``bands`` say."""
        preface: list[str] = []
        for _attempt in range(retries + 1):
            key = self._hear(preface + texts, timeout, phrases or {}, bands or Bands())
            if key in options:
                return key
            if key == NO_MATCH:
                preface = [self.text(None, "no_match")]
            elif key:
                preface = [self.text(invalid, "invalid")]
            else:
                preface = [self.text(no_input, "timeout")]
        return None

    def _hear(self, texts: list[str], timeout: float, phrases: dict[str, str], bands: Bands) -> str:
        """One try of a menu: the key chosen by keypress or by voice, "" for no answer, or
        ``NO_MATCH`` for speech that named no option surely enough (or was denied)."""
        if not phrases:
            result = self.say(texts, TurnSpec(max_digits=1, timeout=timeout))
            return result.digits if result.status == "digits" else ""
        for text in texts:
            self.call.verbose(f'ivr: say "{text}"', 3)
        audio = b"".join(self.audio(t) for t in texts)
        heard = listen(
            self.call,
            audio,
            grammar=list(phrases),
            no_input_timeout=timeout,
            language=self.language,
        )
        if heard.status == "digits":
            return heard.digits
        if heard.status not in ("speech", "no-match"):
            return ""
        choice = choice_of(heard, phrases, self.language)
        band = choice.band(bands.act, bands.confirm)
        self.call.verbose(f"ivr: answer {choice.key or '-'} ({choice.score:.2f}: {band})", 3)
        if band == "act" and choice.key is not None:
            return choice.key
        if band == "confirm" and choice.key is not None and self._confirmed(choice, phrases):
            return choice.key
        return NO_MATCH

    def _confirmed(self, choice: Choice, phrases: dict[str, str]) -> bool:
        """ "Did you want <the option>?" The option is named by its first phrase."""
        name = next(phrase for phrase, key in phrases.items() if key == choice.key)
        question = BUILT_IN["confirm_option"][self.language].format(option=name)
        return choose(self.call, question, "confirm", "12", tries=1) == "1"

    def _menu(self, node: MenuNode) -> str | None:
        key = self._ask(
            [node.prompt[self.language]],
            node.options,
            node.timeout,
            node.retries,
            node.invalid_prompt,
            node.timeout_prompt,
            node.phrases(self.language),
            node.understanding,
        )
        if key is None:
            self.call.verbose(f"ivr: menu {node.id} failed after {node.retries + 1} tries", 3)
            return node.on_failure
        self.call.verbose(f"ivr: menu {node.id} key {key}", 3)
        return node.options[key]

    def _language(self, node: LanguageNode) -> str | None:
        """Each language's line in its own voice; the chosen key sets the call's language."""
        spec = TurnSpec(max_digits=1, timeout=node.timeout)
        lines = [(lang, node.prompt[lang]) for lang in self.flow.languages]
        audio = b"".join(self.audio(text, lang) for lang, text in lines)
        chosen = None
        for _attempt in range(node.retries + 1):
            for _lang, text in lines:
                self.call.verbose(f'ivr: say "{text}"', 3)
            result = self.call.turn(audio, spec)
            if result.status == "digits" and result.digits in node.options:
                chosen = node.options[result.digits]
                break
        self.set_language(chosen or self.flow.default_language)
        self.announce()
        return node.next

    def set_language(self, language: str) -> None:
        self.language = language
        self.call.set_language(language)
        self.call.verbose(f"ivr: language {language}", 3)
        self.services.note_language(self.call.id, language)

    def _hours(self, node: HoursNode) -> str | None:
        now = self.services.clock()
        open_now = is_open(node.hours, now)
        self.call.verbose(f"ivr: hours {node.id}: {'open' if open_now else 'closed'}", 3)
        if not open_now:
            self.tag("after-hours")
        return node.if_open if open_now else node.if_closed

    def _queue(self, node: QueueNode) -> str | None:
        """Hand the call to the dialplan's Queue(); it comes back with QUEUESTATUS. When the
        live queue state predicts a wait above the queue's overflow threshold, the call does
        not join: it takes the LONGWAIT route at once."""
        call = self.call
        wait, limit = predicted_wait(self.services, node.queue)
        if wait is not None and limit is not None and wait > limit:
            call.verbose(f"ivr: queue {node.queue}: predicted wait {wait:.0f} s > {limit} s", 3)
            return self._left_queue(node, "LONGWAIT")
        self.services.note(call.id, handled_by="human")
        call.set_variable(IVR_FLOW, self.flow.id)
        call.set_variable(IVR_NODE, node.id)
        call.set_variable(IVR_QUEUE_TIMEOUT, str(node.timeout))
        call.set_variable(IVR_QUEUE, node.queue)
        self.outcome = "queue"
        self.queue = node.queue
        return None

    def _script(self, node: ScriptNode) -> str | None:
        script = self.services.scripts[node.script]
        outcome = script.run(self.call)
        self.call.verbose(f"ivr: script {node.script} ended: {outcome or 'done'}", 3)
        return node.route_for(outcome)

    def _number(self, node: NumberNode) -> str | None:
        """A number read back and confirmed, kept in ``call.notes.numbers`` (never logged)."""
        number = capture_number(
            self.call,
            node.prompt[self.language],
            node.digits,
            self.text(None, "wrong_length"),
            tries=node.retries + 1,
        )
        if number is None:
            self.call.verbose(f"ivr: number {node.id} not given", 3)
            return node.on_failure
        self.call.notes.numbers[node.save_as] = number
        self.call.verbose(f"ivr: number {node.id}: {len(number)} digits confirmed", 3)
        return node.next

    def _hangup(self, node: HangupNode) -> str | None:
        if node.prompt:
            self.say([node.prompt[self.language]])
        return None

    def apologise(self) -> None:
        """The spoken fallback: a caller never hears silence because of an error.

        If our own speech is what failed (no TTS, no media session), Asterisk's core sounds
        say it instead.
        """
        try:
            self.say([BUILT_IN["apology"][self.language]])
        except CallerHungUp:
            raise
        except Exception as exc:
            log.error("call %s: spoken apology failed (%s); playing core sounds", self.call.id, exc)
            self.call.stream_file("im-sorry")
            self.call.stream_file("please-try-again")


def predicted_wait(services: FlowServices, queue: str) -> tuple[float | None, float | None]:
    """(the live state's estimate of a new caller's wait, the queue's overflow threshold),
    either None when unknown (no AMI, no threshold): then the caller simply queues."""
    monitor = services.queue_monitor
    config = services.queues.get(queue)
    limit = config.overflow_wait if config is not None else None
    if monitor is None or limit is None:
        return None, limit
    try:
        wait: float | None = monitor.estimated_wait(queue)
    except Exception as exc:  # live state down: queue as usual
        log.error("queue %s: no wait estimate: %s", queue, exc)
        return None, limit
    return wait, limit
