"""Numbers in recognised speech: digit strings (phone, account, ticket numbers) and amounts.

The text is what a recognizer produced: lower-case words, and sometimes numerals already
(Whisper writes "0 1 2", "105" or "one oh five"; a Chinese recognizer may or may not put spaces
between characters). Two readings exist because callers say them differently: a phone number
digit by digit ("không chín một"), an amount as a quantity ("một trăm linh năm nghìn").

What is accepted, per language:

- Digit words, every variant in :func:`digit_words` (en "oh" = 0; vi "linh"/"lẻ" = 0, "mốt" = 1,
  "tư" = 4, "lăm" = 5, "bẩy" = 7; zh "幺" = 1, "两" = 2, "〇" = 0).
- Natural numbers in words: en "one hundred and five", "twelve hundred", "a thousand"; vi
  "một trăm linh năm", "hai mươi mốt", "một nghìn không trăm linh năm", and the everyday
  shortenings "hai mốt" (21), "trăm hai" (120), "hai triệu rưỡi" (2 500 000), "ba triệu hai"
  (3 200 000); zh "一百零五", "十五", "一万二千", and the shortening "一万二" (12 000).
- Numerals: in a digit string they pass through with spaces, dashes and dots dropped; as an
  amount "1,200" and the Vietnamese "1.200.000" are thousands separators, and a numeral may
  carry a scale word ("5 triệu", "3万", "2 million"). Decimals ("1.5") are not amounts here.
- Punctuation and symbols are separators ("0912, 345" is "0912345"; "$5" is 5).
- Small per-language lists of filler words ("uh", "my number is", "ờ", "là", "嗯", "我的号码是")
  are dropped; for amounts also currency words ("đồng", "dollars", "块"). Any other word makes
  the text "not a number" (None): a caller who said something else must be asked again, not
  be given a number they did not say.

Vietnamese is expected with its tone marks (what the vosk model writes); text is NFKC-normalised
first, so decomposed marks and full-width digits are fine.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from ivr.core.languages import LANGUAGES


def _counted(words: str, first: int) -> list[tuple[str, int]]:
    """("zero one two", 0) -> [("zero", 0), ("one", 1), ("two", 2)]: tables of number words."""
    return [(word, i) for i, word in enumerate(words.split(), first)]


# Digit strings: every word a caller may use for a digit.
_DIGIT_WORDS: dict[str, dict[str, str]] = {
    "en": {
        **{"zero": "0", "oh": "0", "o": "0", "no": "0"},  # "no": "oh" as a recognizer hears it
        **{w: str(i) for w, i in _counted("one two three four five six seven eight nine", 1)},
    },
    "vi": {
        **{"không": "0", "linh": "0", "lẻ": "0", "mốt": "1", "tư": "4", "lăm": "5", "bẩy": "7"},
        **{w: str(i) for w, i in _counted("một hai ba bốn năm sáu bảy tám chín", 1)},
    },
    "zh": {
        **{"〇": "0", "洞": "0", "幺": "1", "两": "2"},
        **{c: str(i) for c, i in _counted(" ".join("零一二三四五六七八九"), 0)},
    },
}

_FILLERS: dict[str, set[str] | list[str]] = {
    "en": set(
        "uh um umm er erm ah hmm mm so well okay ok is it it's its that's my number phone "
        "the account code".split()
    ),
    "vi": set("ờ ừ à ừm ơ ạ dạ vâng thì là số của tôi em mình điện thoại tài khoản mã".split()),
    # No spaces in Chinese, so these are cut out of the text as substrings, longest first.
    "zh": sorted(
        "嗯 呃 啊 那个 就是 是 我的 我 的 号码 电话 手机号 手机 账号".split(), key=len, reverse=True
    ),
}
# What a caller says to correct the digits just said ("three five, no, three six"). Vietnamese
# "không" alone is a zero, so only longer corrections count there.
_REPAIRS: dict[str, tuple[str, ...]] = {
    # "no" alone is often "oh" misheard ("one, no one"): only ", no," between pauses corrects
    "en": (", no,", "sorry", "i mean", "wait", "correction", "scratch that", "not that"),
    "vi": ("không phải", "nhầm", "xin lỗi", "lộn", "sửa lại"),  # "à không" is "uh, zero"
    "zh": ("不对", "不是", "说错了", "错了", "我是说"),
}
_AMOUNT_WORDS: dict[str, set[str] | list[str]] = {
    "en": set("dollar dollars dong yuan usd vnd bucks".split()),
    "vi": set("đồng đ vnđ vnd".split()),
    "zh": sorted("块钱 块 元 越南盾 人民币 美元".split(), key=len, reverse=True),
}
_NEGATIVE = {"en": {"minus", "negative"}, "vi": {"âm"}, "zh": {"负"}}
_MULTIPLIERS: dict[str, dict[str, int]] = {"en": {"double": 2, "triple": 3}, "vi": {}, "zh": {}}

# Numbers: the words of each language's number grammar.
_EN_UNITS = dict(_counted("zero one two three four five six seven eight nine", 0))
_EN_TEENS = dict(
    _counted("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen", 10)
)
_EN_TENS = {
    w: i * 10 for w, i in _counted("twenty thirty forty fifty sixty seventy eighty ninety", 2)
}
_VI_DIGITS = dict(_counted("không một hai ba bốn năm sáu bảy tám chín", 0)) | {"bẩy": 7}
# After "mười"/"mươi" the units change form: 21 "hai mươi mốt", 24 "hai mươi tư", 15 "mười lăm".
_VI_UNITS_AFTER_TENS = {**_VI_DIGITS, "mốt": 1, "tư": 4, "lăm": 5}
del _VI_UNITS_AFTER_TENS["không"]
# ...and in speech "mươi" itself is often dropped before those forms: "hai mốt", "ba lăm".
_VI_ELIDED = {"mốt": 1, "tư": 4, "lăm": 5}
_ZH_DIGITS = dict(_counted(" ".join("零一二三四五六七八九"), 0)) | {"〇": 0, "两": 2}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_SCALES = {
    "en": {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12},
    "vi": {"nghìn": 10**3, "ngàn": 10**3, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9},
    "zh": {"万": 10**4, "亿": 10**8},
}
_LONGEST_GROUP = 16  # tokens; "one million two hundred and thirty-four thousand ..." fits

_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN = re.compile(rf"[0-9]+(?:[.,\-][0-9]+)*|[{_CJK}]|(?:(?![{_CJK}])[^\W\d_])+(?:'[^\W\d_]+)?")
# "1,200" and "1.200.000" (Vietnamese writes dots): one separator kind, groups of three
_WHOLE_NUMERAL = re.compile(r"[0-9]+|[0-9]{1,3}([.,])[0-9]{3}(?:\1[0-9]{3})*")


def digit_words(language: str) -> dict[str, str]:
    """Every word accepted for a digit, mapped to the digit: {"không": "0", "linh": "0", ...}.

    Its keys are the phrase list for a recognizer grammar that captures digits."""
    _check(language)
    return dict(_DIGIT_WORDS[language])


def digits_from_speech(text: str, language: str) -> str | None:
    """The digit string the caller read out ("zero one two" -> "012"), or None.

    Digits are read one by one, but a run of number words is taken as the number it makes,
    longest run first: "zero nine twenty five" -> "0925", "nine eleven" -> "911",
    "không chín hai mốt" -> "0921", "零九一百" -> "09100". en "double five" -> "55",
    "triple 0" -> "000". A correction restates the last digits: "three five, no, three six"
    -> "36", "zero one two sorry two one" -> "021". None when there is no digit or when a word
    is neither a number word nor a filler."""
    _check(language)
    out = ""
    for part in _repaired_parts(text, language):
        digits = _digits_of(part, language)
        if digits is None:
            return None
        out = out[: max(0, len(out) - len(digits))] + digits
    return out or None


def _repaired_parts(text: str, language: str) -> list[str]:
    """``text`` cut at each correction ("three five, no, three six" -> two parts)."""
    lowered = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    cues = sorted(_REPAIRS[language], key=len, reverse=True)
    if language == "zh":
        pattern = "|".join(re.escape(cue) for cue in cues)
    else:
        lowered = re.sub(r"\s*,\s*", ", ", lowered)
        pattern = "|".join(
            (r"(?<![\w'])" if cue[0].isalnum() else "") + re.escape(cue) + r"(?![\w'])"
            for cue in cues
        )
    return [part for part in re.split(pattern, lowered) if part.strip(" ,.;:!?-")]


def _digits_of(text: str, language: str) -> str | None:
    tokens = _tokens(text, language, _FILLERS[language])
    # Numerals and "double five" are taken as written; runs of words between them are grouped.
    pieces: list[str | list[str]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        times = _MULTIPLIERS[language].get(token)
        if times:  # exactly one digit must follow
            i += 1
            digit = _single_digit(tokens[i], language) if i < len(tokens) else None
            if digit is None:
                return None
            pieces.append(digit * times)
        elif token[0].isdigit():
            pieces.append(re.sub(r"[.,\-]", "", token))
        elif pieces and isinstance(pieces[-1], list):
            pieces[-1].append(token)
        else:
            pieces.append([token])
        i += 1
    out = ""
    for piece in pieces:
        digits = piece if isinstance(piece, str) else _group_digits(piece, language)
        if digits is None:
            return None
        out += digits
    return out or None


def number_from_speech(text: str, language: str) -> int | None:
    """The quantity the caller said ("một trăm linh năm" -> 105, "两千" -> 2000), or None.

    Numerals pass through ("105", "1,200"); a leading "minus"/"âm"/"负" makes it negative."""
    _check(language)
    tokens = _tokens(text, language, _FILLERS[language], _AMOUNT_WORDS[language])
    sign = 1
    if tokens and tokens[0] in _NEGATIVE[language]:
        sign, tokens = -1, tokens[1:]
    value = _number(tokens, language)
    return None if value is None else sign * value


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"numbers in speech: unsupported language {language!r}; use vi, zh or en")


def _tokens(text: str, language: str, *drop: set[str] | list[str]) -> list[str]:
    """Words, single Chinese characters and numerals, with the ``drop`` words taken out."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    if language == "zh":
        for words in drop:
            for word in words:
                text = text.replace(word, " ")
        return _TOKEN.findall(text)
    return [t for t in _TOKEN.findall(text) if not any(t in words for words in drop)]


