"""Which of a few choices a caller's words name, and how sure that is.

The phrases of each choice are looked for inside the transcript, on token boundaries:
"I'd like to know my balance" names "balance" as surely as "balance" alone. A phrase the
caller negated ("not the balance", "不对" holding "对") does not count, and of two overlapping
phrases the longer wins. Near misses of a recognizer ("ballance", "a gent") are found by
character similarity of a window of the transcript, with a lower score. A phrase that is only
a key's number ("two", "hai", "二") counts when it stands alone or after a cue ("press two",
"option two"), so "two months ago" in a sentence does not choose key 2.

Scores are 0..1: 1.0 the whole answer is a phrase; 0.9 a phrase inside a sentence; a near miss
scores its similarity times 0.9; two choices named at once lose 0.2 (a caller to confirm). The
caller of :func:`pick` compares the score with its bands: act, confirm, or re-ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ivr.asr.numbers import digits_from_speech
from ivr.understanding.words import KEY_CUES, NEGATORS, tokens

WHOLE = 1.0
INSIDE = 0.9
NEAR_FACTOR = 0.9
NEAR_MIN = 0.8  # character similarity below which a window is no near miss
NEAR_MIN_CHARS = 5  # phrases shorter than this must be heard exactly ("no", "one", "agent")
AMBIGUOUS_PENALTY = 0.2
AMBIGUOUS_GAP = 0.1
# Default bands of a menu (a flow's menu node may set its own).
ACT = 0.8
CONFIRM = 0.55


@dataclass(frozen=True)
class Choice:
    key: str | None  # the choice named, None when none is
    score: float = 0.0
    phrase: str = ""  # the phrase that named it (for logs and confirmations)
    others: tuple[str, ...] = field(default_factory=tuple)  # other choices named too

    def band(self, act: float = ACT, confirm: float = CONFIRM) -> str:
        """ "act", "confirm" or "none" for this score."""
        if self.key is not None and self.score >= act:
            return "act"
        if self.key is not None and self.score >= confirm:
            return "confirm"
        return "none"


@dataclass(frozen=True)
class _Phrase:
    text: str
    key: str
    words: list[str]
    key_number: bool  # the phrase is its key's number ("two" for 2)


@dataclass(frozen=True)
class _Spot:
    key: str
    phrase: str
    start: int
    end: int
    score: float


def pick(transcript: str, phrases: Mapping[str, str], language: str) -> Choice:
    """The choice ``transcript`` names among ``phrases`` (phrase -> key) in ``language``."""
    heard = tokens(transcript, language)
    if not heard:
        return Choice(None)
    # Each phrase read once: its tokens, and whether it is just its key's number.
    readings = [
        _Phrase(phrase, key, wanted, _is_key_number(phrase, key, language))
        for phrase, key in phrases.items()
        if (wanted := tokens(phrase, language))
    ]
    spots: list[_Spot] = []
    for p in readings:
        if p.key_number:
            spots += _key_spots(heard, p.words, p.key, p.text, language)
        else:
            spots += _exact_spots(heard, p.words, p.key, p.text, language)
    spots = _longest(spots)
    if not spots:
        spots = _near_spots(heard, readings, language)
    return _decide(spots)


def _is_key_number(phrase: str, key: str, language: str) -> bool:
    """A phrase that is the number of its key ("two" for 2; "không" for "no" is a word)."""
    return digits_from_speech(phrase, language) == key


def _exact_spots(
    heard: list[str], wanted: list[str], key: str, phrase: str, language: str
) -> list[_Spot]:
    found = []
    size = len(wanted)
    for start in range(len(heard) - size + 1):
        if heard[start : start + size] == wanted and not _negated(heard, start, language):
            score = WHOLE if size == len(heard) else INSIDE
            found.append(_Spot(key, phrase, start, start + size, score))
    return found


def _key_spots(
    heard: list[str], wanted: list[str], key: str, phrase: str, language: str
) -> list[_Spot]:
    """A key's number: alone ("two"), or right after a cue word ("press two", "số hai")."""
    if heard == wanted:
        return [_Spot(key, phrase, 0, len(heard), WHOLE)]
    found = []
    size = len(wanted)
    for start in range(1, len(heard) - size + 1):
        cue = heard[start - 1] in KEY_CUES.get(language, set())
        if cue and heard[start : start + size] == wanted:
            found.append(_Spot(key, phrase, start - 1, start + size, INSIDE))
    return found


def _negated(heard: list[str], start: int, language: str) -> bool:
    """A negator right before the phrase (or one word before it: "not the balance")."""
    negators = NEGATORS.get(language, set())
    return any(heard[i] in negators for i in range(max(0, start - 2), start))


def _longest(spots: list[_Spot]) -> list[_Spot]:
    """Drop a spot inside a longer one ("对" inside "不对", "agent" inside "an agent")."""
    kept = []
    for spot in spots:
        covered = any(
            other is not spot
            and other.start <= spot.start
            and spot.end <= other.end
            and other.end - other.start > spot.end - spot.start
            for other in spots
        )
        if not covered:
            kept.append(spot)
    return kept


def _near_spots(heard: list[str], readings: list[_Phrase], language: str) -> list[_Spot]:
    """Near misses: the most similar window of the transcript for each long enough phrase."""
    joiner = "" if language == "zh" else " "
    found = []
    for reading in readings:
        phrase, key, wanted = reading.text, reading.key, reading.words
        text = joiner.join(wanted)
        if len(text) < NEAR_MIN_CHARS or reading.key_number:
            continue
        best, where = 0.0, (0, 0)
        for size in {max(1, len(wanted) - 1), len(wanted), len(wanted) + 1}:
            for start in range(max(1, len(heard) - size + 1)):
                window = joiner.join(heard[start : start + size])
                ratio = SequenceMatcher(None, window, text).ratio()
                negated = _negated(heard, start, language) or any(
                    word in NEGATORS.get(language, set()) and word not in wanted
                    for word in heard[start : start + size]
                )
                if ratio > best and not negated:
                    best, where = ratio, (start, start + size)
        if best >= NEAR_MIN:
            found.append(_Spot(key, phrase, where[0], where[1], best * NEAR_FACTOR))
    return found


def _decide(spots: list[_Spot]) -> Choice:
    best_by_key: dict[str, _Spot] = {}
    for spot in spots:
        if spot.key not in best_by_key or spot.score > best_by_key[spot.key].score:
            best_by_key[spot.key] = spot
    if not best_by_key:
        return Choice(None)
    ranked = sorted(best_by_key.values(), key=lambda s: s.score, reverse=True)
    top = ranked[0]
    others = tuple(s.key for s in ranked[1:])
    score = top.score
    if len(ranked) > 1 and ranked[1].score >= top.score - AMBIGUOUS_GAP:
        score -= AMBIGUOUS_PENALTY  # "balance or an agent": ask which
    return Choice(top.key, round(score, 3), top.phrase, others)
