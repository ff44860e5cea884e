"""Reading digit strings and amounts from recognised speech, in Vietnamese, Mandarin, English."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from ivr.asr.numbers import digit_words, digits_from_speech, number_from_speech
from ivr.tts.verbalize import say_digits, say_number

LANGUAGES = ["vi", "zh", "en"]


@pytest.mark.parametrize(
    ("text", "language", "digits"),
    [
        # English: digit words, "oh", double/triple, grouped numbers, numerals, fillers
        ("zero one two", "en", "012"),
        ("one oh five", "en", "105"),
        ("oh nine one two", "en", "0912"),
        ("double five", "en", "55"),
        ("triple 0", "en", "000"),
        ("zero nine double one triple seven", "en", "0911777"),
        ("zero nine twenty five", "en", "0925"),
        ("nine eleven", "en", "911"),
        ("nineteen eighty-four", "en", "1984"),
        ("one eight hundred", "en", "1800"),
        ("twenty twenty", "en", "2020"),
        ("0 1 2", "en", "012"),
        ("105", "en", "105"),
        ("090-123.4567", "en", "0901234567"),
        ("0912, 345", "en", "0912345"),
        ("my number is zero one two", "en", "012"),
        ("uh it's um five five five", "en", "555"),
        ("Zero One Two.", "en", "012"),
        # Vietnamese: không/linh/lẻ for 0, mốt, tư, lăm, bẩy; grouped "hai mốt"
        ("không một hai", "vi", "012"),
        ("không chín linh năm", "vi", "0905"),
        ("lẻ một", "vi", "01"),
        ("bảy bẩy", "vi", "77"),
        ("tư lăm mốt", "vi", "451"),
        ("không chín hai mốt", "vi", "0921"),
        ("không chín hai mươi lăm", "vi", "0925"),
        ("một trăm linh năm", "vi", "105"),
        ("số điện thoại của tôi là không chín một hai", "vi", "0912"),
        ("ờ à không chín tám", "vi", "098"),
        ("không 9 1 2", "vi", "0912"),
        # Mandarin: 零 〇 幺 两, with or without spaces
        ("零幺二", "zh", "012"),
        ("零 幺 二", "zh", "012"),
        ("〇一二", "zh", "012"),
        ("幺三八两四", "zh", "13824"),
        ("我的号码是零九一二", "zh", "0912"),
        ("嗯，零九一二。", "zh", "0912"),
        ("一三九 1234", "zh", "1391234"),
        ("零九一百", "zh", "09100"),
        ("十五", "zh", "15"),
    ],
)
def test_digits_from_speech(text: str, language: str, digits: str) -> None:
    assert digits_from_speech(text, language) == digits


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("", "en"),
        ("uh um", "en"),
        ("hello", "en"),
        ("zero one banana two", "en"),
        ("zero and one", "en"),
        ("double", "en"),
        ("double twenty", "en"),
        ("to for", "en"),  # homophones are not guessed
        ("xin chào", "vi"),
        ("không chín gì đó", "vi"),
        ("là", "vi"),
        ("你好", "zh"),
        ("零九点五", "zh"),
        ("嗯", "zh"),
    ],
)
def test_digits_from_speech_rejects(text: str, language: str) -> None:
    assert digits_from_speech(text, language) is None


@pytest.mark.parametrize(
    ("text", "language", "number"),
    [
        ("one hundred and five", "en", 105),
        ("one hundred five", "en", 105),
        ("two thousand three hundred", "en", 2300),
        ("one million two hundred thousand", "en", 1_200_000),
        ("a hundred", "en", 100),
        ("a thousand", "en", 1000),
        ("twelve hundred", "en", 1200),
        ("twenty-five", "en", 25),
        ("twenty five", "en", 25),
        ("two thousand and one", "en", 2001),
        ("zero", "en", 0),
        ("three billion", "en", 3_000_000_000),
        ("five hundred thousand and six", "en", 500_006),
        ("minus five", "en", -5),
        ("105", "en", 105),
        ("1,200", "en", 1200),
        ("1200000", "en", 1_200_000),
        ("2,000,000", "en", 2_000_000),
        ("2024", "zh", 2024),
        ("5 million", "en", 5_000_000),
        ("it's twenty dollars", "en", 20),
        ("một trăm linh năm", "vi", 105),
        ("một trăm lẻ năm", "vi", 105),
        ("hai mươi mốt", "vi", 21),
        ("mười lăm", "vi", 15),
        ("mười một", "vi", 11),
        ("hai mươi tư", "vi", 24),
        ("hai mươi", "vi", 20),
        ("một nghìn", "vi", 1000),
        ("một ngàn", "vi", 1000),
        ("mười triệu", "vi", 10_000_000),
        ("hai tỷ", "vi", 2_000_000_000),
        ("hai tỉ", "vi", 2_000_000_000),
        ("hai trăm nghìn", "vi", 200_000),
        ("ba triệu năm trăm nghìn", "vi", 3_500_000),
        ("một nghìn không trăm linh năm", "vi", 1005),
        ("một nghìn linh năm", "vi", 1005),
        ("một trăm năm mươi nghìn đồng", "vi", 150_000),
        ("bảy mươi bẩy", "vi", 77),
        ("không", "vi", 0),
        ("âm năm", "vi", -5),
        # everyday shortenings
        ("hai mốt", "vi", 21),
        ("ba lăm", "vi", 35),
        ("trăm hai", "vi", 120),
        ("hai nghìn ba", "vi", 2300),
        ("ba triệu hai", "vi", 3_200_000),
        ("hai triệu rưỡi", "vi", 2_500_000),
        ("1.200.000 đồng", "vi", 1_200_000),
        ("5 triệu", "vi", 5_000_000),
        ("一百零五", "zh", 105),
        ("两千", "zh", 2000),
        ("十五", "zh", 15),
        ("一十五", "zh", 15),
        ("二十一", "zh", 21),
        ("一万二千", "zh", 12_000),
        ("一万两千", "zh", 12_000),
        ("一万二", "zh", 12_000),
        ("一百五", "zh", 150),
        ("三亿", "zh", 300_000_000),
        ("一千万", "zh", 10_000_000),
        ("一千零五十", "zh", 1050),
        ("一万零五", "zh", 10_005),
        ("十万零五", "zh", 100_005),
        ("一亿零五万", "zh", 100_050_000),
        ("零", "zh", 0),
        ("一 百 零 五", "zh", 105),
        ("3万", "zh", 30_000),
        ("一百块", "zh", 100),
        ("负五", "zh", -5),
    ],
)
def test_number_from_speech(text: str, language: str, number: int) -> None:
    assert number_from_speech(text, language) == number


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("", "en"),
        ("hello", "en"),
        ("one two", "en"),  # digits, not a quantity
        ("hundred", "en"),
        ("one hundred hundred", "en"),
        ("one hundred and", "en"),
        ("and five", "en"),
        ("oh", "en"),
        ("1.5", "en"),
        ("1 200", "en"),
        ("1,200.000", "en"),
        ("1,20", "en"),
        ("twenty dollars and fifty cents", "en"),
        ("minus", "en"),
        ("không chín", "vi"),
        ("mươi", "vi"),
        ("một hai ba", "vi"),
        ("xin chào", "vi"),
        ("零五", "zh"),
        ("一二", "zh"),
        ("一百零", "zh"),
        ("百", "zh"),
        ("三块五", "zh"),
        ("你好", "zh"),
    ],
)
def test_number_from_speech_rejects(text: str, language: str) -> None:
    assert number_from_speech(text, language) is None


ROUND_TRIP = [
    *range(0, 121),
    999,
    1000,
    1005,
    1010,
    1050,
    2001,
    2024,
    10_000,
    10_015,
    21_000,
    100_005,
    150_000,
    1_000_005,
    1_234_567,
    3_500_000,
    10_000_000,
    100_050_000,
    2_000_000_000,
    1_000_000_000_005,
    *range(0, 3_000_000, 7919),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_number_round_trip(language: str) -> None:
    for n in ROUND_TRIP:
        said = say_number(n, language)
        assert number_from_speech(said, language) == n, said
        assert number_from_speech(say_number(-n, language), language) == -n


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("digits", ["0", "012", "0905123456", "1234567890", "100", "0000", "77"])
def test_digits_round_trip(language: str, digits: str) -> None:
    assert digits_from_speech(say_digits(digits, language), language) == digits


@pytest.mark.parametrize("language", LANGUAGES)
def test_digit_words_cover_every_digit(language: str) -> None:
    words = digit_words(language)
    assert set(words.values()) == set("0123456789")
    for word, digit in words.items():
        assert digits_from_speech(word, language) == digit


def test_digit_words_list_the_variants() -> None:
    assert digit_words("en")["oh"] == "0"
    vi = digit_words("vi")
    assert {w for w, d in vi.items() if d == "0"} == {"không", "linh", "lẻ"}
    assert vi["mốt"] == "1" and vi["tư"] == "4" and vi["lăm"] == "5" and vi["bẩy"] == "7"
    zh = digit_words("zh")
    assert zh["幺"] == "1" and zh["两"] == "2" and zh["〇"] == "0"


def test_decomposed_vietnamese_marks_are_read() -> None:
    text = unicodedata.normalize("NFD", "một trăm linh năm")
    assert number_from_speech(text, "vi") == 105


@pytest.mark.parametrize("call", [digits_from_speech, number_from_speech])
def test_unknown_language_is_named(call: Callable[[str, str], object]) -> None:
    with pytest.raises(ValueError, match="'ko'"):
        call("one", "ko")


def test_digit_words_unknown_language_is_named() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        digit_words("fr")


@pytest.mark.parametrize(
    ("text", "language", "digits"),
    [
        # a correction restates the last digits said
        ("three five, no, three six", "en", "36"),
        ("zero one two three five, no, three six", "en", "01236"),
        ("one two three sorry one two four", "en", "124"),
        ("four one, no, four zero", "en", "40"),
        ("One, no one.", "en", "101"),  # "no" without its pauses is "oh" misheard
        ("ba năm, nhầm, ba sáu", "vi", "36"),
        ("一二三不对一二四", "zh", "124"),
        # "không" alone is a zero, never a correction; 洞 and 幺 are 0 and 1
        ("ba năm không ba sáu", "vi", "35036"),
        ("幺洞幺", "zh", "101"),
        # read in groups, with pauses (the recognizer's commas) and "oh"
        ("zero nine oh five, one two three, four five six", "en", "0905123456"),
        # the recognizer's own formatting never changes a digit
        ("408-7654", "en", "4087654"),
        ("3,015", "en", "3015"),
        ("30015", "en", "30015"),
        ("Four, zero.", "en", "40"),
    ],
)
def test_digit_strings_as_callers_read_them(text: str, language: str, digits: str) -> None:
    assert digits_from_speech(text, language) == digits