def _single_digit(token: str, language: str) -> str | None:
    if len(token) == 1 and token.isdigit():
        return token
    return _DIGIT_WORDS[language].get(token)


def _group_digits(words: list[str], language: str) -> str | None:
    """Digits for a run of number words: the longest number first, else one digit word."""
    out = ""
    i = 0
    while i < len(words):
        for end in range(min(len(words), i + _LONGEST_GROUP), i + 1, -1):
            value = _number(words[i:end], language)
            if value is not None:
                out += str(value)
                i = end
                break
        else:
            single = _DIGIT_WORDS[language].get(words[i])
            if single is None:
                value = _number(words[i : i + 1], language)  # "twenty", "mười", "十"
                if value is None:
                    return None
                single = str(value)
            out += single
            i += 1
    return out


def _number(tokens: list[str], language: str) -> int | None:
    """Parse a whole natural number, split at its largest scale word (the last one, so that
    vi "một nghìn tỷ" is a thousand billion): head × scale + tail, tail below the scale."""
    if not tokens:
        return None
    scales = _SCALES[language]
    at = None
    for i, token in enumerate(tokens):
        if token in scales and (at is None or scales[token] >= scales[tokens[at]]):
            at = i
    if at is None:
        return _SMALL[language](tokens)
    scale, head, tail = scales[tokens[at]], tokens[:at], tokens[at + 1 :]
    if not head:
        count = 1 if language == "vi" else None  # vi "nghìn rưỡi", "trăm nghìn"
    elif head == ["a"] and language == "en":
        count = 1
    else:
        count = _number(head, language)
    rest = _tail(tail, scale, language)
    if not count or rest is None or rest >= scale:
        return None
    return count * scale + rest


