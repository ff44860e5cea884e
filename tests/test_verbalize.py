"""Numbers, money and dates in words for the TTS voice, by each language's reading rules."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest

from ivr.tts.verbalize import say_date, say_digits, say_money, say_number


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (21, "twenty-one"),
        (99, "ninety-nine"),
        (100, "one hundred"),
        (105, "one hundred and five"),
        (110, "one hundred and ten"),
        (2001, "two thousand and one"),
        (1234, "one thousand two hundred and thirty-four"),
        (10_000, "ten thousand"),
        (100_005, "one hundred thousand and five"),
        (150_000, "one hundred and fifty thousand"),
        (1_200_000, "one million two hundred thousand"),
        (2_000_000_000, "two billion"),
        (10**12, "one trillion"),
        (-42, "minus forty-two"),
    ],
)
def test_say_number_en(n: int, words: str) -> None:
    assert say_number(n, "en") == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (1, "một"),
        (4, "bốn"),
        (5, "năm"),
        (7, "bảy"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (1005, "một nghìn không trăm linh năm"),
        (1050, "một nghìn không trăm năm mươi"),
        (2026, "hai nghìn không trăm hai mươi sáu"),
        (10_000, "mười nghìn"),
        (100_005, "một trăm nghìn không trăm linh năm"),
        (150_000, "một trăm năm mươi nghìn"),
        (1_000_005, "một triệu không trăm linh năm"),
        (1_234_567, "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy"),
        (3_500_000, "ba triệu năm trăm nghìn"),
        (10_000_000, "mười triệu"),
        (2_000_000_000, "hai tỷ"),
        (10**12, "một nghìn tỷ"),
        (-5, "âm năm"),
    ],
)
def test_say_number_vi(n: int, words: str) -> None:
    assert say_number(n, "vi") == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "零"),
        (2, "二"),
        (10, "十"),
        (15, "十五"),
        (20, "二十"),
        (21, "二十一"),
        (105, "一百零五"),
        (110, "一百一十"),
        (200, "二百"),
        (1005, "一千零五"),
        (1050, "一千零五十"),
        (2000, "两千"),
        (2200, "两千二百"),
        (10_005, "一万零五"),
        (10_015, "一万零一十五"),
        (12_000, "一万二千"),
        (20_000, "两万"),
        (100_005, "十万零五"),
        (150_000, "十五万"),
        (1_234_567, "一百二十三万四千五百六十七"),
        (10_000_000, "一千万"),
        (100_050_000, "一亿零五万"),
        (300_000_000, "三亿"),
        (200_000_000, "两亿"),
        (2_000_000_000, "二十亿"),
        (10**12, "一万亿"),
        (-5, "负五"),
    ],
)
def test_say_number_zh(n: int, words: str) -> None:
    assert say_number(n, "zh") == words


@pytest.mark.parametrize(
    ("digits", "language", "words"),
    [
        ("0 1 2", "en", "zero one two"),
        ("0 1 2", "vi", "không một hai"),
        ("0 1 2", "zh", "零幺二"),  # 幺 for 1, as phone numbers are read
        ("090-123.4567", "en", "zero nine zero one two three four five six seven"),
        ("57", "vi", "năm bảy"),
        ("2024", "zh", "二零二四"),
    ],
)
def test_say_digits(digits: str, language: str, words: str) -> None:
    assert say_digits(digits, language) == words


@pytest.mark.parametrize("digits", ["", " ", "12a", "+84 912", "１２", "1/2"])
def test_say_digits_rejects_what_is_not_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="not a digit string"):
        say_digits(digits, "en")


@pytest.mark.parametrize(
    ("amount", "currency", "language", "words"),
    [
        (150_000, "VND", "vi", "một trăm năm mươi nghìn đồng"),
        (150_000, "VND", "zh", "十五万越南盾"),
        (150_000, "VND", "en", "one hundred and fifty thousand dong"),
        (Decimal("2000"), "vnd", "vi", "hai nghìn đồng"),
        (2000, "VND", "zh", "两千越南盾"),
        (Decimal("12.50"), "USD", "en", "twelve dollars and fifty cents"),
        (Decimal("1.01"), "USD", "en", "one dollar and one cent"),
        (Decimal("0.99"), "USD", "en", "ninety-nine cents"),
        (0, "USD", "en", "zero dollars"),
        (Decimal("-3"), "USD", "en", "minus three dollars"),
        (Decimal("12.50"), "USD", "vi", "mười hai đô la năm mươi xu"),
        (Decimal("12.50"), "USD", "zh", "十二美元五十美分"),
        (Decimal("12.5"), "CNY", "zh", "十二元五角"),
        (Decimal("12.53"), "CNY", "zh", "十二元五角三分"),
        (Decimal("12.05"), "CNY", "zh", "十二元零五分"),
        (Decimal("0.50"), "CNY", "zh", "五角"),
        (Decimal("0.05"), "CNY", "zh", "五分"),
        (2, "CNY", "zh", "两元"),
        (12, "CNY", "zh", "十二元"),
        (0, "CNY", "zh", "零元"),
        (Decimal("12.50"), "CNY", "en", "twelve yuan and fifty fen"),
        (Decimal("12.50"), "CNY", "vi", "mười hai nhân dân tệ năm mươi xu"),
    ],
)
def test_say_money(amount: int | Decimal, currency: str, language: str, words: str) -> None:
    assert say_money(amount, currency, language) == words


def test_say_money_refuses_what_it_cannot_say_exactly() -> None:
    with pytest.raises(ValueError, match="VND"):
        say_money(Decimal("10.5"), "VND", "vi")  # the dong has no minor unit
    with pytest.raises(ValueError, match="smallest unit"):
        say_money(Decimal("1.005"), "USD", "en")
    with pytest.raises(ValueError, match="'EUR'"):
        say_money(5, "EUR", "en")
    with pytest.raises(TypeError, match="float"):
        say_money(1.5, "USD", "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("day", "language", "words"),
    [
        (
            datetime.date(2026, 3, 15),
            "vi",
            "ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi sáu",
        ),
        (
            datetime.date(2025, 4, 1),
            "vi",
            "ngày một tháng tư năm hai nghìn không trăm hai mươi lăm",
        ),
        (datetime.date(2026, 3, 15), "zh", "二〇二六年三月十五日"),
        (datetime.date(2005, 12, 2), "zh", "二〇〇五年十二月二日"),
        (datetime.date(2026, 3, 15), "en", "March fifteenth, twenty twenty-six"),
        (datetime.date(2005, 1, 1), "en", "January first, two thousand and five"),
        (datetime.date(2000, 2, 22), "en", "February twenty-second, two thousand"),
        (datetime.date(2010, 11, 30), "en", "November thirtieth, twenty ten"),
        (datetime.date(1999, 7, 3), "en", "July third, nineteen ninety-nine"),
        (datetime.date(1905, 5, 12), "en", "May twelfth, nineteen oh five"),
        (datetime.date(1900, 8, 31), "en", "August thirty-first, nineteen hundred"),
    ],
)
def test_say_date(day: datetime.date, language: str, words: str) -> None:
    assert say_date(day, language) == words


def test_output_has_no_numerals_for_the_voice_to_misread() -> None:
    for language in ("vi", "zh", "en"):
        for text in (
            say_number(1_234_567, language),
            say_digits("0905123456", language),
            say_money(Decimal("1234.56"), "USD", language),
            say_date(datetime.date(2026, 3, 15), language),
        ):
            assert not any(c.isdigit() for c in text), text


@pytest.mark.parametrize(
    "say",
    [
        lambda: say_number(5, "fr"),
        lambda: say_digits("5", "fr"),
        lambda: say_money(5, "VND", "fr"),
        lambda: say_date(datetime.date(2026, 1, 1), "fr"),
    ],
)
def test_unknown_language_is_named(say: Callable[[], str]) -> None:
    with pytest.raises(ValueError, match="'fr'"):
        say()


def test_say_number_takes_only_int() -> None:
    with pytest.raises(TypeError):
        say_number(True, "en")
    with pytest.raises(TypeError):
        say_number(1.0, "en")  # type: ignore[arg-type]
