"""Phone and account numbers as callers give them, made comparable with what we keep.

Numbers arrive keyed (``0123456789``), recognized from speech, typed by an agent
(``079 123-456.789``), and phones in every national and international form, including the
caller ID a trunk sends ("0901234567", "+84901234567", "84901234567", "anonymous"). Caller ID
is a hint, never a proof: anyone can send any caller ID.
"""

from __future__ import annotations

import re

COUNTRY_CODE = "84"  # Viet Nam: a national number is 0 + 9 digits
_SEPARATORS = re.compile(r"[\s.\-()]")


def clean_number(value: str | None) -> str:
    """``"079 123-456.789"`` -> ``"079123456789"``; "" if anything but ASCII digits is left."""
    digits = _SEPARATORS.sub("", value or "")
    return digits if digits.isascii() and digits.isdigit() else ""


def normalize_phone(value: str | None) -> str:
    """A phone number as we keep it, digits with the country code: ``0901 234 567``,
    ``+84901234567`` and ``0084901234567`` all give ``84901234567``; "" for a hidden or
    unusable number."""
    raw = _SEPARATORS.sub("", (value or "").strip())
    if raw.startswith("+"):
        raw = raw[1:]
    elif raw.startswith("00"):
        raw = raw[2:]
    elif raw.startswith("0"):
        raw = COUNTRY_CODE + raw[1:]
    digits = clean_number(raw)
    return digits if len(digits) >= 8 else ""


def is_mobile(number: str) -> bool:
    """A Vietnamese mobile number (84 + 3/5/7/8/9 + 8 digits): one that can take an SMS.
    Landlines (84 2xx...) and foreign numbers are not texted."""
    return re.fullmatch(r"84[35789]\d{8}", number) is not None
