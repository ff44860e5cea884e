"""Whole numbers people type into forms and addresses (a version, a page, an id): ASCII digits.

``str.isdigit()`` is true for "²" and "١٢" (Arabic-Indic digits), and ``int()`` then fails on
the first (a ValueError, a 500 page) and takes the second, as it takes " 12", "+12" and
"1_200". A number of any length also overflows a database column (SQLite raises OverflowError
past 64 bits). Every number read from a request goes through ``whole_number`` instead.
"""

from __future__ import annotations

MAX_DIGITS = 18  # below 10**18, so it fits a 64-bit column (SQLite INTEGER, PostgreSQL BIGINT)


def whole_number(text: str | None) -> int | None:
    """``text`` as a whole number when it is 1-18 ASCII digits and nothing else, else None."""
    if not text or len(text) > MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)
