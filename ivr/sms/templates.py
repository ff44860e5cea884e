"""SMS texts per language (vi, zh, en), with money and dates written the language's way.

A balance SMS is kept within two UCS-2 parts (134 UTF-16 code units) for the largest amounts
an account holds, so a caller is billed at most two SMS; the English text stays in the GSM
7-bit alphabet (amounts as "1,250,000 VND", no currency signs outside GSM), which makes it
one or two plain SMS.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from ivr.core.languages import LANGUAGES

if TYPE_CHECKING:
    from ivr.accounts import Balance

# Digits after the decimal point (ISO 4217 minor units); two for a currency not listed.
MINOR_DIGITS = {"VND": 0, "CNY": 2, "USD": 2, "EUR": 2, "JPY": 0, "KRW": 0}
# How vi and zh write a currency; other currencies are written with their ISO code.
SYMBOL = {"vi": {"VND": "₫", "CNY": "¥"}, "zh": {"VND": "越南盾", "CNY": "元"}}
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"no SMS texts in language {language!r}: one of {', '.join(LANGUAGES)}")


def _grouped(amount: Decimal, digits: int, group: str, point: str) -> str:
    """``1250000.5`` -> ``1,250,000.50`` with the given separators; rounds half up."""
    quantum = Decimal(1).scaleb(-digits)
    value = abs(amount).quantize(quantum, rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{value:f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = group.join(groups) + (point + fraction if fraction else "")
    return ("-" if amount < 0 and value != 0 else "") + text


def format_money(amount: Decimal, currency: str, language: str) -> str:
    """``1.250.000 ₫`` (vi), ``1,250,000越南盾`` or ``1,250.50元`` (zh), ``1,250,000 VND`` (en).

    Vietnamese groups thousands with dots and writes the sign after the number; Chinese writes
    the unit straight after the digits; English keeps the ISO code, which GSM can carry.
    """
    _check(language)
    currency = currency.upper()
    digits = MINOR_DIGITS.get(currency, 2)
    if language == "vi":
        number = _grouped(amount, digits, ".", ",")
        return f"{number} {SYMBOL['vi'].get(currency, currency)}"
    number = _grouped(amount, digits, ",", ".")
    if language == "zh" and currency in SYMBOL["zh"]:
        return f"{number}{SYMBOL['zh'][currency]}"
    return f"{number} {currency}"


def format_date(day: date, language: str) -> str:
    """``22/11/2026`` (vi), ``2026年11月22日`` (zh), ``22 Nov 2026`` (en)."""
    _check(language)
    if language == "vi":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


# One sentence per field; a field the account does not have leaves its sentence out.
_BALANCE = {
    "vi": (
        "Số dư tài khoản BHXH: {balance}.",
        " Lần đóng gần nhất {on}: {amount}.",
        " Thẻ BHYT có giá trị đến {until}.",
    ),
    "zh": ("社保账户余额：{balance}。", "最近一次缴费：{on}，{amount}。", "医保有效期至{until}。"),
    "en": (
        "Social insurance balance: {balance}.",
        " Last contribution {on}: {amount}.",
        " Health cover valid until {until}.",
    ),
}


def balance_text(balance: Balance, language: str) -> str:
    """The balance SMS: balance, last contribution (date and amount), coverage end date."""
    _check(language)
    head, last, cover = _BALANCE[language]
    text = head.format(balance=format_money(balance.balance, balance.currency, language))
    if balance.last_contribution_on is not None and balance.last_contribution is not None:
        text += last.format(
            on=format_date(balance.last_contribution_on, language),
            amount=format_money(balance.last_contribution, balance.currency, language),
        )
    if balance.coverage_until is not None:
        text += cover.format(until=format_date(balance.coverage_until, language))
    return text


_TICKET = {
    "vi": "Tổng đài BHYT: đã ghi nhận yêu cầu số {reference} ({category}). Chúng tôi sẽ trả lời"
    " trước {due}.",
    "zh": "医保热线：您的留言已登记，编号{reference}（{category}）。我们将在{due}前答复。",
    "en": "Insurance hotline: your message is ticket {reference} ({category}). We will answer"
    " by {due}.",
}


def ticket_text(reference: str, category: str, due: date, language: str) -> str:
    """The ticket SMS: the reference, the topic's name and the answer-by date. Never the
    caller's own words: a message may hold personal data the SMS should not repeat."""
    _check(language)
    return _TICKET[language].format(
        reference=reference, category=category, due=format_date(due, language)
    )
