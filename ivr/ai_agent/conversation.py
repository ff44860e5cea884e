"""The AI voice agent's conversation: a loop of listening turns until the caller is served.

Each turn the caller asks a question (answered from the knowledge base when retrieval is sure
enough, never invented; when it is only fairly sure, the agent first asks once "Do you mean:
<the entry's question>?" and answers on a yes), asks for something (an agent, a message, a
call back, the balance), or says they are done. What the agent cannot settle ends as a ticket,
a call back or an agent: never a dead end. Two questions it could not answer (a "no" to "Do
you mean" counts as one), two turns it could not hear, a question asked again, or an angry
caller, and it offers a person's help. Every question is logged with its scores (digits
masked) for the knowledge base's editors.

Outcomes: "agent" (the flow routes to its queue), "ticket", "callback", "done", "failed".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ivr.ai_agent.intents import detect
from ivr.ai_agent.message import take_message
from ivr.ai_agent.texts import say
from ivr.core.phone import is_mobile, normalize_phone
from ivr.core.privacy import mask_digits_in, mask_number
from ivr.self_service.help import book_callback
from ivr.self_service.repeat_back import choose
from ivr.voice.listen import listen

if TYPE_CHECKING:
    from ivr.ai_agent.services import AgentCall
    from ivr.kb.hybrid import Decision
    from ivr.kb.retrieval import Hit
    from ivr.voice.listen import Heard

log = logging.getLogger(__name__)

MAX_TURNS = 12  # a conversation longer than this goes to a person
QUESTION_TIMEOUT = 8.0
MAX_QUESTION = 20.0  # seconds of speech in one question
CLARIFY_TRIES = 2  # "Do you mean ...?" asked again once when no yes or no is heard
STEERING = ("agent", "anger", "message", "callback", "balance")


@dataclass
class Conversation:
    call: AgentCall
    agents_open: bool  # an agent may be offered (office hours, not "no agents")
    reason: str  # "after-hours", "overflow", "menu"
    unheard: int = 0
    unanswered: int = 0
    answered: list[str] = field(default_factory=list)  # knowledge-base keys, in order
    last_answer: Hit | None = None  # the last answer spoken, for "send it by SMS"

    @property
    def language(self) -> str:
        return self.call.language

    def run(self) -> str:
        call = self.call
        recognizers = call.services.recognizers
        if recognizers is None or recognizers.get(self.language) is None:
            return self._keys_only()
        prompt = say(_greeting(self.reason), self.language)
        for _ in range(MAX_TURNS):
            heard = listen(
                call,
                prompt,
                grammar=None,
                max_digits=1,
                no_input_timeout=QUESTION_TIMEOUT,
                max_speech=MAX_QUESTION,
            )
            outcome, prompt = self._turn(heard)
            if outcome is not None:
                return outcome
        return self._help("too-long")

    def _turn(self, heard: Heard) -> tuple[str | None, str]:
        """What one answer leads to: an outcome (the conversation ends) or the next prompt."""
        if heard.status == "digits":
            return self._key(heard.digits)
        if heard.status != "speech":
            self.unheard += 1
            if self.unheard >= 2:
                return self._help("not-heard"), ""
            return None, say("not_heard", self.language)
        self.unheard = 0
        intent = detect(heard.text, self.language, STEERING + ("sms", "done", "yes"))
        if intent == "yes":
            return None, say("ask_question", self.language)
        if intent == "sms" and self.last_answer is not None:
            return None, self._send_answer() + " " + say("anything_else", self.language)
        if intent == "done" and (self.answered or self.unanswered):
            return "done", ""  # the flow's next node says goodbye (the survey first)
        if intent in STEERING:
            return self._steer(intent or "", heard.text)
        return self._question(heard.text)

    def _key(self, key: str) -> tuple[str | None, str]:
        if key == "1" and self.last_answer is not None:
            return None, self._send_answer() + " " + say("anything_else", self.language)
        if key == "1" and self.agents_open:
            return self._steer("agent", "")
        if key == "2":
            return self._steer("message", "")
        if key == "3":
            return self._steer("callback", "")
        return None, self._options()

    def _steer(self, intent: str, text: str) -> tuple[str | None, str]:
        call = self.call
        log.info("call %s: ai agent: caller asks for %s", call.id, intent)
        if intent in ("agent", "anger"):
            return self._help("asked-for-agent" if intent == "agent" else "anger"), ""
        if intent == "message":
            return take_message(call, reason="message"), ""
        if intent == "callback":
            return book_callback(call, "ai-requested"), ""
        # balance: the self-service steps, then back to the conversation
        call.services.note_self_service(call.id, "balance")
        outcome = call.services.scripts["balance"].run(call)
        if outcome in ("agent", "locked"):
            return self._help("balance-" + outcome), ""
        if outcome in ("callback",):
            return outcome, ""
        return None, say("anything_else", self.language)

    def _question(self, text: str) -> tuple[str | None, str]:
        call = self.call
        kb = call.services.kb
        kb.reload_if_changed()
        decision = kb.decide(text, self.language)
        _log_question(call, text, decision)
        hit = decision.hit
        if hit is not None and decision.action == "answer":
            return self._answer(text, hit)
        if hit is not None and decision.action == "clarify" and self._confirmed(hit):
            return self._answer(text, hit)
        self.unanswered += 1
        self._record_unanswered(text, decision)
        if self.unanswered >= 2:
            return self._help("unanswered"), ""
        return None, say("not_sure", self.language) + " " + self._options()

    def _confirmed(self, hit: Hit) -> bool:
        """Ask once whether the caller means ``hit``'s question: a key or a spoken yes/no."""
        call = self.call
        ask = say("clarify", self.language, question=hit.question)
        key = choose(call, ask, "confirm", "12", tries=CLARIFY_TRIES)
        said = {"1": "yes", "2": "no"}.get(key or "", "nothing")
        log.info("call %s: ai agent asked whether %s is meant: %s", call.id, hit.key, said)
        return key == "1"

    def _answer(self, text: str, hit: Hit) -> tuple[str | None, str]:
        call = self.call
        repeated = hit.key in self.answered
        self.answered.append(hit.key)
        self.last_answer = hit
        call.services.note_category(call.id, hit.category)
        log.info("call %s: ai agent answers %s (score %.2f)", call.id, hit.key, hit.score)
        if repeated:  # the same answer again did not help the first time
            call.say(phrase_answer(call, text, hit))
            return self._help("repeated"), ""
        parts = [phrase_answer(call, text, hit)]
        if self._can_text():
            parts.append(say("offer_sms", self.language))
        parts.append(say("anything_else", self.language))
        return None, " ".join(parts)

    def _options(self) -> str:
        name = "offer_options_open" if self.agents_open else "offer_options_closed"
        return say(name, self.language) + " " + say("or_ask", self.language)

    def _help(self, why: str) -> str:
        """Hand the caller to a person. Asked for one (or angry) while agents work: an agent
        at once. Otherwise the caller chooses: an agent (when one may be offered), a message or
        a call back; no choice leaves a message, so nothing is lost."""
        call = self.call
        log.info("call %s: ai agent hands over (%s)", call.id, why)
        if self.agents_open and why in ("asked-for-agent", "anger"):
            call.say(say("to_agent", self.language))
            return "agent"
        lead = "offer_options_open" if self.agents_open else "offer_options_closed"
        opening = "" if self.agents_open else say("no_agent_now", self.language) + " "
        heard = listen(
            call,
            opening + say(lead, self.language),
            grammar=None,
            max_digits=1,
            no_input_timeout=QUESTION_TIMEOUT,
        )
        wanted = ("agent", "callback", "message") if self.agents_open else ("callback", "message")
        wants = detect(heard.text, self.language, wanted) if heard.text else None
        if self.agents_open and (heard.digits == "1" or wants == "agent"):
            call.say(say("to_agent", self.language))
            return "agent"
        if heard.digits == "3" or wants == "callback":
            return book_callback(call, "ai-" + why)
        return take_message(call, reason=why)

    def _keys_only(self) -> str:
        """No recognizer for this language: a message (recorded, transcribed later) or a
        call back, by keys."""
        call = self.call
        log.warning("call %s: ai agent: no speech recognizer for %s", call.id, self.language)
        call.say(say("no_speech_language", self.language))
        return self._help("no-recognizer")

    def _can_text(self) -> bool:
        return is_mobile(normalize_phone(self.call.env.callerid))

    def _send_answer(self) -> str:
        call, hit = self.call, self.last_answer
        number = normalize_phone(call.env.callerid)
        if not is_mobile(number) or hit is None:
            return say("sms_impossible", self.language)
        try:
            call.services.outbox.enqueue(
                to=number,
                text=hit.answer,
                key=f"{call.id}:answer:{hit.key}",
                purpose="answer",
                language=self.language,
                call_id=call.id,
            )
        except ValueError as exc:  # an answer too long for an SMS: an entry to shorten
            log.error("call %s: answer %s not sent by SMS: %s", call.id, hit.key, exc)
            return say("sms_impossible", self.language)
        if call.services.sms_worker is not None:
            call.services.sms_worker.wake()
        log.info("call %s: answer %s queued by SMS to %s", call.id, hit.key, mask_number(number))
        self.last_answer = None
        return say("sms_sent", self.language)

    def _record_unanswered(self, text: str, decision: Decision) -> None:
        call = self.call
        best = decision.hit
        try:
            call.services.kb.store.record_unanswered(
                call.id,
                self.language,
                mask_digits_in(text),
                best.key if best else None,
                decision.score if best else None,
            )
        except Exception as exc:  # bookkeeping: the caller goes on
            log.error("call %s: unanswered question not recorded: %s", call.id, exc)


def _log_question(call: AgentCall, text: str, decision: Decision) -> None:
    """Every question with its scores, for the knowledge base's editors: the words with any
    digits masked (a caller may say an ID number), the nearest entry, what was done."""
    dense = "-" if decision.dense is None else f"{decision.dense:+.2f}"
    log.info(
        "call %s: ai agent question (%s) %r: %s %s (fused %.3f, lexical %.3f, dense %s,"
        " margin %.3f)",
        call.id,
        call.language,
        mask_digits_in(text),
        decision.action,
        decision.hit.key if decision.hit else "-",
        decision.score,
        decision.lexical,
        dense,
        decision.margin,
    )


def phrase_answer(call: AgentCall, question: str, hit: Hit) -> str:
    """The entry's answer, or the optional LLM's wording of it (grounded on that entry)."""
    llm = call.services.llm
    if llm is None:
        return str(hit.answer)
    return str(llm.phrase(question, hit, call.language) or hit.answer)


def _greeting(reason: str) -> str:
    return {"after-hours": "greet_after_hours", "overflow": "greet_overflow"}.get(reason, "greet")
