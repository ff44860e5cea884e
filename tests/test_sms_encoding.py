"""GSM 03.38 detection, segment counting and splitting, for Vietnamese, Chinese and English."""

from __future__ import annotations

import pytest

from ivr.sms.encoding import (
    GSM_BASIC,
    gsm_decode,
    gsm_encode,
    is_gsm,
    length,
    normalize,
    segments,
    split,
)

VIETNAMESE = "Số dư tài khoản của quý vị là 1.250.000 ₫"
CHINESE = "您的社保账户余额为1,250,000越南盾"


def test_the_gsm_alphabet_has_128_codes_and_the_known_positions() -> None:
    assert len(GSM_BASIC) == 128
    assert gsm_encode("@") == b"\x00"
    assert gsm_encode("A") == b"\x41"
    assert gsm_encode("§") == b"\x5f"  # where ASCII has an underscore
    assert gsm_encode("_") == b"\x11"
    assert gsm_encode("à") == b"\x7f"


def test_extension_characters_take_an_escape_and_two_septets() -> None:
    assert gsm_encode("€") == b"\x1b\x65"
    assert gsm_encode("{}") == b"\x1b\x28\x1b\x29"
    assert length("{€}") == 6
    assert is_gsm("Price: 5€ {a} [b] ~ ^ | \\")
    assert gsm_decode(gsm_encode("Price: 5€ {a} [b]")) == "Price: 5€ {a} [b]"


def test_vietnamese_and_chinese_are_not_gsm() -> None:
    assert not is_gsm(VIETNAMESE)  # ố, ư, ả, ₫ are not in GSM 03.38
    assert not is_gsm(CHINESE)
    assert not is_gsm("`")  # the backtick is in ASCII but not in GSM
    with pytest.raises(ValueError, match="U\\+1ED1"):
        gsm_encode("ố")


@pytest.mark.parametrize(
    ("text", "coding", "units", "count"),
    [
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("€" * 80, "gsm7", 160, 1),
        ("€" * 81, "gsm7", 162, 2),
        ("ư" * 70, "ucs2", 70, 1),
        ("ư" * 71, "ucs2", 71, 2),
        ("中" * 134, "ucs2", 134, 2),
        ("中" * 135, "ucs2", 135, 3),
    ],
)
def test_segments_follow_the_single_and_concatenated_limits(
    text: str, coding: str, units: int, count: int
) -> None:
    found = segments(text)
    assert (found.coding, found.units, found.count) == (coding, units, count)


def test_characters_outside_the_bmp_count_two_utf16_units_and_are_never_cut() -> None:
    text = "ư" * 66 + "😀" + "ư" * 10  # the emoji would straddle the 67-unit boundary
    assert length(text, "ucs2") == 78
    parts = split(text)
    assert "".join(parts) == text
    assert parts[0] == "ư" * 66  # the emoji moved whole into the second part
    assert all(length(part, "ucs2") <= 67 for part in parts)


def test_an_escape_pair_is_never_split_across_parts() -> None:
    text = "a" * 152 + "€" + "b" * 10  # € would need septets 153 and 154
    parts = split(text)
    assert parts[0] == "a" * 152
    assert parts[1].startswith("€")
    assert all(length(part, "gsm7") <= 153 for part in parts)


def test_split_long_vietnamese_keeps_every_character() -> None:
    text = (VIETNAMESE + ". ") * 5
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == segments(text).count == 4
    assert all(len(part) <= 67 for part in parts)


def test_decomposed_vietnamese_is_composed_which_also_shortens_it() -> None:
    decomposed = "So\u0302\u0301 du\u031b"  # "Số dư" typed as base letters + combining marks
    assert normalize(decomposed) == "Số dư"
    assert length(normalize(decomposed), "ucs2") < length(decomposed, "ucs2")
