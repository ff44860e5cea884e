"""A turn's answer as one of a few choices: a key pressed, or the choice the caller's words
name (``ivr.understanding.choice``), with how sure that is."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.understanding.choice import Choice, pick
from ivr.voice.listen import Heard


def choice_of(heard: Heard, phrases: Mapping[str, str], language: str) -> Choice:
    """A key is sure (score 1.0); speech is scored by what it says: the engine's own whole-
    utterance phrase when it found one, else the phrase found inside its transcript."""
    if heard.status == "digits":
        return Choice(heard.digits, 1.0)
    if heard.status == "speech" and heard.text in phrases:
        return Choice(phrases[heard.text], 1.0, heard.text)
    said = heard.transcript or heard.text
    if heard.status not in ("speech", "no-match") or not said:
        return Choice(None)
    return pick(said, phrases, language)
