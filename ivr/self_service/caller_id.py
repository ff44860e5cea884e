"""The caller's number as the accounts keep mobiles: digits with the country code.

Caller ID comes as the trunk sends it ("0901234567", "+84901234567", "84901234567",
"anonymous"). It is a hint, never a proof: anyone can send any caller ID.
"""

from __future__ import annotations

import re

COUNTRY_CODE = "84"  # Viet Nam: a national number is 0 + 9 digits


def caller_number(callerid: str | None) -> str:
    """``0901234567`` -> ``84901234567``; "" for a hidden or unusable caller ID."""
    raw = (callerid or "").strip()
    digits = re.sub(r"[\s().-]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = COUNTRY_CODE + digits[1:]
    return digits if digits.isdigit() and len(digits) >= 8 else ""


def is_mobile(number: str) -> bool:
    """A Vietnamese mobile number (84 + 3/5/7/8/9 + 8 digits): one that can take an SMS.
    Landlines (84 2xx...) and foreign numbers are not texted."""
    return re.fullmatch(r"84[35789]\d{8}", number) is not None
