"""Ticket categories: the keywords of knowledge/categories.yaml per language (Vietnamese with
or without diacritics), the loader's file:line errors, and what ``Tickets.open`` does with a
message it is given no category for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.core.db import Database, migrate
from ivr.tickets import Tickets
from ivr.tickets.categories import CategoryError, categorise, load_categories

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = load_categories(ROOT / "knowledge" / "categories.yaml")


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("vi", "Tôi bị mất thẻ bảo hiểm y tế, làm sao cấp lại?", ("lookup", "health-card")),
        ("vi", "toi bi mat the bao hiem y te lam sao cap lai", ("lookup", "health-card")),
        ("vi", "Khi nào tôi được nhận lương hưu?", ("policy", "pension")),
        ("vi", "khi nao toi duoc nhan luong huu", ("policy", "pension")),
        ("vi", "Tôi muốn khiếu nại về thái độ nhân viên", ("transaction", "complaints")),
        ("vi", "cong ty khong dong bao hiem cho toi", ("policy", "employer")),
        ("zh", "我想问一下养老金什么时候发", ("policy", "pension")),
        ("zh", "我的医保卡丢了，怎么补办？", ("lookup", "health-card")),
        ("zh", "报销的钱还没收到，退款到哪个银行账户", ("transaction", "payments-refunds")),
        ("en", "I lost my job, is there unemployment money?", ("policy", "unemployment")),
        ("en", "My refund has not reached my bank account", ("transaction", "payments-refunds")),
        ("en", "I cannot log in to the app, I forgot my password", ("lookup", "online-services")),
        ("en", "There is a wrong date of birth on my card", ("transaction", "registration")),
        ("en", "Hello, please call me back", ("policy", "general")),
        ("vi", "", ("policy", "general")),
    ],
)  # fmt: skip
def test_a_message_is_sorted_by_its_keywords(language: str, text: str, expected: object) -> None:
    assert categorise(text, language, CATEGORIES) == expected


def test_every_category_has_names_and_keywords_in_each_language() -> None:
    for category in CATEGORIES.values():
        assert set(category.names) == {"vi", "zh", "en"}, category.id
        if category.id != "general":
            assert all(category.keywords.get(lang) for lang in ("vi", "zh", "en")), category.id


def test_open_sorts_a_message_given_no_category_and_keeps_a_given_level1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    migrate(url)
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    tickets = Tickets(Database(url), lambda: now, CATEGORIES, 48.0)
    sorted_ = tickets.find(tickets.open("84912345678", "vi", "the bhyt cua toi het han").reference)
    assert sorted_ is not None and (sorted_.level1, sorted_.category) == ("lookup", "health-card")
    asked = tickets.open("84912345679", "en", "please", category="pension", level1="transaction")
    found = tickets.find(asked.reference)
    assert found is not None and (found.level1, found.category) == ("transaction", "pension")
    with pytest.raises(ValueError, match="level1 must be one of"):
        tickets.open("84912345670", "en", "x", level1="gossip")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "categories.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_loader_names_file_and_line_of_each_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "categories:\n"  # 1
        "  pension:\n"  # 2
        "    level1: pensions\n"  # 3
        "    names: {vi: lương hưu, en: pension}\n"  # 4
        "  card:\n"  # 5
        "    level1: lookup\n"  # 6
        "    names: {vi: thẻ, fr: carte}\n"  # 7
        "    keywords: {en: card}\n"  # 8
        "    colour: red\n"  # 9
        "  general:\n"  # 10
        "    level1: policy\n"  # 11
        "    names: {en: general}\n",  # 12
    )
    with pytest.raises(CategoryError) as caught:
        load_categories(path)
    lines = str(caught.value).splitlines()
    assert f"{path}:3: category pension: level1 must be one of policy, lookup, transaction" in lines
    assert f"{path}:7: category card: names: unknown language 'fr' (known: vi, zh, en)" in lines
    assert f"{path}:8: category card: keywords.en: must be a list of phrases" in lines
    assert any(line.startswith(f"{path}:9: category card: unknown key 'colour'") for line in lines)
    assert len(lines) == 4


def test_the_loader_wants_the_fallback_and_valid_yaml(tmp_path: Path) -> None:
    no_fallback = write(tmp_path, "categories:\n  a:\n    level1: policy\n    names: {en: A}\n")
    with pytest.raises(CategoryError, match=r":1: categories: the 'general' category is needed"):
        load_categories(no_fallback)
    broken = write(tmp_path, "categories:\n  a: [unclosed\n")
    with pytest.raises(CategoryError, match=r"categories.yaml:\d: YAML syntax error"):
        load_categories(broken)
