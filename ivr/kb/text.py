"""Turning a question into the features retrieval compares, per language.

* Vietnamese: syllables and syllable pairs (most Vietnamese words are two syllables: "bảo
  hiểm"), accent-folded ("bao hiem"), because recognizer output and typed questions often
  lose the diacritics. (Keeping the marks as a further view was tried and measured no better:
  in this domain the folded forms rarely collide.)
* Chinese: no spaces, so characters and character pairs.
* English: words, lightly stemmed ("cards" = "card", "paying" = "pay"), a few irregular forms
  and everyday synonyms mapped to one word ("lost" = "lose", "kid" = "child"), word pairs.

Words every question has ("I", "please", "tôi", "我") are dropped; question words ("when",
"how much", "ở đâu", "几号") are kept: they tell a payment date from an amount. Character
n-grams of the whole text come on top, as a second view that forgives spelling and
word-boundary differences.
"""

from __future__ import annotations

import functools
import re
import unicodedata

WORD = re.compile(r"[\w]+", re.UNICODE)
CJK = re.compile(r"[\u3400-\u9fff]")

STOP = {
    "en": set(
        "a an the i me my mine we our us you your it its is are was were be been being do does"
        " did to of in on for at by with and or can could would should will shall may might"
        " please hello hi hey there this that these those if so just about have has had am"
        " get got gets tell want need know any some yes okay ok um uh now then also still"
        " sir madam thank thanks anyone someone".split()
    ),
    "vi": set(
        "tôi em anh chị cho hỏi với thì là mà ạ à ơi nhé nha vậy thế dạ xin vui lòng giúp muốn"
        " biết được rồi có không của này đó ấy mình cái chiếc những các một phải gì".split()
    ),
    "zh": set("我的了吗呢啊吧呀请问您你是这那个们有"),
}

# English forms and everyday words callers use for the base's words (one word each).
SAME_EN = {
    "lost": "lose", "losing": "lose", "misplaced": "lose", "missing": "lose",
    "paid": "pay", "payment": "pay", "payments": "pay", "paying": "pay",
    "kid": "child", "kids": "child", "children": "child", "son": "child",
    "daughter": "child", "baby": "child", "babies": "child",
    "dad": "father", "mum": "mother", "mom": "mother", "wife": "spouse", "husband": "spouse",
    "boss": "employer", "company": "employer", "firm": "employer",
    "job": "work", "jobs": "work", "working": "work", "worked": "work",
    "fired": "dismiss", "sacked": "dismiss", "laid": "dismiss", "dismissed": "dismiss",
    "retirement": "retire", "retired": "retire", "retiring": "retire",
    "doctor": "clinic", "doctors": "clinic", "hospitals": "hospital",
    "mobile": "phone", "cellphone": "phone",
    "money": "amount", "cost": "amount", "costs": "amount", "much": "amount", "price": "amount",
    "sick": "ill", "illness": "ill", "sickness": "ill",
    "died": "die", "dead": "die", "death": "die", "passed": "die",
    "pregnant": "birth", "pregnancy": "birth", "born": "birth",
    "gave": "give", "given": "give", "took": "take", "taken": "take",
    "told": "tell", "went": "go", "gone": "go", "left": "leave", "quit": "resign",
    "resigned": "resign", "signup": "register", "enrol": "register", "enroll": "register",
    "join": "register", "claim": "apply", "claims": "apply",
}  # fmt: skip


def fold(text: str) -> str:
    """Vietnamese without diacritics: "Bảo hiểm đã" -> "bao hiem da"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@functools.lru_cache(maxsize=65536)
def _fold_syllable(syllable: str) -> str:
    """``fold`` of one syllable, remembered: the language has a few thousand of them."""
    return fold(syllable)


def _stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    return word


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _pairs(tokens: list[str], join: str) -> list[str]:
    return [a + join + b for a, b in zip(tokens, tokens[1:], strict=False)]


def words(text: str, language: str) -> list[str]:
    """The word features of a text (see the module docstring)."""
    text = _clean(text)
    if language == "zh":
        chars = [c for c in text if CJK.match(c)]
        kept = [c for c in chars if c not in STOP["zh"]]
        latin = [w for w in WORD.findall(CJK.sub(" ", text)) if not w.isdigit()]
        return kept + _pairs(chars, "") + latin
    tokens = WORD.findall(text)
    if language == "vi":
        syllables = [_fold_syllable(t) for t in tokens]
        stop = FOLDED_STOP_VI
        pairs = [p for p in _pairs(syllables, "_") if not set(p.split("_")) <= stop]
        return [s for s in syllables if s not in stop] + pairs
    stemmed = [_stem(SAME_EN.get(t, t)) for t in tokens]
    kept = [t for t, raw in zip(stemmed, tokens, strict=True) if raw not in STOP["en"]]
    return kept + _pairs(kept, "_")


def grams(text: str, language: str, n: int = 3) -> list[str]:
    """Character n-grams of the folded text, spaces squeezed (Chinese: of its characters)."""
    if language == "zh":
        chars = "".join(CJK.findall(text))
        return [chars[i : i + n] for i in range(len(chars) - n + 1)]
    flat = " " + " ".join(WORD.findall(fold(_clean(text)))) + " "
    return [flat[i : i + n] for i in range(len(flat) - n + 1)]


FOLDED_STOP_VI = {fold(w) for w in STOP["vi"]}
