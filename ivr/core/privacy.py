"""Masking of personal numbers (phone, account, ID numbers, PINs) before they reach a log.

The database keeps numbers in full; logs only ever see them through these two functions.
Texts kept only for a while (an SMS until the gateway has it) lose their digits with
``redact_digits``.
"""

from __future__ import annotations

import re

VISIBLE = 4
# ``\d`` also matches full-width and other Unicode digits, which speech and SMS text can hold.
_LONG_DIGITS = re.compile(rf"\d{{{VISIBLE + 1},}}")
_ANY_DIGIT = re.compile(r"\d")


def mask_number(value: str | None) -> str:
    """Keep only the last 4 characters visible: ``0901234567`` → ``******4567``.

    A value of 4 characters or fewer (a PIN, an extension) is fully hidden as ``****``, which
    also hides its length; a missing value is ``-`` so a log line never has an empty field.
    """
    value = (value or "").strip()
    if not value:
        return "-"
    if len(value) <= VISIBLE:
        return "*" * VISIBLE
    return "*" * (len(value) - VISIBLE) + value[-VISIBLE:]


def mask_digits_in(text: str) -> str:
    """Mask every run of 5 or more digits inside free text (recognized speech, SMS bodies)."""
    return _LONG_DIGITS.sub(lambda match: mask_number(match.group(0)), text)


def redact_digits(text: str) -> str:
    """Every digit as ``#``: a sent SMS keeps its words and its shape, not the balance, dates
    and references it carried. The length and the SMS coding stay (``#`` is GSM 7-bit like an
    ASCII digit; another script's digit becomes the full-width ``＃``, UCS-2 like it), so the
    redacted text still counts as the same number of SMS parts."""
    return _ANY_DIGIT.sub(lambda m: "#" if m.group(0).isascii() else "\uff03", text)
