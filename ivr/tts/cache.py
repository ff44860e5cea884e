"""Content-addressed prompt cache: key = engine, voice, text; value = 8 kHz slin audio.

Files live in ``<prompts_dir>/cache/<sha256>.sln``; writes go through a temporary file and an
atomic rename, so concurrent calls asking for the same new prompt never read half a file.
Each language speaks with the engine IVR_TTS gives it (default pyttsx3). Recently used audio
is also kept in memory, up to MEMORY_BYTES: dynamic texts (amounts, names) must not grow it
without end.

A human recording (``ivr.tts.recordings``) replaces the TTS audio of its exact text and
language: ``recordings_dir/<language>/<sha256(text)>.wav`` is checked on every use (one stat,
no database), so an upload or a removal in the admin web reaches every worker's next prompt.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import wave
from collections import OrderedDict
from pathlib import Path

from ivr.core.languages import LANGUAGES
from ivr.tts.espeak import SynthesisError
from ivr.tts.recordings import read_pcm, recording_path
from ivr.tts.stream import SpeechStream, Voice, clauses
from ivr.tts.voices import DEFAULT_ENGINE, make_voice

MEMORY_BYTES = 64 * 1024 * 1024  # ~70 minutes of 8 kHz speech


class PromptCache:
    def __init__(
        self,
        prompts_dir: Path,
        engines: dict[str, str] | None = None,
        recordings_dir: Path | None = None,
    ) -> None:
        self.directory = Path(prompts_dir) / "cache"
        self.recordings_dir = Path(recordings_dir) if recordings_dir is not None else None
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

    def recording(self, text: str, language: str) -> bytes | None:
        """The human recording that replaces ``text`` in ``language``, if there is one. Kept in
        memory under its file's size and time, so a replaced file is read again."""
        if self.recordings_dir is None:
            return None
        path = recording_path(self.recordings_dir, language, text)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        name = f"recording:{language}:{path.stem}:{stat.st_size}:{stat.st_mtime_ns}"
        with self._lock:
            pcm = self._memory.get(name)
        if pcm is None:
            try:
                pcm = read_pcm(path)
            except (OSError, EOFError, wave.Error):  # removed meanwhile, or half written
                return None
            self._remember(name, pcm)
        return pcm

    def forget(self, text: str, language: str) -> bool:
        """Drop the TTS audio of ``text`` (memory and disk), to synthesize it again."""
        path = self.path_for(text, language)
        with self._lock:
            if path.name in self._memory:
                self._memory_bytes -= len(self._memory.pop(path.name))
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def audio(self, text: str, language: str) -> bytes:
        """The audio of ``text`` in ``language``: its recording, or TTS from memory, from disk,
        or synthesized now."""
        recorded = self.recording(text, language)
        if recorded is not None:
            return recorded
        return self.synthesized(text, language)

    def synthesized(self, text: str, language: str) -> bytes:
        """The TTS audio of ``text``, recording or not: from memory, disk, or made now."""
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
        recorded = self.recording(text, language)
        if recorded is not None:
            return SpeechStream.ready(recorded)
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
