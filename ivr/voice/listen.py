"""A speech turn: say a prompt while listening, and tell the script what the caller answered.

The prompt plays over AudioSocket while the caller's audio goes through the VAD; speech stops
the prompt (barge-in), its end ends the turn, and the utterance is decoded by the recognizer of
the call's language (a streaming engine while the caller speaks, an utterance engine once the
socket is closed). A key ends the turn too. A language with no recognizer runs the same turn
with keys only, so a missing model costs the caller speech, never the call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ivr.asr.base import Decoder, Engine
from ivr.core.privacy import mask_number
from ivr.voice.turn import AudioSource, TurnSpec
from ivr.voice.vad import VadSettings

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ivr.voice.call import Call, VoiceServices

log = logging.getLogger(__name__)

# Silence that ends an utterance: a menu answer is one or two words; free speech and digit
# strings have pauses inside them.
END_SILENCE_GRAMMAR = 0.4
END_SILENCE_FREE = 0.7
# Once a streaming recognizer's partial result is a whole menu phrase, this much silence ends
# the turn: bench/turn_latency.py measured it saving ~0.2 s of every spoken menu answer.
END_SILENCE_PHRASE_HEARD = 0.2


class NoWayToAnswer(Exception):
    """A turn that allows neither keys nor speech (no recognizer for the language)."""


@dataclass(frozen=True)
class Heard:
    """What the caller answered.

    ``status`` is "speech" (``text``, ``confidence``), "digits" (``digits``), "no-input"
    (nothing before the timeout) or "no-match" (speech, but nothing the grammar or the
    recognizer could make out). A hangup is not a status: like every command, the turn raises
    :class:`ivr.voice.call.CallerHungUp`.
    """

    status: str
    text: str = ""
    confidence: float = 0.0
    digits: str = ""
    interrupted: bool = False  # the caller spoke or pressed a key over the prompt
    speech_end: float | None = None  # monotonic time of the caller's last voiced frame
    engine: str = ""  # the recognizer that decoded it, "" when none listened
    transcript: str = ""  # all the recognizer heard (a menu answer may hold its phrase inside)
    audio: bytes = b""  # the caller's speech (8 kHz slin), kept only when asked to record


def recognizer_for(call: Call[VoiceServices], language: str) -> Engine | None:
    recognizers = call.services.recognizers
    return recognizers.get(language) if recognizers is not None else None


def listen(
    call: Call[VoiceServices],
    prompt: str | bytes | AudioSource = b"",
    *,
    grammar: Sequence[str] | None = None,
    dtmf: bool = True,
    no_input_timeout: float = 5.0,
    max_speech: float = 15.0,
    barge_in: bool = True,
    max_digits: int = 1,
    language: str | None = None,
    end_silence: float | None = None,
    record: bool = False,
    digits: bool = False,
) -> Heard:
    """One speech turn: say ``prompt`` (text in ``language``, by default the call's, or
    audio) while listening; the caller answers by voice (``grammar`` limits it to those
    phrases) or, with ``dtmf``, by up to ``max_digits`` keys; ``record`` keeps the caller's
    speech in ``Heard.audio`` (a message), also where no recognizer hears the language."""
    language = language or call.language
    engine = recognizer_for(call, language)
    if engine is None and not dtmf and not record:
        raise NoWayToAnswer(f"no recognizer for {language!r} and keys are not allowed")
    if isinstance(prompt, str):
        if prompt:
            call.verbose(f'ivr: say "{prompt}"', 3)
        audio: bytes | AudioSource = (
            call.services.prompts.audio(prompt, language) if prompt else b""
        )
    else:
        audio = prompt
    if end_silence is None:
        end_silence = END_SILENCE_GRAMMAR if grammar else END_SILENCE_FREE
    spec = TurnSpec(
        max_digits=max_digits if dtmf else 0,
        timeout=no_input_timeout,
        barge_in=barge_in,
        speech=engine is not None or record,
        max_speech=max_speech,
        vad=VadSettings(end_silence=end_silence),
        early_end_silence=min(END_SILENCE_PHRASE_HEARD, end_silence),
    )
    decoder = engine.decoder(grammar, digits=digits) if engine is not None else None
    try:
        heard = _turn(call, audio, spec, decoder, grammar, record)
    finally:
        if decoder is not None:
            decoder.close()
    heard = replace(
        heard, engine=engine.name if engine and (heard.text or heard.transcript) else ""
    )
    _log(call, heard, bool(grammar))
    return heard


def listen_digits(
    call: Call[VoiceServices],
    prompt: str | bytes | AudioSource = b"",
    *,
    max_digits: int = 12,
    no_input_timeout: float = 8.0,
    language: str | None = None,
) -> Heard:
    """A number the caller keys in or reads out (an ID, an account, a PIN): "digits" with
    ``digits`` set either way; speech that holds no digit string is a "no-match"."""
    from ivr.asr.numbers import digits_from_speech

    language = language or call.language
    heard = listen(
        call,
        prompt,
        grammar=None,
        dtmf=True,
        no_input_timeout=no_input_timeout,
        max_speech=max(8.0, max_digits * 1.0),
        barge_in=True,
        max_digits=max_digits,
        language=language,
        end_silence=None,
        digits=True,
    )
    if heard.status != "speech":
        return heard
    digits = digits_from_speech(heard.text, language)
    if digits is None:
        return replace(heard, status="no-match")
    return replace(heard, status="digits", digits=digits)


def _turn(
    call: Call[VoiceServices],
    audio: bytes | AudioSource,
    spec: TurnSpec,
    decoder: Decoder | None,
    grammar: Sequence[str] | None,
    record: bool = False,
) -> Heard:
    feeder = speech_feeder(decoder, grammar)
    recording: list[bytes] = []
    if record:
        feeder = _recorder(recording, feeder)
    result = call.turn(audio, spec, on_speech=feeder)
    common: dict[str, object] = {"interrupted": result.interrupted, "speech_end": result.speech_end}
    if recording:
        common["audio"] = b"".join(recording)
    if result.status == "speech" and decoder is None and recording:
        return Heard("no-match", **common)  # type: ignore[arg-type]
    if result.status == "digits":
        return Heard("digits", digits=result.digits, **common)  # type: ignore[arg-type]
    if result.status == "speech" and decoder is not None:
        hypothesis = decoder.finish()
        common["transcript"] = hypothesis.transcript or hypothesis.text
        if hypothesis.text:
            return Heard("speech", hypothesis.text, hypothesis.confidence, **common)  # type: ignore[arg-type]
        return Heard("no-match", confidence=hypothesis.confidence, **common)  # type: ignore[arg-type]
    if result.status == "error":
        log.warning("call %s: media turn failed (%s); counted as no input", call.id, result.error)
    return Heard("no-input", **common)  # type: ignore[arg-type]


def _recorder(
    recording: list[bytes], feeder: Callable[[bytes], object] | None
) -> Callable[[bytes], object]:
    """Keep the caller's speech (a message to record), and decode it as usual."""

    def feed(pcm: bytes) -> object:
        recording.append(pcm)
        return feeder(pcm) if feeder is not None else None

    return feed


