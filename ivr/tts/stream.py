"""Speech that plays while it is synthesized: dynamic text (amounts, dates, names) is cut into
clauses, and the first clause can play while the next ones are still being made.

:class:`SpeechStream` is what the media turn reads (the ``AudioSource`` protocol of
``ivr.voice.turn``): ``read`` never blocks, ``finished`` says everything was made and read,
``close`` stops early when the caller barges in or hangs up.
"""

from __future__ import annotations

import logging
import re
import textwrap
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from ivr.tts.espeak import SynthesisError

log = logging.getLogger(__name__)

# A clause ends at punctuation: Latin marks only when a space follows, so "1.500.000 đồng",
# "3.5" and "10,000" stay whole; CJK marks are never followed by a space.
_CLAUSE_END = re.compile(r"(?<=[.,;?!])\s+|(?<=[。，、；？！])\s*")
MAX_CLAUSE = 100  # characters; a longer clause is cut at spaces
CLOSE_WAIT = 1.0  # seconds close() waits for the clause being synthesized


class Voice(Protocol):
    engine: str
    language: str

    @property
    def key(self) -> str: ...

    def synthesize(self, text: str) -> bytes: ...


def clauses(text: str) -> list[str]:
    """``text`` cut where a speaker would pause, each piece at most MAX_CLAUSE characters
    when it has spaces to cut at."""
    pieces: list[str] = []
    for clause in _CLAUSE_END.split(text):
        clause = clause.strip()
        if clause:
            pieces += textwrap.wrap(
                clause, MAX_CLAUSE, break_long_words=False, break_on_hyphens=False
            )
    return pieces


class SpeechStream:
    """Audio of one text, made clause by clause in a thread of its own (or all there already:
    :meth:`ready`). ``on_complete`` gets the whole audio once every clause is made."""

    def __init__(
        self,
        voice: Voice | None,
        pieces: Sequence[str],
        on_complete: Callable[[bytes], None] | None = None,
        audio: bytes = b"",
    ) -> None:
        self._voice = voice
        self._pieces = list(pieces) if voice is not None else []
        self._on_complete = on_complete
        self._audio = bytearray(audio)
        self._offset = 0
        self._done = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self._pieces:
            self._thread = threading.Thread(target=self._produce, name="tts-stream", daemon=True)
            self._thread.start()
        else:
            self._done = True

    @classmethod
    def ready(cls, audio: bytes) -> SpeechStream:
        """A stream of audio that is all there (a cached prompt): no thread."""
        return cls(None, [], audio=audio)

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes available now; never blocks; b"" when none is ready yet."""
        with self._lock:
            chunk = bytes(self._audio[self._offset : self._offset + size])
            self._offset += len(chunk)
            return chunk

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._done and self._offset >= len(self._audio)

    def close(self) -> None:
        """Stop making audio (barge-in, hangup) and drop what was not read. Idempotent."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(CLOSE_WAIT)  # a clause takes tens of ms; never a call's whole turn
        with self._lock:
            self._done = True
            self._offset = len(self._audio)

    @property
    def producing(self) -> bool:
        """The synthesis thread is still running."""
        return self._thread is not None and self._thread.is_alive()

    def _produce(self) -> None:
        try:
            if self._synthesize_all() and self._on_complete is not None:
                try:
                    self._on_complete(bytes(self._audio))  # before finished: then it is kept
                except Exception as exc:
                    log.warning("synthesized audio not kept: %s: %s", type(exc).__name__, exc)
        finally:
            with self._lock:
                self._done = True

    def _synthesize_all(self) -> bool:
        """Every piece, in order, until closed; False when it stopped short."""
        assert self._voice is not None
        made = 0
        try:
            for piece in self._pieces:
                if self._stop.is_set():
                    return False
                audio = self._voice.synthesize(piece)
                with self._lock:
                    self._audio += audio
                made += 1
        except Exception as exc:
            # The text may hold amounts and names: only its shape is logged above DEBUG.
            reason = str(exc) if isinstance(exc, SynthesisError) else type(exc).__name__
            log.warning(
                "%s synthesis stopped after %d of %d clauses: %s",
                self._voice.engine,
                made,
                len(self._pieces),
                reason,
            )
            log.debug("the clause that failed: %r", self._pieces[made], exc_info=True)
            return False
        return True
