"""Menu answers in words, in every language: phrases spotted inside sentences, near misses,
keys said by number, negations, ambiguity; the bands a menu acts, confirms or re-asks by."""

from __future__ import annotations

import pytest

from ivr.flow.loader import load_flows
from ivr.flow.model import MenuNode
from ivr.self_service.texts import phrases
from ivr.understanding.choice import Choice, pick
from tests.conftest import SAMPLE_FLOWS

FLOW = next(iter(load_flows(SAMPLE_FLOWS, None)))
MAIN = next(n for n in FLOW.nodes.values() if isinstance(n, MenuNode) and "3" in n.speech)


@pytest.mark.parametrize(
    ("language", "said", "key"),
    [
        ("en", "balance", "2"),
        ("en", "I'd like to know my balance", "2"),
        ("en", "a question about my health insurance", "1"),
        ("en", "can I speak to an agent please", "3"),
        ("en", "press two", "2"),
        ("en", "option three", "3"),
        ("en", "Two.", "2"),
        ("en", "my ballance please", "2"),  # a near miss of the recognizer
        ("vi", "tôi muốn tra cứu số dư", "2"),
        ("vi", "cho tôi gặp tư vấn viên", "3"),
        ("vi", "toi muon hoi ve bao hiem y te", "1"),  # without the marks
        ("vi", "số hai", "2"),
        ("zh", "我想查询余额", "2"),
        ("zh", "请帮我转人工客服", "3"),
        ("zh", "我想问一下医疗保险", "1"),
        ("zh", "按三", "3"),
    ],
)
def test_a_sentence_chooses_the_option_it_names(language: str, said: str, key: str) -> None:
    choice = pick(said, MAIN.phrases(language), language)
    assert choice.key == key and choice.band(MAIN.understanding.act) == "act", choice


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "what is the weather like today"),
        ("en", "I paid two months ago"),  # a number inside a sentence is not a key
        ("en", "urgent"),  # close to "agent", too short to be a near miss
        ("en", "not the balance"),
        ("vi", "hôm nay trời mưa"),
        ("vi", "tôi đóng hai tháng rồi"),
        ("zh", "今天天气怎么样"),
        ("zh", "不要余额"),
    ],
)
def test_speech_that_names_no_option_is_rejected(language: str, said: str) -> None:
    assert pick(said, MAIN.phrases(language), language).band() == "none"


def test_two_options_at_once_are_confirmed_not_taken() -> None:
    choice = pick("insurance or my balance", MAIN.phrases("en"), "en")
    assert choice.key in ("1", "2") and choice.band() == "confirm" and choice.others


@pytest.mark.parametrize(
    ("language", "said", "key"),
    [
        ("en", "yes that's right", "1"),
        ("en", "no, that's wrong", "2"),
        ("en", "that's not right", None),
        ("vi", "đúng rồi", "1"),
        ("vi", "không đúng", "2"),
        ("vi", "khong", "2"),
        ("zh", "对", "1"),
        ("zh", "不对", "2"),  # holds "对", but the longer phrase says no
        ("zh", "是的，没错", "1"),
    ],
)
def test_yes_and_no_in_sentences(language: str, said: str, key: str | None) -> None:
    choice = pick(said, phrases("confirm", language), language)
    assert choice.key == key and (key is None or choice.band() == "act"), choice


def test_bands() -> None:
    assert Choice("1", 0.9).band() == "act"
    assert Choice("1", 0.6).band() == "confirm"
    assert Choice("1", 0.5).band() == "none"
    assert Choice(None, 1.0).band() == "none"
    assert Choice("1", 0.7).band(act=0.65, confirm=0.3) == "act"
