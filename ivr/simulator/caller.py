"""What the simulated caller does, in order: press keys, speak, hang up.

Actions are taken one after the other, each at the next moment the call gives it a chance:
keys while Asterisk is collecting digits (GET DATA, WAIT FOR DIGIT, STREAM FILE with escape
digits, an AudioSocket session), speech during an AudioSocket session, a hangup during the
next command that runs media. ``PressBetween`` is a key pressed while no AGI command runs:
Asterisk drops it, and so does the simulator. Delays are seconds of call time: at a rate of
10 (``ivr.core.media_clock``) a key 0.3 s into a prompt comes 30 ms of real time into it.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

from ivr.tts.espeak import to_slin


@dataclass(frozen=True)
class Press:
    digits: str
    delay: float = 0.3  # seconds into the listening phase before the first key
    gap: float = 0.15  # between keys


@dataclass(frozen=True)
class Say:
    audio: bytes  # 8 kHz slin
    delay: float = 0.3
    label: str = ""


@dataclass(frozen=True)
class HangUp:
    """Leave the call ``delay`` seconds into the next media command (``when`` says which)."""

    delay: float = 0.2  # seconds into the next media command
    # "media": during the next command that plays or listens; "between": right after the
    # current reply, while no command runs; "before-reply": when the next command arrives,
    # before Asterisk answers it (the HANGUP line then sits between command and reply);
    # "speaking": right after a ``Say``, in the same AudioSocket session (mid-sentence when
    # ``delay`` is shorter than the speech).
    when: str = "media"


@dataclass(frozen=True)
class PressBetween:
    digit: str


@dataclass(frozen=True)
class Listen:
    """Hear the next media command or AudioSocket session out, pressing nothing."""


Action = Press | Say | HangUp | PressBetween | Listen


def read_wav(path: Path) -> bytes:
    """Caller audio from a wav file: must be 8 kHz 16-bit mono (Asterisk's own sounds are)."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) != (8000, 2, 1):
            return to_slin(path.read_bytes(), "wav")
        return wav.readframes(wav.getnframes())


def speech(text: str, language: str = "en") -> bytes:
    """Caller speech synthesized with espeak-ng, as 8 kHz slin: in one of our languages, or
    in any espeak-ng voice (``ko`` speaks to the Korean vosk model of the tests)."""
    from ivr.tts.espeak import VOICES, EspeakVoice

    voice = None if language in VOICES else language
    return EspeakVoice(language, voice=voice).synthesize(text)
