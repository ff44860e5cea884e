"""The satisfaction survey through the real sockets: after an agent hangs up (the dialplan's
``AGI(.../survey,human,<agent>,<queue>)``) and after the AI agent (a flow node)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ivr.agi_scripts.survey import spoken_score
from ivr.asr.registry import packaged_model
from ivr.core.models import SurveyResponse
from ivr.simulator.caller import HangUp, Listen, Press, Say, speech
from ivr.simulator.simulator import CallResult, SimulatedCall
from tests.conftest import OPEN
from tests.test_sample_flow import KEY_OF, NUMBER


def dial(ivr: Any, actions: list[Any], **options: Any) -> tuple[CallResult, str]:
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port), NUMBER, actions, rate=ivr.media.clock.rate, **options
    )
    return call.run(timeout=120), call.uniqueid


def scores(ivr: Any) -> list[SurveyResponse]:
    with ivr.services.outbox.database.session(readonly=True) as session:
        return list(session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))


def test_after_the_agent_hangs_up_the_caller_scores_the_agent(make_ivr: Any) -> None:
    ivr = make_ivr(clock=OPEN)
    actions = [Press(KEY_OF["zh"]), Press("3"), Press("9"), Press("4")]  # 9: not a score
    result, call_id = dial(ivr, actions, queue_outcomes=["CONTINUE:agent1002"])
    assert "agent agent1002 hung up; AGI survey" in result.kinds("dialplan")
    assert result.agi_status == ["SUCCESS", "SUCCESS"]
    (score,) = scores(ivr)
    assert (score.call_id, score.score, score.via, score.handled_by) == (
        call_id,
        4,
        "dtmf",
        "human",
    )
    assert (score.agent, score.queue, score.language) == ("agent1002", "insurance", "zh")
    spoken = " ".join(result.kinds("ivr"))
    assert "请选择1到5之间的数字" in spoken and "感谢您打了4分" in spoken


def test_a_caller_who_hangs_up_during_the_survey_leaves_no_score(make_ivr: Any) -> None:
    ivr = make_ivr(clock=OPEN)
    actions = [Press(KEY_OF["vi"]), Press("3"), HangUp(delay=1.0)]
    result, _ = dial(ivr, actions, queue_outcomes=["CONTINUE"])
    assert result.agi_status == ["SUCCESS", "HANGUP"]
    assert scores(ivr) == []


@pytest.mark.slow  # about 45 s: the AI agent's turns, then two unanswered survey prompts
def test_the_ai_agent_path_ends_in_the_survey_and_silence_stores_nothing(make_ivr: Any) -> None:
    ivr = make_ivr(clock=OPEN)
    # overflow, vi has no recognizer: a call back by key 3, then the survey, unanswered
    actions = [Press(KEY_OF["vi"]), Press("3"), Listen(), Press("3")]
    result, _ = dial(ivr, actions, queue_outcomes=["TIMEOUT"])
    route = result.route
    assert route[-3:] == ["ai_agent", "ai_survey", "end"], result.transcript()
    assert "ivr: script survey ended: done" in result.kinds("ivr")
    assert scores(ivr) == []


@pytest.mark.slow
def test_a_spoken_score_in_english(make_ivr: Any) -> None:
    if packaged_model("whisper", "en") is None:
        pytest.skip("the packaged Whisper tiny.en model is not installed (.[test])")
    ivr = make_ivr(clock=OPEN)
    # espeak-ng's lone "five" is too short for Whisper tiny.en at 8 kHz; "number five" is a
    # form the survey's grammar lists, as callers say it
    spoken = speech("number five", "en")
    actions = [Press(KEY_OF["en"]), Press("3"), Say(spoken, delay=1.0, label="number five")]
    result, call_id = dial(ivr, actions, queue_outcomes=["CONTINUE:agent1003"])
    (score,) = scores(ivr)
    assert (score.call_id, score.score, score.via, score.handled_by, score.language) == (
        call_id,
        5,
        "speech",
        "human",
        "en",
    )
    assert "Thank you for your score of 5" in " ".join(result.kinds("ivr"))


def test_spoken_scores_in_each_language() -> None:
    assert spoken_score("number five", "en") == 5
    assert spoken_score("năm điểm", "vi") == 5 and spoken_score("số hai", "vi") == 2
    assert spoken_score("五分", "zh") == 5 and spoken_score("两分", "zh") == 2
    assert spoken_score("three or four", "en") is None  # two scores: ask again
    assert spoken_score("hello", "en") is None
