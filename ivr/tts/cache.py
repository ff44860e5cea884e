"""Content-addressed prompt cache: key = engine, voice, text; value = 8 kHz slin audio.

Files live in ``<prompts_dir>/cache/<sha256>.sln``; writes go through a temporary file and an
atomic rename, so concurrent calls asking for the same new prompt never read half a file.
Each language speaks with the engine IVR_TTS gives it (default pyttsx3). Recently used audio
is also kept in memory, up to MEMORY_BYTES: dynamic texts (amounts, names) must not grow it
without end.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from ivr.tts.espeak import SynthesisError
from ivr.tts.stream import SpeechStream, Voice, clauses
from ivr.tts.voices import DEFAULT_ENGINE, make_voice

LANGUAGES = ("vi", "zh", "en")
MEMORY_BYTES = 64 * 1024 * 1024  # ~70 minutes of 8 kHz speech


class PromptCache:
    def __init__(self, prompts_dir: Path, engines: dict[str, str] | None = None) -> None:
        self.directory = Path(prompts_dir) / "cache"
        self.engines = dict(engines) if engines is not None else {}
        for language in LANGUAGES:
            self.engines.setdefault(language, DEFAULT_ENGINE)
        # A typo in IVR_TTS, or an engine with no voice for a language, stops start-up rather
        # than a call. Making a voice is cheap: engines start on first synthesis.
        self._voices: dict[str, Voice] = {
            language: make_voice(engine, language) for language, engine in self.engines.items()
        }
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_bytes = 0
        self._lock = threading.Lock()

    def voice(self, language: str) -> Voice:
        with self._lock:
            if language not in self._voices:
                engine = self.engines.get(language, DEFAULT_ENGINE)
                self._voices[language] = make_voice(engine, language)
            return self._voices[language]

    def path_for(self, text: str, language: str) -> Path:
        voice = self.voice(language)
        digest = hashlib.sha256(f"{voice.key}|{text}".encode()).hexdigest()
        return self.directory / f"{digest}.sln"

    def cached(self, text: str, language: str) -> bool:
        path = self.path_for(text, language)
        with self._lock:
            return path.name in self._memory or path.exists()

    def audio(self, text: str, language: str) -> bytes:
        """The audio of ``text`` in ``language``: from memory, from disk, or synthesized now."""
        path = self.path_for(text, language)
        pcm = self._lookup(path)
        if pcm is None:
            pcm = self.voice(language).synthesize(text)
            self._keep(path, pcm)
        return pcm

    def stream(self, text: str, language: str, keep: bool = True) -> SpeechStream:
        """The audio of ``text`` as it is made: all at once when cached, else clause by
        clause in a thread (the first clause plays while the rest is synthesized); kept in
        the cache once whole. ``keep=False`` for a caller's own data (a balance, a number read
        back): it is never written to the cache, on disk or in memory."""
        if not keep:
            return SpeechStream(self.voice(language), clauses(text))
        path = self.path_for(text, language)
        pcm = self._lookup(path)
        if pcm is not None:
            return SpeechStream.ready(pcm)
        return SpeechStream(
            self.voice(language), clauses(text), on_complete=lambda pcm: self._keep(path, pcm)
        )

    def _lookup(self, path: Path) -> bytes | None:
        with self._lock:
            pcm = self._memory.get(path.name)
            if pcm is not None:
                self._memory.move_to_end(path.name)
                return pcm
        try:
            pcm = path.read_bytes()
        except FileNotFoundError:
            return None
        self._remember(path.name, pcm)
        return pcm

    def _keep(self, path: Path, pcm: bytes) -> None:
        self._store(path, pcm)
        self._remember(path.name, pcm)

    def _remember(self, name: str, pcm: bytes) -> None:
        with self._lock:
            if name in self._memory:
                self._memory_bytes -= len(self._memory.pop(name))
            self._memory[name] = pcm
            self._memory_bytes += len(pcm)
            while self._memory_bytes > MEMORY_BYTES and len(self._memory) > 1:
                self._memory_bytes -= len(self._memory.popitem(last=False)[1])

    def _store(self, path: Path, pcm: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pcm)
            os.replace(tmp, path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise


__all__ = ["PromptCache", "SynthesisError"]
