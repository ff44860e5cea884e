"""Transcripts and phrases as comparable tokens, per language.

* English: lower-case words; "that's" stays one word; numerals stay as written.
* Vietnamese: lower-case syllables, accent-folded ("bảo hiểm" = "bao hiem"): recognizers and
  keyboards often lose the marks, and in a menu's few phrases the folded forms do not collide.
* Chinese: no spaces, so one token per character; Latin words and numerals stay whole.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN = re.compile(rf"[{_CJK}]|[0-9]+|(?:(?![{_CJK}])[^\W\d_])+(?:'[^\W\d_]+)?")

# Words that turn what follows round ("not an agent", "không phải", "不对").
NEGATORS = {
    "en": {"not", "no", "don't", "dont", "never", "isn't", "wasn't"},
    "vi": {"khong", "chang", "cha"},  # folded: không, chẳng, chả
    "zh": {"不", "没", "别", "非"},
}
# Words before a key's number that say it is the key ("press two", "số hai", "按二").
KEY_CUES = {
    "en": {"press", "option", "number", "key", "choice", "pick", "choose", "select"},
    "vi": {"so", "phim", "bam", "nhan", "chon"},  # số, phím, bấm, nhấn, chọn
    "zh": {"按", "选", "号", "第"},
}


def fold(text: str) -> str:
    """Vietnamese without its marks: "đúng rồi" -> "dung roi"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def tokens(text: str, language: str) -> list[str]:
    """The comparable tokens of ``text`` in ``language``."""
    lowered = text.lower().replace("\u2019", "'")
    if language == "vi":
        lowered = fold(lowered)
    return _TOKEN.findall(lowered)
