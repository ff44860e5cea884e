"""What a caller's words ask the agent to do, besides asking a question.

Only the steering intents of ``texts.PHRASES`` (an agent, a message, a call back, the balance,
"no more questions", anger) are found here; everything else is a question for the knowledge
base. Matching is on whole words (Chinese: on characters, it has no spaces), lowercased, and for
Vietnamese also with the diacritics taken off, so "gap nguoi" counts as "gặp người".
"""

from __future__ import annotations

import re
import unicodedata

from ivr.ai_agent.texts import PHRASES

# Intents that only count when they are (nearly) the whole answer: "no" ends the call, but "I
# have no card" is a question. At most this many words besides the phrase.
WHOLE_ANSWER = {"done": 2, "sms": 2, "yes": 1}
_PUNCTUATION = re.compile(r"[^\w\s']+")


def plain(text: str, language: str) -> str:
    """Lowercase words without punctuation; Vietnamese also without diacritics."""
    text = _PUNCTUATION.sub(" ", text.lower())
    if language == "vi":
        text = fold_vietnamese(text)
    return " ".join(text.split())


def fold_vietnamese(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _holds(said: str, phrase: str, language: str) -> bool:
    if language == "zh":
        return phrase.replace(" ", "") in said.replace(" ", "")
    return f" {phrase} " in f" {said} "


def _words(text: str, language: str) -> int:
    return len(text.replace(" ", "")) if language == "zh" else len(text.split())


def detect(text: str, language: str, intents: tuple[str, ...]) -> str | None:
    """The first of ``intents`` (in that order of precedence) the caller's words express."""
    said = plain(text, language)
    if not said:
        return None
    for intent in intents:
        for phrase in PHRASES[intent][language]:
            wanted = plain(phrase, language)
            if not _holds(said, wanted, language):
                continue
            spare = WHOLE_ANSWER.get(intent)
            if spare is not None and _words(said, language) > _words(wanted, language) + spare:
                continue
            return intent
    return None
