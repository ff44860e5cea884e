"""Content-addressed prompt cache: key = engine, voice, text; value = 8 kHz slin audio.

Files live in ``<prompts_dir>/cache/<sha256>.sln``; writes go through a temporary file and an
atomic rename, so concurrent calls asking for the same new prompt never read half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

from ivr.tts.espeak import EspeakVoice, SynthesisError


class PromptCache:
    def __init__(self, prompts_dir: Path) -> None:
        self.directory = Path(prompts_dir) / "cache"
        self._voices: dict[str, EspeakVoice] = {}
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def voice(self, language: str) -> EspeakVoice:
        with self._lock:
            if language not in self._voices:
                self._voices[language] = EspeakVoice(language)
            return self._voices[language]

    def path_for(self, text: str, language: str) -> Path:
        voice = self.voice(language)
        digest = hashlib.sha256(f"{voice.key}|{text}".encode()).hexdigest()
        return self.directory / f"{digest}.sln"

    def audio(self, text: str, language: str) -> bytes:
        """The audio of ``text`` in ``language``: from memory, from disk, or synthesized now."""
        path = self.path_for(text, language)
        cached = self._memory.get(path.name)
        if cached is not None:
            return cached
        if path.exists():
            pcm = path.read_bytes()
        else:
            pcm = self.voice(language).synthesize(text)
            self._store(path, pcm)
        with self._lock:
            self._memory[path.name] = pcm
        return pcm

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
