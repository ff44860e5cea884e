"""What callers give, made comparable with what the accounts keep: dates of birth here,
numbers and phones in :mod:`ivr.core.phone`. Both backends clean them the same way, so a value
found in one is found in the other."""

from __future__ import annotations

from datetime import date

from ivr.core.phone import clean_number


def parse_birth_date(value: str) -> date | None:
    """``"05031987"`` (DDMMYYYY, as keyed) -> 5 March 1987; None for anything else.

    Exactly eight digits: ``strptime("%d%m%Y")`` alone would also take ``"5031987"``.
    """
    digits = clean_number(value)
    if len(digits) != 8:
        return None
    try:
        return date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        return None
