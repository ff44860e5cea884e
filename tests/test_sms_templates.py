"""SMS texts per language: money, dates, and the balance SMS within two parts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ivr.accounts import Balance
from ivr.sms.encoding import segments
from ivr.sms.templates import balance_text, format_date, format_money

BALANCE = Balance(
    "VND", Decimal("1250000"), date(2026, 11, 15), Decimal("350000"), date(2026, 12, 31)
)


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("1250000", "VND", "vi", "1.250.000 ₫"),
        ("1250000", "VND", "en", "1,250,000 VND"),
        ("1250000", "VND", "zh", "1,250,000越南盾"),
        ("1250.5", "CNY", "zh", "1,250.50元"),
        ("1250.5", "CNY", "vi", "1.250,50 ¥"),
        ("1250.5", "CNY", "en", "1,250.50 CNY"),
        ("999.995", "USD", "en", "1,000.00 USD"),  # half up, carrying into a new group
        ("-350000", "VND", "vi", "-350.000 ₫"),
        ("0", "VND", "vi", "0 ₫"),
        ("100", "vnd", "en", "100 VND"),
    ],
)
def test_money_is_written_the_languages_way(
    amount: str, currency: str, language: str, expected: str
) -> None:
    assert format_money(Decimal(amount), currency, language) == expected


def test_dates_are_written_the_languages_way() -> None:
    day = date(2026, 11, 22)
    assert format_date(day, "vi") == "22/11/2026"
    assert format_date(day, "zh") == "2026年11月22日"
    assert format_date(day, "en") == "22 Nov 2026"
    assert format_date(date(2026, 1, 5), "vi") == "05/01/2026"
    assert format_date(date(2026, 1, 5), "en") == "5 Jan 2026"


def test_the_balance_sms_holds_every_field() -> None:
    assert balance_text(BALANCE, "vi") == (
        "Số dư tài khoản BHXH: 1.250.000 ₫. Lần đóng gần nhất 15/11/2026: 350.000 ₫. "
        "Thẻ BHYT có giá trị đến 31/12/2026."
    )
    assert balance_text(BALANCE, "zh") == (
        "社保账户余额：1,250,000越南盾。最近一次缴费：2026年11月15日，350,000越南盾。"
        "医保有效期至2026年12月31日。"
    )
    assert balance_text(BALANCE, "en") == (
        "Social insurance balance: 1,250,000 VND. Last contribution 15 Nov 2026: 350,000 VND. "
        "Health cover valid until 31 Dec 2026."
    )


def test_missing_fields_leave_their_sentence_out() -> None:
    bare = Balance("VND", Decimal("0"), None, None, None)
    assert balance_text(bare, "en") == "Social insurance balance: 0 VND."
    assert balance_text(bare, "vi") == "Số dư tài khoản BHXH: 0 ₫."


@pytest.mark.parametrize("language", ["vi", "zh", "en"])
def test_the_largest_balance_sms_fits_two_parts_and_english_stays_gsm(language: str) -> None:
    huge = Balance(
        "VND",
        Decimal("-999999999999"),
        date(2026, 12, 28),
        Decimal("999999999999"),
        date(2026, 12, 31),
    )
    found = segments(balance_text(huge, language))
    assert found.count <= 2
    assert found.coding == ("gsm7" if language == "en" else "ucs2")


def test_a_language_without_texts_is_refused() -> None:
    with pytest.raises(ValueError, match="ko"):
        balance_text(BALANCE, "ko")
