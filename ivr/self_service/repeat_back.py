"""Capturing a number and reading it back: "You entered 0 1 2 3. Press 1 or say yes if
correct, 2 or say no to re-enter." Every number a caller gives goes through here, so a
misheard digit is caught by the caller before anything is looked up with it.

The read-back holds the caller's number: it is spoken from a stream that is never cached and
logged only as "(read-back, N digits)" (``Call.speech``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr.self_service.texts import phrases, say
from ivr.tts.verbalize import say_digits
from ivr.voice.answers import choice_of
from ivr.voice.listen import listen, listen_digits
from ivr.voice.texts import BUILT_IN

if TYPE_CHECKING:
    from ivr.voice.call import Call, VoiceServices

CHOICE_TIMEOUT = 5.0
NUMBER_TIMEOUT = 8.0


def choose(
    call: Call[VoiceServices], text: str, menu: str, keys: str, private: str = "", tries: int = 3
) -> str | None:
    """Say ``text`` and take one of ``keys``, pressed or said (the phrases of ``menu`` in
    ``ivr.self_service.texts.ANSWERS``); None after ``tries`` tries without one."""
    answers = phrases(menu, call.language)
    preface = ""
    for _ in range(tries):
        heard = listen(
            call,
            call.speech(f"{preface} {text}".strip(), private),
            grammar=list(answers),
            max_digits=1,
            no_input_timeout=CHOICE_TIMEOUT,
        )
        choice = choice_of(heard, answers, call.language)
        if choice.key and choice.key in keys and choice.band() == "act":
            return choice.key
        preface = _retry_text(heard.status, call.language)
    return None


def read_back(digits: str, language: str) -> str:
    return say("you_entered", language, digits=say_digits(digits, language))


def confirm_number(call: Call[VoiceServices], digits: str) -> bool | None:
    """Read ``digits`` back; True when the caller says it is right, False to re-enter, None
    when they do not answer."""
    text = f"{read_back(digits, call.language)} {say('confirm', call.language)}"
    key = choose(call, text, "confirm", "12", private=f"read-back, {len(digits)} digits")
    return None if key is None else key == "1"


def capture_number(
    call: Call[VoiceServices], ask: str, lengths: tuple[int, ...], wrong_length: str, tries: int = 3
) -> str | None:
    """A number of one of ``lengths`` digits, keyed in or said, and confirmed by the caller
    after it is read back; None after ``tries`` entries that failed or a caller who stopped
    answering. A "no" at the read-back asks again (within the same ``tries``)."""
    preface = ""
    for _ in range(tries):
        heard = listen_digits(
            call,
            f"{preface} {ask}".strip(),
            max_digits=max(lengths),
            no_input_timeout=NUMBER_TIMEOUT,
        )
        digits = heard.digits if heard.status == "digits" else ""
        if not digits:
            preface = _retry_text(heard.status, call.language)
            continue
        if len(digits) not in lengths or not digits.isdigit():
            preface = wrong_length
            continue
        confirmed = confirm_number(call, digits)
        if confirmed:
            return digits
        if confirmed is None:
            return None
        preface = ""
    return None


def _retry_text(status: str, language: str) -> str:
    if status == "no-input":
        return BUILT_IN["timeout"][language]
    if status in ("speech", "no-match"):
        return BUILT_IN["no_match"][language]
    return BUILT_IN["invalid"][language]
