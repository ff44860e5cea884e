"""The AI voice agent through the real sockets: after-hours and overflow calls of the sample
flow, questions spoken by espeak-ng, answers from the sample knowledge base, SMS and tickets.

English is heard by the Whisper tiny.en model a package ships. No Vietnamese or Chinese model
can be installed here (see README, Speech), so those callers take the agent's keys-only path,
which is what a hotline without those models gets: a recorded message or a call back.
"""

from __future__ import annotations

import logging
import wave
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from ivr.core.models import CallRecord, SmsMessage, SurveyResponse, Ticket, UnansweredQuestion
from ivr.simulator.caller import HangUp, Listen, Press, Say, speech
from ivr.simulator.simulator import CallResult, SimulatedCall
from tests.conftest import CLOSED, OPEN
from tests.test_sample_flow import KEY_OF, NUMBER, said

MOBILE = "0912345678"  # a Vietnamese mobile number: SMS may go to it
MOBILE_E164 = "84912345678"
KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"

pytestmark = pytest.mark.slow  # the Whisper model and espeak-ng speech


def entry(language: str, key: str) -> dict[str, Any]:
    data = yaml.safe_load((KNOWLEDGE / f"{language}.yaml").read_text(encoding="utf-8"))
    return next(e for e in data["entries"] if e["key"] == key)


def dial(ivr: Any, actions: list[Any], **options: Any) -> tuple[CallResult, str]:
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        actions,
        callerid=MOBILE,
        **options,
        rate=ivr.media.clock.rate,
    )
    return call.run(timeout=180), call.uniqueid


def rows(ivr: Any, model: Any, *where: Any) -> list[Any]:
    with ivr.services.outbox.database.session(readonly=True) as session:
        return list(session.scalars(select(model).where(*where)))


def test_after_hours_question_is_answered_from_the_knowledge_base_and_sent_by_sms(
    make_ivr: Any,
) -> None:
    ivr = make_ivr(clock=CLOSED)
    topic = entry("en", "card-lost")
    actions = [
        Press(KEY_OF["en"]),
        Press("3"),  # an agent, please: the center is closed
        Listen(),  # the closed message, heard out
        Say(speech(topic["question"]), delay=0.5, label="question"),
        Press("1", delay=1.0),  # "press 1 to have it by SMS"
        Say(speech("that's all thank you"), delay=1.0, label="done"),
        Say(speech("number five"), delay=1.0, label="score"),  # the survey after the AI agent
    ]
    result, call_id = dial(ivr, actions)
    spoken = said(result)
    assert any(topic["answer"] in s for s in spoken), result.transcript()
    assert "ivr: script ai_agent ended: done" in result.kinds("ivr"), result.transcript()
    sms = rows(ivr, SmsMessage, SmsMessage.call_id == call_id)
    assert [(m.key, m.to_number, m.text) for m in sms] == [
        (f"{call_id}:answer:card-lost", MOBILE_E164, topic["answer"])
    ]
    record = rows(ivr, CallRecord, CallRecord.call_id == call_id)[0]
    assert record.handled_by == "ai"
    assert "after-hours" in record.tags
    assert record.category == topic["category"]
    survey = rows(ivr, SurveyResponse, SurveyResponse.call_id == call_id)
    assert [(s.score, s.via, s.handled_by) for s in survey] == [(5, "speech", "ai")]


# Today's lexical scorer answers this with the wrong entry (pension-age); the hybrid puts the
# right one first (fused 0.59, above 0.48) but hardly ahead of the next (margin 0.01, 0.10
# needed to answer), so it asks. Whisper hears espeak-ng's words exactly.
FAIRLY_SURE = ("how much will I get every month when I retire", "pension-amount")


def clarified_call(make_ivr: Any, answer: str) -> tuple[Any, CallResult, str, list[str]]:
    ivr = make_ivr(clock=CLOSED)
    assert "en" in ivr.services.kb.dense_languages()
    actions = [
        Press(KEY_OF["en"]),
        Press("3"),
        Listen(),
        Say(speech(FAIRLY_SURE[0]), delay=0.5, label="question"),
        Say(speech(answer), delay=1.0, label=answer),  # to "Do you mean: ...?"
        Say(speech("that's all thank you"), delay=1.0, label="done"),
        HangUp(),  # in the survey, or in the options after a no
    ]
    result, call_id = dial(ivr, actions)
    return ivr, result, call_id, said(result)