def _tail(tokens: list[str], scale: int, language: str) -> int | None:
    """What follows a scale word: nothing, a full number below it, or a shortening."""
    if not tokens:
        return 0
    if len(tokens) == 1 and language != "en":
        # vi "hai nghìn ba", zh "一万二": one digit after the scale counts scale/10s
        digit = (_VI_UNITS_AFTER_TENS if language == "vi" else _ZH_DIGITS).get(tokens[0])
        if digit:
            return digit * scale // 10
        if tokens[0] == "rưỡi":
            return scale // 2
    links = {"en": {"and"}, "vi": {"linh", "lẻ"}, "zh": {"零", "〇"}}[language]
    if tokens[0] in links:  # "one thousand and five", "một nghìn linh năm", "一万零五"
        tokens = tokens[1:]
        if not tokens or tokens[0] in links:
            return None
    return _number(tokens, language)


def _numeral(token: str) -> int | None:
    if _WHOLE_NUMERAL.fullmatch(token):
        return int(re.sub(r"[.,]", "", token))
    return None


def _digit(token: str, table: dict[str, int]) -> int | None:
    """A digit word, or a one-digit numeral ("5 trăm", "5千")."""
    if len(token) == 1 and token.isdigit():
        return int(token)
    return table.get(token)


def _small_en(tokens: list[str]) -> int | None:
    """Below a thousand: "[a | one..ninety-nine] hundred [and] [one..ninety-nine]"."""
    if "hundred" not in tokens:
        return _en_below_100(tokens)
    at = tokens.index("hundred")
    head, tail = tokens[:at], tokens[at + 1 :]
    count = 1 if head == ["a"] else _en_below_100(head)
    if tail[:1] == ["and"]:
        tail = tail[1:]
        if not tail:
            return None
    rest = _en_below_100(tail) if tail else 0
    if not count or count >= 100 or rest is None or (tail and rest == 0):
        return None
    return count * 100 + rest  # "twelve hundred" is 1200


