"""vosk (Kaldi): streaming recognition, with grammar mode for menus.

One ``vosk.Model`` per language is loaded once and shared by every call: vosk documents the
model as shareable between threads, while a ``KaldiRecognizer`` is not, so each decoder has its
own. vosk's calls release the GIL, so calls on different cores decode in parallel.

The caller's audio is 8 kHz; vosk models are mostly 16 kHz. The recognizer is created at
8000 Hz and Kaldi's feature pipeline resamples (the models' ``mfcc.conf`` allow upsampling);
``tests/test_asr_engines.py`` checks recognition on 8 kHz input, and ``bench/asr_accuracy.py``
measures it.

Grammar mode uses vosk's runtime grammar (models with ``graph/HCLr.fst`` + ``graph/Gr.fst``,
the "small" ones). vosk lets the caller say any sequence of the phrases, so a result that is
not one phrase (or one phrase repeated) is a no-match, as is "[unk]" (the garbage word, when
the model has one).
Big models (a static ``HCLG.fst``) ignore grammars; with them the free transcript is mapped to
the closest phrase like Whisper's.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ivr.asr.base import Hypothesis
from ivr.asr.whisper_engine import closest_phrase
from ivr.wire.audio_format import SAMPLE_RATE

log = logging.getLogger(__name__)

UNKNOWN = "[unk]"
# Asking vosk for a partial result walks the lattice: about 10% of the decoding time when done
# for every 20 ms frame. Once per 100 ms of audio is as fast as anyone watches partials.
PARTIAL_EVERY = SAMPLE_RATE * 2 // 10
# A new free-speech recognizer of a small model spends 1-2 s of CPU composing its decoding
# graph (HCLr o Gr, built lazily per recognizer) on its first utterance; a reused one decodes
# 2 s of speech in ~0.2 s. So free-speech recognizers are kept for reuse, up to this many idle.
IDLE_RECOGNIZERS = 8
_SCRUB = b"\0\0" * 160  # 20 ms of silence: puts a recognizer in a state FinalResult clears


class VoskEngine:
    name = "vosk"
    streaming = True

    def __init__(self, model_dir: Path, language: str) -> None:
        import vosk

        vosk.SetLogLevel(-1)  # Kaldi's INFO lines, one per recognizer, would flood the log
        self._vosk = vosk
        self.language = language
        self.model_dir = model_dir
        self._model = vosk.Model(str(model_dir))
        graph = model_dir / "graph"
        self.runtime_grammar = (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
        self._has_unknown = self._model.vosk_model_find_word(UNKNOWN) >= 0
        self._open = 0
        self._lock = threading.Lock()
        self._grammars: dict[tuple[str, ...], dict[str, str]] = {}
        self._idle: list[Any] = []
        # A model whose graph is damaged loads, then fails here: find it at start, not in a call.
        # The probe also pays the first recognizer's graph composition before the first call.
        probe = self._new_recognizer()
        probe.AcceptWaveform(b"\0\0" * (SAMPLE_RATE // 5))
        probe.FinalResult()
        self._idle.append(probe)

    @property
    def open_decoders(self) -> int:
        with self._lock:
            return self._open

    def decoder(self, grammar: Sequence[str] | None = None, *, digits: bool = False) -> VoskDecoder:
        """``digits`` changes nothing here: vosk writes words, never numerals."""
        phrases = self._grammar(tuple(grammar)) if grammar else None
        if phrases and self.runtime_grammar:
            words = [*phrases, UNKNOWN] if self._has_unknown else list(phrases)
            recognizer = self._vosk.KaldiRecognizer(
                self._model, SAMPLE_RATE, json.dumps(words, ensure_ascii=False)
            )
            recognizer.SetWords(True)
            reusable = False
        else:
            # Free speech; or a model without runtime grammars (its transcript is mapped to
            # the closest phrase); or a menu none of whose words the model knows (no match).
            with self._lock:
                recognizer = self._idle.pop() if self._idle else None
            if recognizer is None:
                recognizer = self._new_recognizer()
            reusable = True
        with self._lock:
            self._open += 1
        return VoskDecoder(self, recognizer, phrases, exact=self.runtime_grammar, reusable=reusable)

    def _new_recognizer(self) -> Any:
        recognizer = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
        recognizer.SetWords(True)
        return recognizer

    def _released(self, recognizer: Any | None) -> None:
        """A decoder closed; its free-speech recognizer (already scrubbed) may be reused."""
        with self._lock:
            self._open -= 1
            if recognizer is not None and len(self._idle) < IDLE_RECOGNIZERS:
                self._idle.append(recognizer)

    def _grammar(self, grammar: tuple[str, ...]) -> dict[str, str]:
        """What vosk is told to listen for -> the menu's phrase as written.

        vosk drops words its model lacks (and says so on stderr at every turn), which would
        leave a phrase vosk can hear but we would not recognise; so the words are looked up
        here, once per grammar, a warning names the missing ones, and the phrase is listened
        for as the words the model has."""
        with self._lock:
            known = self._grammars.get(grammar)
        if known is not None:
            return known
        known, missing = {}, set()
        for phrase in grammar:
            words = phrase.lower().split()
            heard = [word for word in words if self._model.vosk_model_find_word(word) >= 0]
            missing.update(set(words) - set(heard))
            if heard:
                known.setdefault(" ".join(heard), phrase)
        if missing:
            log.warning(
                "vosk %s model in %s lacks the words %s: menu phrases are heard without them",
                self.language,
                self.model_dir,
                ", ".join(sorted(missing)),
            )
        with self._lock:
            if len(self._grammars) > 1000:
                self._grammars.clear()
            self._grammars[grammar] = known
        return known


class VoskDecoder:
    """One turn on its own KaldiRecognizer; ``close`` frees it (also from another thread)."""

    def __init__(
        self,
        engine: VoskEngine,
        recognizer: Any,
        phrases: dict[str, str] | None,
        *,
        exact: bool,
        reusable: bool,
    ) -> None:
        self._engine = engine
        self._recognizer: Any = recognizer
        self._phrases = phrases
        self._exact = exact
        self._reusable = reusable
        self._segments: list[dict[str, Any]] = []  # results of utterances vosk already ended
        self._odd = b""  # a half sample left over from a chunk of odd length
        self._since_partial = 0
        self._partial = ""
        self._result: Hypothesis | None = None
        self._lock = threading.Lock()

    def accept(self, pcm: bytes) -> str | None:
        with self._lock:
            if self._recognizer is None or self._result is not None:
                return None
            pcm = self._odd + pcm
            cut = len(pcm) // 2 * 2
            pcm, self._odd = pcm[:cut], pcm[cut:]
            if not pcm:
                return None
            ended = self._recognizer.AcceptWaveform(pcm)
            if ended:
                self._segments.append(json.loads(self._recognizer.Result()))
            self._since_partial += len(pcm)
            if not ended and self._since_partial < PARTIAL_EVERY:
                return None
            self._since_partial = 0
            partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
            text = " ".join(filter(None, [*self._texts(), partial]))
            if text == self._partial:
                return None
            self._partial = text
            return text or None

    def finish(self) -> Hypothesis:
        with self._lock:
            if self._result is None:
                if self._recognizer is not None:
                    self._segments.append(json.loads(self._recognizer.FinalResult()))
                self._result = self._hypothesis()
            return self._result

    def close(self) -> None:
        with self._lock:
            recognizer, self._recognizer = self._recognizer, None
            if recognizer is None:
                return
            keep = self._reusable and _scrub(recognizer)
        # A recognizer not kept loses its last reference here: vosk_recognizer_free runs now.
        self._engine._released(recognizer if keep else None)

    def _texts(self) -> list[str]:
        return [segment["text"] for segment in self._segments if segment.get("text")]

    def _hypothesis(self) -> Hypothesis:
        heard = [word for segment in self._segments for word in segment.get("result", [])]
        confidence = sum(word["conf"] for word in heard) / len(heard) if heard else 0.0
        words = [word for word in heard if word["word"] != UNKNOWN]
        text = " ".join(word["word"] for word in words).lower()
        if self._phrases is not None and self._exact:
            # One phrase, or one phrase said again ("agent, agent"); "[unk]", two different
            # phrases or nothing is not that answer (the transcript may still hold a phrase
            # inside other words: "[unk] balance").
            phrase = _one_phrase([w["word"] for w in heard], self._phrases)
            return Hypothesis(phrase, confidence, text)
        confidence = sum(word["conf"] for word in words) / len(words) if words else 0.0
        if self._phrases is None:
            return Hypothesis(text, confidence, text)
        phrase, score = closest_phrase(text, list(self._phrases.values()))
        return Hypothesis(phrase, confidence * score if phrase else confidence, text)


def _one_phrase(words: list[str], phrases: dict[str, str]) -> str:
    """The phrase (as written) that ``words`` say once or several times over; else ""."""
    for said, phrase in phrases.items():
        size = len(said.split())
        if words and len(words) % size == 0:
            repeats = {" ".join(words[i : i + size]) for i in range(0, len(words), size)}
            if repeats == {said}:
                return phrase
    return ""


def _scrub(recognizer: Any) -> bool:
    """Make a used recognizer as good as new but for its composed graph; False if it failed.

    FinalResult from a running state deletes the feature pipeline and the decoder, so nothing
    of one caller (audio, speaker adaptation) reaches the next."""
    try:
        recognizer.AcceptWaveform(_SCRUB)
        recognizer.FinalResult()
    except Exception:
        return False
    return True
