"""The TTS engines a language can be given in IVR_TTS (``vi=pyttsx3,en=piper``)."""

from __future__ import annotations

from collections.abc import Callable

from ivr.tts.espeak import EspeakVoice
from ivr.tts.piper_voice import PiperVoice
from ivr.tts.pyttsx3_voice import Pyttsx3Voice
from ivr.tts.stream import Voice

DEFAULT_ENGINE = "pyttsx3"

ENGINES: dict[str, Callable[[str], Voice]] = {
    "pyttsx3": Pyttsx3Voice,
    "espeak-ng": EspeakVoice,
    "piper": PiperVoice,  # English only: the one Piper voice a package ships
}


def check_engine(engine: str, language: str) -> None:
    if engine not in ENGINES:
        raise ValueError(
            f"IVR_TTS: unknown TTS engine {engine!r} for language {language!r} "
            f"(known: {', '.join(ENGINES)})"
        )


def make_voice(engine: str, language: str) -> Voice:
    """The voice of ``engine`` for ``language``. ValueError naming IVR_TTS for an unknown
    engine; SynthesisError naming the language when the engine has no voice for it."""
    check_engine(engine, language)
    return ENGINES[engine](language)
