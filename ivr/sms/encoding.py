"""How an SMS text travels: GSM 03.38 7-bit or UCS-2, how many segments, where it splits.

A text that fits the GSM 7-bit default alphabet (basic table plus the extension table reached
through ESC) costs 160 characters per SMS, 153 per part of a concatenated one (the 6-octet
concatenation header takes 7 septets). Anything else, Vietnamese diacritics and Chinese
included, goes as UCS-2: 70 code units per SMS, 67 per part. UCS-2 on the wire is UTF-16-BE in
practice, so lengths count UTF-16 code units: a character outside the Basic Multilingual Plane
(an emoji, a rare CJK ideograph) takes two, and a split never separates the two halves.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Coding = Literal["gsm7", "ucs2"]

# GSM 03.38 default alphabet, in code order 0x00-0x7F. 0x1B is the escape to the extension
# table, shown here as a placeholder that no text contains.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
ESCAPE = 0x1B
# The extension table: a character and the code that follows ESC.
GSM_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_GSM_CODE = {char: code for code, char in enumerate(GSM_BASIC) if code != ESCAPE}

SINGLE = {"gsm7": 160, "ucs2": 70}  # septets or UTF-16 code units in one SMS
PART = {"gsm7": 153, "ucs2": 67}  # ... in one part of a concatenated SMS


@dataclass(frozen=True)
class Segments:
    coding: Coding
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)
    count: int  # SMS parts the phone is billed for


def normalize(text: str) -> str:
    """NFC: a Vietnamese letter typed as base + combining marks becomes one character, which
    is shorter in UCS-2 and the form phones display best."""
    return unicodedata.normalize("NFC", text)


def is_gsm(text: str) -> bool:
    """Whether every character is in the GSM default alphabet or its extension table."""
    return all(char in _GSM_CODE or char in GSM_EXTENSION for char in text)


def coding_of(text: str) -> Coding:
    return "gsm7" if is_gsm(text) else "ucs2"


def _units(char: str, coding: Coding) -> int:
    if coding == "gsm7":
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def length(text: str, coding: Coding | None = None) -> int:
    """Septets (an extension character takes two) or UTF-16 code units."""
    coding = coding or coding_of(text)
    return sum(_units(char, coding) for char in text)


def split(text: str, coding: Coding | None = None) -> list[str]:
    """The parts of a concatenated SMS; one part when the text fits in a single SMS.

    Splitting is by characters, so an ESC pair or a surrogate pair is never cut in two.
    """
    coding = coding or coding_of(text)
    if length(text, coding) <= SINGLE[coding]:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = _units(char, coding)
        if used + size > PART[coding]:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    parts.append("".join(current))
    return parts


def segments(text: str) -> Segments:
    """Coding, length and number of SMS parts of ``text``."""
    coding = coding_of(text)
    units = length(text, coding)
    return Segments(coding, units, len(split(text, coding)))


def gsm_encode(text: str) -> bytes:
    """GSM 7-bit codes, one per octet (unpacked, as SMPP carries them with data_coding 0)."""
    out = bytearray()
    for char in text:
        if char in GSM_EXTENSION:
            out += bytes((ESCAPE, GSM_EXTENSION[char]))
        elif char in _GSM_CODE:
            out.append(_GSM_CODE[char])
        else:
            raise ValueError(f"{char!r} (U+{ord(char):04X}) is not in the GSM 7-bit alphabet")
    return bytes(out)


def gsm_decode(data: bytes) -> str:
    """The inverse of :func:`gsm_encode`, for fake peers and tests."""
    extension = {code: char for char, code in GSM_EXTENSION.items()}
    chars: list[str] = []
    escaped = False
    for code in data:
        if escaped:
            chars.append(extension.get(code, " "))
            escaped = False
        elif code == ESCAPE:
            escaped = True
        else:
            chars.append(GSM_BASIC[code & 0x7F])
    return "".join(chars)
