"""What callers give, made comparable with what the accounts keep.

Numbers arrive keyed (``0123456789``), recognized from speech or typed by an agent
(``079 123-456.789``), and mobiles in every national and international form. Both backends
clean them the same way, so a number found in one is found in the other.
"""

from __future__ import annotations

import re
from datetime import date

COUNTRY_CODE = "84"  # Viet Nam: a national mobile number is 0 + 9 digits
_SEPARATORS = re.compile(r"[\s.\-()]")


def clean_number(value: str) -> str:
    """``"079 123-456.789"`` -> ``"079123456789"``; "" if anything but ASCII digits is left."""
    digits = _SEPARATORS.sub("", value or "")
    return digits if digits.isascii() and digits.isdigit() else ""


def clean_mobile(value: str) -> str:
    """A mobile as the accounts keep it, digits with the country code: ``0901 234 567``,
    ``+84901234567`` and ``0084901234567`` all give ``84901234567``; "" if unusable."""
    raw = _SEPARATORS.sub("", value or "")
    if raw.startswith("+"):
        raw = raw[1:]
    elif raw.startswith("00"):
        raw = raw[2:]
    elif raw.startswith("0"):
        raw = COUNTRY_CODE + raw[1:]
    digits = clean_number(raw)
    return digits if len(digits) >= 8 else ""


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