def test_a_fairly_sure_question_is_asked_back_and_answered_on_yes(
    make_ivr: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ivr.ai_agent.conversation")
    topic = entry("en", FAIRLY_SURE[1])
    ivr, result, call_id, spoken = clarified_call(make_ivr, "yes")
    asked = [s for s in spoken if s.startswith("Do you mean: ")]
    assert asked and topic["question"] in asked[0], result.transcript()
    assert any(topic["answer"] in s for s in spoken), result.transcript()
    assert "ivr: script ai_agent ended: done" in result.kinds("ivr"), result.transcript()
    assert rows(ivr, UnansweredQuestion, UnansweredQuestion.call_id == call_id) == []
    logged = [r.getMessage() for r in caplog.records if call_id in r.getMessage()]
    question = next(m for m in logged if "ai agent question (en)" in m)
    assert f"clarify {FAIRLY_SURE[1]} (fused 0." in question and "dense +" in question
    assert any(m.endswith(f"ai agent asked whether {FAIRLY_SURE[1]} is meant: yes") for m in logged)


def test_a_no_to_the_clarifying_question_is_not_sure_and_the_usual_options(
    make_ivr: Any,
) -> None:
    ivr, result, call_id, spoken = clarified_call(make_ivr, "no")
    topic = entry("en", FAIRLY_SURE[1])
    assert not any(topic["answer"] in s for s in spoken), result.transcript()
    after = spoken[next(i for i, s in enumerate(spoken) if s.startswith("Do you mean: ")) + 1]
    assert after.startswith("Sorry, I do not have reliable information"), result.transcript()
    assert "For a call back during office hours, press 3." in after
    asked = rows(ivr, UnansweredQuestion, UnansweredQuestion.call_id == call_id)
    assert [(q.best_key, q.language) for q in asked] == [(FAIRLY_SURE[1], "en")]
    assert asked[0].best_score is not None and 0.48 <= asked[0].best_score < 1


def test_unknown_question_becomes_a_ticket_with_its_reference_by_sms(make_ivr: Any) -> None:
    ivr = make_ivr(clock=CLOSED)
    actions = [
        Press(KEY_OF["en"]),
        Press("3"),
        Listen(),
        Say(speech("who won the football match last night"), delay=0.5, label="off topic"),
        Press("2", delay=1.0),  # not sure: "press 2 to leave a message"
        Say(speech("please call me about my pension payment"), delay=0.5),
        Listen(),  # the reference
        Listen(),  # the reference again
        HangUp(),  # during the survey
    ]
    result, call_id = dial(ivr, actions)
    assert "ivr: script ai_agent ended: ticket" in result.kinds("ivr"), result.transcript()
    asked = rows(ivr, UnansweredQuestion, UnansweredQuestion.call_id == call_id)
    assert len(asked) == 1 and "football" in asked[0].text.lower()
    tickets = rows(ivr, Ticket, Ticket.call_id == call_id)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert "pension" in ticket.summary.lower()
    assert (ticket.level1, ticket.category) == ("policy", "pension")  # the nearest entry's
    assert ticket.language == "en" and ticket.status == "open"
    with wave.open(ticket.recording, "rb") as recording:
        assert (recording.getframerate(), recording.getnchannels()) == (8000, 1)
        assert recording.getnframes() > 8000  # over a second of the caller's voice
    sms = rows(ivr, SmsMessage, SmsMessage.call_id == call_id)
    assert [(m.key, m.to_number) for m in sms] == [(f"ticket:{ticket.reference}", MOBILE_E164)]
    assert ticket.reference in sms[0].text
    # the reference is read out, but kept out of the transcript of what the IVR said
    assert not any(ticket.reference in s for s in said(result))


def test_overflow_without_a_vietnamese_model_takes_a_recorded_message(make_ivr: Any) -> None:
    ivr = make_ivr(clock=OPEN)
    actions = [
        Press(KEY_OF["vi"]),
        Press("3"),
        Listen(),  # "the assistant cannot hear Vietnamese on this line yet"
        Press("2"),  # leave a message
        Say(speech("Tôi muốn hỏi về thẻ bảo hiểm y tế của con tôi", "vi"), delay=0.5),
        Listen(),  # the reference
        Listen(),  # the reference again
        HangUp(),  # during the survey
    ]
    result, call_id = dial(ivr, actions, queue_outcomes=["TIMEOUT"])
    assert "ivr: script ai_agent ended: ticket" in result.kinds("ivr"), result.transcript()
    ticket = rows(ivr, Ticket, Ticket.call_id == call_id)[0]
    assert ticket.language == "vi" and ticket.recording
    assert Path(ticket.recording).stat().st_size > 16000
    sms = rows(ivr, SmsMessage, SmsMessage.call_id == call_id)
    assert len(sms) == 1 and ticket.reference in sms[0].text
    assert sms[0].language == "vi"
    record = rows(ivr, CallRecord, CallRecord.call_id == call_id)[0]
    assert {"overflow", "ticket"} <= set(record.tags)


@pytest.mark.parametrize("key, script", [("KEY1", "ai_agent"), ("KEY2", "callback")])
def test_a_leave_key_in_the_queue_goes_to_the_ai_agent_or_a_call_back(
    make_ivr: Any, key: str, script: str
) -> None:
    ivr = make_ivr(clock=OPEN)
    then = [Listen(), Press("3")] if script == "ai_agent" else [Listen()]
    result, call_id = dial(ivr, [Press(KEY_OF["vi"]), Press("3"), *then], queue_outcomes=[key])
    assert f"caller pressed {key[3]} in the queue: {key}" in result.kinds("dialplan")
    assert f"ivr: script {script} ended: callback" in result.kinds("ivr"), result.transcript()
    booked = ivr.services.callbacks.pending()
    assert [b.number for b in booked] == [MOBILE_E164]
    record = rows(ivr, CallRecord, CallRecord.call_id == call_id)[0]
    assert "left-queue" in record.tags
