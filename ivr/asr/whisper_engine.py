"""faster-whisper: utterance-level recognition (English by default, Whisper tiny.en).

Whisper decodes a whole utterance at once, so a decoder only buffers the caller's audio and
the work happens in :meth:`WhisperDecoder.finish`, after the VAD has ended the turn. Whisper
always encodes a 30-second window, so a turn costs about the same (~0.5-0.8 s on 2 cores with
tiny.en int8) whatever its length: measure with ``bench/asr_accuracy.py``.

Whisper has no grammar. For a menu the phrases go to the decoder as a hint (the initial prompt:
it steers spelling, "one" rather than "1", and rare words) and the transcript is mapped to the
closest phrase; a transcript close to none of them is a no-match ("").

Thread-safety: one ``WhisperModel`` serves every call. Its ``transcribe`` may be called from
several Python threads at once (faster-whisper's documentation of ``num_workers``; the
CTranslate2 model queues concurrent requests to its workers, and the per-call tokenizer and
feature extraction keep no shared state), so there is no lock here. With ``num_workers=1``
concurrent turns run one after another inside CTranslate2, each using ``threads`` cores.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections.abc import Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from ivr.asr.base import Hypothesis
from ivr.wire.audio_format import SAMPLE_RATE

log = logging.getLogger(__name__)

WHISPER_RATE = 16000
BEAM_SIZE = 2
# How close (difflib ratio of the normalised texts, 0..1) a transcript must be to a grammar
# phrase to count as it. Measured on Asterisk's recordings (bench/asr_accuracy.py): misheard
# menu answers score 0.81 ("caliphone number" for "telephone number") and 0.84 ("call for
# reading"); the closest utterance from outside a menu scored 0.74 ("calling" against "call
# waiting").
MATCH_THRESHOLD = 0.8
# Hints: "prompt" (initial_prompt), "hotwords" or "none"; bench/asr_accuracy.py compares them.
HINT = "prompt"

DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
DIGITS_PROMPT = "zero, oh, one, two, three, four, five, six, seven, eight, nine."
_DIGIT_GROUPS = re.compile(r"(?<=\d),(?=\d)")
_WORD = re.compile(r"[\w']+")


def words(text: str) -> list[str]:
    """Lower-case words without punctuation; digits stay as written ("4,172" -> "4172")."""
    tokens = (word.strip("'_") for word in _WORD.findall(_DIGIT_GROUPS.sub("", text.lower())))
    return [token for token in tokens if token]


def digits_of(tokens: Sequence[str]) -> str | None:
    """The digits a digit string says (["4", "one", "7"] -> "417"); None if it is not one."""
    out = []
    for token in tokens:
        if token.isdigit():
            out.append(token)
        elif token in DIGIT_WORDS:
            out.append(DIGIT_WORDS[token])
        else:
            return None
    return "".join(out) or None


def closest_phrase(
    transcript: str, phrases: Sequence[str], threshold: float = MATCH_THRESHOLD
) -> tuple[str, float]:
    """The grammar phrase ``transcript`` means, and how close it is (0..1); "" below threshold.

    Digit strings compare by their digits ("four one seven" is "417"), everything else by the
    character similarity of the normalised words."""
    heard = words(transcript)
    if not heard:
        return "", 0.0
    heard_digits = digits_of(heard)
    best, best_score = "", 0.0
    for phrase in phrases:
        tokens = words(phrase)
        phrase_digits = digits_of(tokens)
        if phrase_digits is not None and heard_digits is not None:
            score = 1.0 if phrase_digits == heard_digits else 0.0
        else:
            score = SequenceMatcher(None, " ".join(heard), " ".join(tokens)).ratio()
        if score > best_score:
            best, best_score = phrase, score
    return (best, best_score) if best_score >= threshold else ("", best_score)


def upsample(pcm: bytes) -> Any:
    """8 kHz slin -> 16 kHz float32 in -1..1, by linear interpolation (what Whisper reads).

    Telephone audio has nothing above 4 kHz, so interpolation loses nothing Whisper could use."""
    import numpy as np

    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
    if samples.size == 0:
        return samples
    factor = WHISPER_RATE // SAMPLE_RATE
    positions = np.arange(samples.size * factor, dtype=np.float32) / factor
    return np.interp(positions, np.arange(samples.size, dtype=np.float32), samples).astype(
        np.float32
    )


class WhisperEngine:
    name = "whisper"
    streaming = False

    def __init__(
        self,
        model_dir: Path,
        language: str,
        threads: int,
        *,
        hint: str = HINT,
        beam_size: int = BEAM_SIZE,
    ) -> None:
        from faster_whisper import WhisperModel

        # faster-whisper logs every utterance's duration at INFO: a line per caller turn.
        logging.getLogger("faster_whisper").setLevel(logging.WARNING)
        self.language = language
        self.model_dir = model_dir
        self.hint = hint
        self.beam_size = beam_size
        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
        )
        if language != "en" and not self._model.model.is_multilingual:
            raise ValueError(f"{model_dir} holds an English-only Whisper model")
        self._open = 0
        self._lock = threading.Lock()
        self.transcribe(b"\0\0" * (SAMPLE_RATE // 2), None)  # load check and warm-up

    @property
    def open_decoders(self) -> int:
        with self._lock:
            return self._open

    def decoder(
        self, grammar: Sequence[str] | None = None, *, digits: bool = False
    ) -> WhisperDecoder:
        with self._lock:
            self._open += 1
        return WhisperDecoder(self, list(grammar) if grammar else None, digits)

    @functools.cached_property
    def _numeral_tokens(self) -> list[int]:
        """Every token that holds a digit: suppressed when a caller reads out a number, so
        Whisper writes "four zero seven" (each digit said) and never "407", "4,07" or "40 7"."""
        vocab = self._model.hf_tokenizer.get_vocab()
        return sorted(i for token, i in vocab.items() if any(ch.isdigit() for ch in token))

    def _released(self) -> None:
        with self._lock:
            self._open -= 1

    def transcribe(
        self, pcm: bytes, grammar: Sequence[str] | None, digits: bool = False
    ) -> tuple[str, float]:
        """Raw transcript (normalised words) and confidence for 8 kHz slin ``pcm``."""
        options: dict[str, Any] = {}
        if digits:
            # Words only, and the words of digits as the hint: without it tiny.en writes "a"
            # or drops "oh" ("one a one"), and "for zero" for "four zero".
            options["suppress_tokens"] = [-1, *self._numeral_tokens]
            options["initial_prompt"] = DIGITS_PROMPT
        if grammar and self.hint == "prompt":
            options["initial_prompt"] = ", ".join(grammar) + "."
        elif grammar and self.hint == "hotwords":
            options["hotwords"] = ", ".join(grammar)
        segments, _info = self._model.transcribe(
            upsample(pcm),
            language=self.language,
            beam_size=self.beam_size,
            vad_filter=False,  # our VAD already cut the utterance
            without_timestamps=True,
            condition_on_previous_text=False,
            **options,
        )
        texts, logprobs = [], []
        for segment in segments:
            if segment.text.strip():
                texts.append(segment.text)
                logprobs.append(segment.avg_logprob)
        if not texts:
            return "", 0.0
        confidence = math.exp(sum(logprobs) / len(logprobs))
        return " ".join(words(" ".join(texts))), max(0.0, min(1.0, confidence))


class WhisperDecoder:
    """One turn: buffers audio, transcribes it on ``finish``."""

    def __init__(self, engine: WhisperEngine, grammar: list[str] | None, digits: bool) -> None:
        self._engine = engine
        self._grammar = grammar
        self._digits = digits
        self._audio = bytearray()
        self._result: Hypothesis | None = None
        self._closed = False
        self._lock = threading.Lock()

    def accept(self, pcm: bytes) -> str | None:
        with self._lock:
            if not self._closed and self._result is None:
                self._audio += pcm
        return None

    def finish(self) -> Hypothesis:
        with self._lock:
            if self._result is not None:
                return self._result
            audio, self._audio = bytes(self._audio), bytearray()
            closed = self._closed
        result = Hypothesis("", 0.0)
        if audio and not closed:
            text, confidence = self._engine.transcribe(audio, self._grammar, self._digits)
            if self._grammar is not None:
                phrase, score = closest_phrase(text, self._grammar)
                result = Hypothesis(phrase, confidence * score if phrase else confidence, text)
            else:
                result = Hypothesis(text, confidence if text else 0.0, text)
        with self._lock:
            self._result = result
        return result

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._audio = bytearray()
        self._engine._released()