def speech_feeder(
    decoder: Decoder | None, grammar: Sequence[str] | None
) -> Callable[[bytes], object] | None:
    """What the turn calls with the caller's speech: it feeds the decoder and, in a menu,
    tells the turn whether the partial result so far is a whole phrase (None: no news)."""
    if decoder is None:
        return None
    if not grammar:
        return decoder.accept
    # A phrase that begins a longer one ("insurance", "insurance card") is not the end yet.
    said = {_plain(phrase) for phrase in grammar}
    phrases = {p for p in said if not any(q.startswith(p + " ") for q in said)}

    def feed(pcm: bytes) -> bool | None:
        partial = decoder.accept(pcm)
        return None if partial is None else _plain(partial) in phrases

    return feed


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def has_number(text: str) -> bool:
    """Digits, or number words in any of our languages (a spoken ID number, a PIN)."""
    from ivr.asr.numbers import digits_from_speech, number_from_speech

    if any(ch.isdigit() for ch in text):
        return True
    return any(
        digits_from_speech(word, lang) is not None or number_from_speech(word, lang) is not None
        for word in text.split()
        for lang in ("en", "vi", "zh")
    )


def _log(call: Call[VoiceServices], heard: Heard, grammar: bool) -> None:
    """What was heard goes to the Asterisk console, but never a number the caller gave: only a
    menu answer (a grammar phrase with no number in it) or a single key is shown as it is."""
    if heard.status == "speech":
        shown = heard.text if grammar and not has_number(heard.text) else "(speech)"
        call.verbose(f'ivr: heard "{shown}" ({heard.confidence:.2f}, {heard.engine})', 3)
    elif heard.status == "digits":
        keys = heard.digits if len(heard.digits) == 1 else mask_number(heard.digits)
        call.verbose(f"ivr: keys {keys}", 3)
    else:
        call.verbose(f"ivr: {heard.status}", 3)