def _en_below_100(tokens: list[str]) -> int | None:
    if len(tokens) == 1:
        word = tokens[0]
        if word[0].isdigit():
            return _numeral(word)
        return _EN_UNITS.get(word, _EN_TEENS.get(word, _EN_TENS.get(word)))
    if len(tokens) == 2 and tokens[0] in _EN_TENS and _EN_UNITS.get(tokens[1]):
        return _EN_TENS[tokens[0]] + _EN_UNITS[tokens[1]]
    return None


def _small_vi(tokens: list[str]) -> int | None:
    """Below a thousand: "[digit] trăm [linh digit | tens]", or tens alone."""
    if "trăm" not in tokens:
        return _vi_below_100(tokens)
    at = tokens.index("trăm")
    head, tail = tokens[:at], tokens[at + 1 :]
    count = 1 if not head else _digit(head[0], _VI_DIGITS) if len(head) == 1 else None
    if count is None:
        return None
    if not tail:
        rest: int | None = 0
    elif len(tail) == 1 and tail[0] == "rưỡi":
        rest = 50
    elif len(tail) == 1 and tail[0] in _VI_UNITS_AFTER_TENS:
        rest = _VI_UNITS_AFTER_TENS[tail[0]] * 10  # "một trăm hai" is 120
    elif tail[0] in ("linh", "lẻ"):
        rest = _VI_UNITS_AFTER_TENS.get(tail[1]) if len(tail) == 2 else None
    else:
        rest = _vi_below_100(tail)
        rest = rest if rest is not None and rest >= 10 else None
    return None if rest is None else count * 100 + rest


def _vi_below_100(tokens: list[str]) -> int | None:
    first, n = tokens[0], len(tokens)
    if n == 1:
        if first[0].isdigit():
            return _numeral(first)
        return 10 if first == "mười" else _VI_DIGITS.get(first)
    second = tokens[1]
    if first == "mười":
        unit = _VI_UNITS_AFTER_TENS.get(second) if n == 2 else None
        return None if unit is None else 10 + unit
    tens = _VI_DIGITS.get(first, 0)
    if tens < 2:
        return None
    if n == 2 and second in _VI_ELIDED:  # "hai mốt", "ba lăm"
        return tens * 10 + _VI_ELIDED[second]
    if second != "mươi" or n > 3:
        return None
    if n == 2:
        return tens * 10
    unit = _VI_UNITS_AFTER_TENS.get(tokens[2])
    return None if unit is None else tens * 10 + unit


def _small_zh(tokens: list[str]) -> int | None:
    """Below ten thousand: digit-unit pairs (千, 百, 十) in falling order, 零 over gaps."""
    if len(tokens) == 1 and tokens[0][0].isdigit():
        return _numeral(tokens[0])
    if len(tokens) == 1 and tokens[0] in ("零", "〇"):
        return 0
    value, last_unit, gap, i = 0, 10_000, False, 0
    if tokens[0] == "十":  # "十五": a leading ten has no digit
        value, last_unit, i = 10, 10, 1
    while i < len(tokens):
        if tokens[i] in ("零", "〇"):
            if value == 0 or gap:
                return None  # "零五" is two digits, not five; one 零 covers any gap
            gap, i = True, i + 1
            continue
        digit = _digit(tokens[i], _ZH_DIGITS)
        if not digit:
            return None
        unit = _ZH_UNITS.get(tokens[i + 1]) if i + 1 < len(tokens) else None
        if unit is not None:
            if unit >= last_unit:
                return None
            value, last_unit, gap, i = value + digit * unit, unit, False, i + 2
        elif i + 1 < len(tokens):
            return None  # two digits in a row
        elif value and not gap and last_unit > 10:
            return value + digit * last_unit // 10  # "一百五" is 150, "两千三" 2300
        else:
            return value + digit
    return None if gap else value


_SMALL: dict[str, Callable[[list[str]], int | None]] = {
    "en": _small_en,
    "vi": _small_vi,
    "zh": _small_zh,
}
