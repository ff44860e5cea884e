"""The recognizer interface every speech engine implements.

An :class:`Engine` is one language's recognizer, loaded once per process and shared by every
call. Each speech turn asks it for a :class:`Decoder`, feeds it the caller's audio (8 kHz
signed 16-bit little-endian mono, any chunk size) and ends with :meth:`Decoder.finish`. A
decoder must be closed (``close``) whatever happens, so a caller's hangup frees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Hypothesis:
    """What was recognised: lower-case words ("" when nothing was), confidence 0..1.

    In grammar mode ``text`` is one of the grammar's phrases, or "" (no match: the whole
    utterance is none of them); ``transcript`` is what the engine heard either way, so a
    phrase said inside a sentence can still be found (``ivr.understanding``)."""

    text: str
    confidence: float
    transcript: str = ""


class Decoder(Protocol):
    def accept(self, pcm: bytes) -> str | None:
        """Feed caller audio; the new partial text when a streaming engine has one, else None."""

    def finish(self) -> Hypothesis:
        """The final result for all audio fed so far."""

    def close(self) -> None:
        """Free the decoder; safe to call twice, and after ``finish``."""


class Engine(Protocol):
    name: str  # "vosk", "whisper"
    language: str  # the language code it recognises ("en", "vi", "zh", "ko")
    streaming: bool  # decodes while the caller speaks (vosk) or on the whole utterance

    def decoder(self, grammar: Sequence[str] | None = None, *, digits: bool = False) -> Decoder:
        """A decoder for one turn; ``grammar`` limits it to these phrases (menus, yes/no);
        ``digits``: the caller reads out a number, to be written as words ("four zero"), never
        as the engine's numerals ("40"), so no formatting of the engine changes a digit."""

    @property
    def open_decoders(self) -> int:
        """Decoders handed out and not yet closed (tests count them to find leaks)."""


class ModelMissing(Exception):
    """No usable model for a language: says which language and where to put the model."""

    def __init__(self, language: str, engine: str, where: str, reason: str = "") -> None:
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"no {engine} speech model for language {language!r}{detail}: put it in {where}"
            + (" or run `ivr models download " + language + "`" if engine == "vosk" else "")
        )
        self.language = language
        self.engine = engine
        self.where = where
