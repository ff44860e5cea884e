"""Numbers, money and dates written out as words, for a TTS voice to read.

espeak-ng reads numerals by its own guesses: whether "1005" is a quantity or four digits is its
choice, "2026-03-15" comes out as "two thousand twenty six dash zero three dash fifteen", money
has no reading, and Mandarin "2000" is 二千 where a caller expects 两千. So prompts carry the
words, and the reading is the same whatever engine speaks them.

Readings, per language:

- en: British "and" after hundred and before a last part below a hundred ("one hundred and
  five", "two thousand and one"); tens joined by a hyphen ("twenty-five").
- vi: the standard reading: every group after the first is read in full, so 1005 is "một nghìn
  không trăm linh năm"; "linh" for a zero ten, "mốt"/"tư"/"lăm" for 1/4/5 after "mươi"
  ("hai mươi mốt", "hai mươi tư") and "lăm" after "mười" ("mười lăm"); "nghìn" (Northern),
  "tỷ".
- zh: "零" once for each run of zeros inside the number ("一万零五"), "十五" not "一十五" at
  the start, and "两" for a leading 2 directly before 千, 万 or 亿 ("两千", "两万", "两亿"; but
  "二百", "二十亿").
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from ivr.core.languages import LANGUAGES

_NEGATIVE = {"en": "minus", "vi": "âm", "zh": "负"}

_EN_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))
_EN_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_EN_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth"}
_EN_ORDINALS |= {"eight": "eighth", "nine": "ninth", "twelve": "twelfth"}

_VI_DIGITS = "không một hai ba bốn năm sáu bảy tám chín".split()
_ZH_DIGITS = "零一二三四五六七八九"
# Spoken phone and account numbers use 幺 for 1: over a narrow phone line yī is easily heard
# as qī (7), which is why operators and callers in China say yāo.
_ZH_SAY_DIGITS = "零幺二三四五六七八九"


def say_number(n: int, language: str) -> str:
    """``n`` in words: 105 -> "one hundred and five", "một trăm linh năm", "一百零五"."""
    _check(language)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"say_number takes an int, not {type(n).__name__}")
    if n < 0:
        return _join([_NEGATIVE[language], say_number(-n, language)], language)
    if language == "en":
        return _en(n)
    if language == "vi":
        return " ".join(_vi(n, leading=True)) if n else "không"
    return _zh(n, leading=True) if n else "零"


def say_digits(digits: str, language: str) -> str:
    """Digit by digit: "0 1 2" -> "zero one two", "không một hai", "零幺二".

    Spaces, dashes and dots between digits are dropped; anything else is a ValueError."""
    _check(language)
    plain = re.sub(r"[\s.\-]", "", digits)
    if not plain or not (plain.isascii() and plain.isdigit()):
        raise ValueError(f"say_digits: not a digit string: {digits!r}")
    table = {"en": _EN_SMALL, "vi": _VI_DIGITS, "zh": _ZH_SAY_DIGITS}[language]
    return _join([table[int(d)] for d in plain], language)


# Per currency: how many minor units make one, and the unit words per language:
# (one major, many major, one minor, many minor); Chinese counts have no plural.
_CURRENCIES: dict[str, tuple[int, dict[str, tuple[str, str, str, str]]]] = {
    "VND": (1, {"en": ("dong",) * 4, "vi": ("đồng",) * 4, "zh": ("越南盾",) * 4}),
    "USD": (
        100,
        {
            "en": ("dollar", "dollars", "cent", "cents"),
            "vi": ("đô la", "đô la", "xu", "xu"),
            "zh": ("美元", "美元", "美分", "美分"),
        },
    ),
    "CNY": (
        100,
        {
            "en": ("yuan", "yuan", "fen", "fen"),
            "vi": ("nhân dân tệ", "nhân dân tệ", "xu", "xu"),
            "zh": ("元", "元", "分", "分"),  # read as 元, 角 and 分 by _zh_money
        },
    ),
}


def say_money(amount: int | Decimal, currency: str, language: str) -> str:
    """An amount with its currency: VND has no minor unit ("một trăm năm mươi nghìn đồng",
    "十五万越南盾"); USD and CNY read the cents ("twelve dollars and fifty cents", "十二元五角").

    A float is refused (TypeError): binary floats do not hold cents exactly. An amount finer
    than the currency's smallest unit is a ValueError, not silently rounded."""
    _check(language)
    code = currency.upper()
    if code not in _CURRENCIES:
        raise ValueError(f"say_money: unsupported currency {currency!r}; use VND, USD or CNY")
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise TypeError(f"say_money takes an int or Decimal, not {type(amount).__name__}")
    per_major, names = _CURRENCIES[code]
    minor_total = Decimal(amount) * per_major
    if not minor_total.is_finite() or minor_total != minor_total.to_integral_value():
        raise ValueError(f"say_money: {amount} {code} is not a whole number of its smallest unit")
    major, minor = divmod(abs(int(minor_total)), per_major)
    if language == "zh":
        words = _zh_money(major, minor, code, names["zh"])
    else:
        words = _money_words(major, minor, names[language], language)
    return _join([_NEGATIVE[language], words], language) if minor_total < 0 else words


