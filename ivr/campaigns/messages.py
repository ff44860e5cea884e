"""A campaign's message for one number: its language's template with the number's fields.

A field is written ``{name}`` (said as written), ``{name:money}`` (an amount in the
campaign's currency), ``{name:date}`` (a date given as YYYY-MM-DD) or ``{name:digits}``
(said digit by digit). Spoken, money and dates are verbalised in the caller's language
("một triệu hai trăm năm mươi nghìn đồng"); by SMS they are written the usual way
("1.250.000 ₫").
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from ivr.core.languages import LANGUAGES
from ivr.sms.templates import format_date, format_money
from ivr.tts.verbalize import say_date, say_digits, say_money

FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)(?::(money|date|digits))?\}")


def fields_of(template: str) -> dict[str, str]:
    """The fields a template uses: name -> kind ("" for plain)."""
    return {m.group(1): m.group(2) or "" for m in FIELD.finditer(template)}


def check_template(template: str, language: str) -> None:
    """ValueError for an unknown language, an empty text or a brace that is not a field."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r} (one of {', '.join(LANGUAGES)})")
    if not template.strip():
        raise ValueError(f"the {language} template is empty")
    rest = FIELD.sub("", template)
    if "{" in rest or "}" in rest:
        raise ValueError(
            f"the {language} template has a brace that is not a field: write {{name}},"
            " {name:money}, {name:date} or {name:digits}"
        )


def spoken(template: str, values: dict[str, str], language: str, currency: str) -> str:
    """The text the caller hears."""

    def one(match: re.Match[str]) -> str:
        name, kind, value = match.group(1), match.group(2) or "", values[match.group(1)]
        if kind == "money":
            return say_money(_amount(name, value), currency, language)
        if kind == "date":
            return say_date(_day(name, value), language)
        if kind == "digits":
            return say_digits(value, language)
        return value

    return FIELD.sub(one, template)


def written(template: str, values: dict[str, str], language: str, currency: str) -> str:
    """The text sent by SMS."""

    def one(match: re.Match[str]) -> str:
        name, kind, value = match.group(1), match.group(2) or "", values[match.group(1)]
        if kind == "money":
            return format_money(_amount(name, value), currency, language)
        if kind == "date":
            return format_date(_day(name, value), language)
        return value

    return FIELD.sub(one, template)


def _amount(name: str, value: str) -> Decimal:
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"field {name!r} must be an amount like 1250000, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"field {name!r} must be an amount like 1250000, got {value!r}")
    return amount


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"field {name!r} must be a date like 2027-01-15, got {value!r}") from None