def say_date(d: datetime.date, language: str) -> str:
    """A calendar date: "March fifteenth, twenty twenty-six", "ngày mười lăm tháng ba năm hai
    nghìn không trăm hai mươi sáu", "二〇二六年三月十五日" (a Chinese year digit by digit)."""
    _check(language)
    if language == "en":
        return f"{_EN_MONTHS[d.month - 1]} {_en_ordinal(d.day)}, {_en_year(d.year)}"
    if language == "vi":
        month = "tư" if d.month == 4 else say_number(d.month, "vi")  # April is "tháng tư"
        return f"ngày {say_number(d.day, 'vi')} tháng {month} năm {say_number(d.year, 'vi')}"
    year = "".join("〇" if c == "0" else _ZH_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{say_number(d.month, 'zh')}月{say_number(d.day, 'zh')}日"


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"verbalize: unsupported language {language!r}; use vi, zh or en")


def _join(words: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(words)


def _en(n: int) -> str:
    if n < 1000:
        return _en_below_1000(n)
    parts = []
    for scale, name in _EN_SCALES:
        if n >= scale:
            head, n = divmod(n, scale)
            parts.append(f"{_en(head)} {name}")
    if n:
        parts.append(("and " if n < 100 else "") + _en_below_1000(n))
    return " ".join(parts)


def _en_below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    if rest < 20:
        below_100 = _EN_SMALL[rest]
    else:
        below_100 = _EN_TENS[tens] + (f"-{_EN_SMALL[units]}" if units else "")
    if not hundreds:
        return below_100
    return f"{_EN_SMALL[hundreds]} hundred" + (f" and {below_100}" if rest else "")


def _en_ordinal(n: int) -> str:
    """15 -> "fifteenth", 21 -> "twenty-first": only the last word changes."""
    words = _en(n)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    if last in _EN_ORDINALS:
        return head + _EN_ORDINALS[last]
    if last.endswith("y"):
        return head + last[:-1] + "ieth"
    return head + last + "th"


def _en_year(year: int) -> str:
    """2026 "twenty twenty-six", 1905 "nineteen oh five", 1900 "nineteen hundred", but 2005
    "two thousand and five" and 2000 "two thousand", as years are said."""
    if not 1000 <= year <= 9999 or year % 1000 < 10:
        return _en(year)
    century, rest = divmod(year, 100)
    if rest == 0:
        return f"{_en(century)} hundred"
    return f"{_en(century)} {'oh ' if rest < 10 else ''}{_en(rest)}"


def _vi(n: int, leading: bool) -> list[str]:
    """Words for n > 0; ``leading`` is false after a higher group (read all three digits)."""
    words: list[str] = []
    if n >= 10**9:
        head, n = divmod(n, 10**9)
        words += [*_vi(head, leading), "tỷ"]
        leading = False
    for scale, name in ((10**6, "triệu"), (10**3, "nghìn"), (1, "")):
        head, n = divmod(n, scale)
        if head:
            words += _vi_group(head, leading) + ([name] if name else [])
            leading = False
    return words


def _vi_group(n: int, leading: bool) -> list[str]:
    """1..999. Not leading, a zero hundred is still said: 1005 "... không trăm linh năm"."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words = [_VI_DIGITS[hundreds], "trăm"] if hundreds or not leading else []
    if tens == 0:
        return words + (["linh"] if words and units else []) + [_VI_DIGITS[units]] * bool(units)
    if tens == 1:
        words.append("mười")
        unit_words = {5: "lăm"}
    else:
        words += [_VI_DIGITS[tens], "mươi"]
        unit_words = {1: "mốt", 4: "tư", 5: "lăm"}
    if units:
        words.append(unit_words.get(units, _VI_DIGITS[units]))
    return words


def _zh(n: int, leading: bool) -> str:
    """Words for n > 0, in sections of four digits joined by 万 and 亿."""
    out = ""
    for scale, name in ((10**8, "亿"), (10**4, "万")):
        if n >= scale:
            head, n = divmod(n, scale)
            out += ("两" if head == 2 and leading else _zh(head, leading)) + name
            leading = False
            if 0 < n < scale // 10:  # a zero section or leading zero before what remains
                out += "零"
    return out + (_zh_section(n, leading) if n else "")


def _zh_section(n: int, leading: bool) -> str:
    """1..9999 with 千百十; one 零 for each gap before a non-zero digit."""
    out, gap = "", False
    for place, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // place % 10
        if digit == 0:
            gap = bool(out)
            continue
        if gap:
            out += "零"
            gap = False
        if leading and not out and digit == 1 and unit == "十":
            out += "十"  # "十五", not "一十五"
        elif leading and not out and digit == 2 and unit == "千":
            out += "两千"
        else:
            out += _ZH_DIGITS[digit] + unit
    return out


def _money_words(major: int, minor: int, names: tuple[str, str, str, str], language: str) -> str:
    one, many, one_minor, many_minor = names
    parts = []
    if major or not minor:
        parts.append(f"{say_number(major, language)} {one if major == 1 else many}")
    if minor:
        parts.append(f"{say_number(minor, language)} {one_minor if minor == 1 else many_minor}")
    return (" and " if language == "en" else " ").join(parts)


def _zh_money(major: int, minor: int, code: str, names: tuple[str, str, str, str]) -> str:
    """Chinese counts money with 两 for a lone 2 ("两元"); yuan split into 角 (dimes) and 分."""

    def count(n: int) -> str:
        return "两" if n == 2 else say_number(n, "zh")

    out = f"{count(major)}{names[0]}" if major or not minor else ""
    if not minor:
        return out
    if code != "CNY":
        return out + count(minor) + names[2]
    jiao, fen = divmod(minor, 10)
    if jiao:
        out += count(jiao) + "角"
    elif out:
        out += "零"  # 十二元零五分
    return out + (count(fen) + "分" if fen else "")
