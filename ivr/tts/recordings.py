"""Human recordings that replace the TTS audio of one prompt text in one language.

A recording lives at ``<data_dir>/prompt_recordings/<language>/<sha256(text)>.wav``, 8 kHz
16-bit mono (what AudioSocket carries), so the prompt cache of every worker finds it with one
file check and no database lookup; the ``prompt_recordings`` table says who uploaded what.
Uploads in any format sox reads are converted with ``-D`` (no dither: the same upload always
gives the same bytes).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from ivr.core.db import Database
from ivr.core.models import PromptRecording

if TYPE_CHECKING:
    from ivr.tts.cache import PromptCache

MIN_SECONDS = 0.3
MAX_SECONDS = 120.0
MAX_BYTES = 20 * 1024 * 1024
SOX_TIMEOUT = 60.0
PROMPT_FIELDS = ("prompt", "invalid_prompt", "timeout_prompt")


class RecordingError(ValueError):
    """An upload that cannot become a recording; the message is for the admin."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def recording_path(directory: Path, language: str, text: str) -> Path:
    return Path(directory) / language / f"{text_hash(text)}.wav"


def read_pcm(path: Path) -> bytes:
    """The samples of a recording (8 kHz 16-bit mono WAV) as slin."""
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def as_wav(pcm: bytes, rate: int = 8000) -> bytes:
    """8 kHz 16-bit mono slin wrapped in a WAV header, for a browser's <audio>."""
    fd, tmp = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        with wave.open(tmp, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(pcm)
        return Path(tmp).read_bytes()
    finally:
        Path(tmp).unlink(missing_ok=True)


@dataclass(frozen=True)
class PromptText:
    """One text the flows say, in one language, and where: ["flow/node", ...]."""

    language: str
    text: str
    used_by: list[str]


def prompt_texts(flows: Iterable) -> list[PromptText]:
    """Every (language, text) of the flows in force, once each, with the nodes that say it."""
    used: dict[tuple[str, str], list[str]] = {}
    for flow in flows:
        for language, text in flow.prompt_texts():
            used.setdefault((language, text), [])
        for node in flow.nodes.values():
            for name in PROMPT_FIELDS:
                for language, text in (getattr(node, name, None) or {}).items():
                    where = f"{flow.id}/{node.id}"
                    if where not in used[(language, text)]:
                        used[(language, text)].append(where)
    return [PromptText(lang, text, where) for (lang, text), where in used.items()]


def convert(data: bytes, filename: str, target: Path) -> float:
    """Convert an upload to an 8 kHz 16-bit mono WAV at ``target`` (atomically); its seconds."""
    if not data:
        raise RecordingError("The file is empty: choose a recording to upload.")
    if len(data) > MAX_BYTES:
        raise RecordingError(
            f"The file is {len(data) / 1048576:.1f} MB; at most {MAX_BYTES // 1048576} MB."
        )
    suffix = Path(filename or "").suffix.lower()
    if not suffix[1:].isalnum():
        suffix = ""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".upload-") as tmp:
        source, out = Path(tmp) / f"upload{suffix}", Path(tmp) / "converted.wav"
        source.write_bytes(data)
        command = ["sox", "-D", str(source)]
        command += ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out)]
        try:
            subprocess.run(command, capture_output=True, check=True, timeout=SOX_TIMEOUT)
            seconds = _seconds(out)
        except (subprocess.CalledProcessError, wave.Error, EOFError, FileNotFoundError) as exc:
            raise RecordingError(
                "This file is not audio that can be read (sox could not convert it): upload "
                "a WAV, FLAC or OGG recording."
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise RecordingError("Converting the file took too long.") from exc
        if seconds < MIN_SECONDS:
            raise RecordingError(
                f"The recording is too short ({seconds:.2f} s): at least {MIN_SECONDS} s."
            )
        if seconds > MAX_SECONDS:
            raise RecordingError(
                f"The recording is too long ({seconds:.0f} s): at most {MAX_SECONDS:.0f} s."
            )
        os.replace(out, target)
    return seconds


def _seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


class Recordings:
    """The recordings on disk and their rows: upload (replacing), remove, list."""

    def __init__(self, database: Database, directory: Path, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.directory = Path(directory)
        self.clock = clock

    def path(self, language: str, text: str) -> Path:
        return recording_path(self.directory, language, text)

    def add(self, language: str, text: str, data: bytes, filename: str, by: str) -> float:
        """Store an upload as the recording of ``text``; its length in seconds."""
        path = self.path(language, text)
        seconds = convert(data, filename, path)
        digest = text_hash(text)
        with self.database.session() as session:
            row = session.scalar(
                select(PromptRecording).where(
                    PromptRecording.language == language, PromptRecording.text_hash == digest
                )
            )
            if row is None:
                row = PromptRecording(language=language, text_hash=digest)
                session.add(row)
            row.text, row.path, row.seconds = text, str(path), seconds
            row.uploaded_by, row.uploaded_at = by, self.clock()
        return seconds

    def remove(self, language: str, text: str) -> bool:
        """Back to TTS; False when there was no recording."""
        path = self.path(language, text)
        existed = path.exists()
        path.unlink(missing_ok=True)
        with self.database.session() as session:
            done = session.execute(
                delete(PromptRecording).where(
                    PromptRecording.language == language,
                    PromptRecording.text_hash == text_hash(text),
                )
            )
        return existed or bool(getattr(done, "rowcount", 0))

    def listed(self) -> dict[tuple[str, str], PromptRecording]:
        """(language, text hash) -> row, for the recordings whose file is there."""
        with self.database.session(readonly=True) as session:
            rows = session.scalars(select(PromptRecording)).all()
        return {(r.language, r.text_hash): r for r in rows if Path(r.path).exists()}


@dataclass(frozen=True)
class PromptStatus:
    """A prompt text as the prompts page shows it."""

    language: str
    text: str
    used_by: list[str]
    cached: bool  # its TTS audio is rendered
    recording: PromptRecording | None  # the human recording callers hear instead


def overview(flows: Iterable, prompts: PromptCache, recordings: Recordings) -> list[PromptStatus]:
    """Every prompt text of the flows with its TTS and recording state, by language."""
    recorded = recordings.listed()
    return [
        PromptStatus(
            p.language,
            p.text,
            p.used_by,
            prompts.cached(p.text, p.language),
            recorded.get((p.language, text_hash(p.text))),
        )
        for p in prompt_texts(flows)
    ]


def rerender(prompts: PromptCache, texts: Iterable[tuple[str, str]]) -> tuple[int, float]:
    """Drop the TTS audio of each (language, text) and synthesize it again: (count, seconds).
    A recording, if any, stays what callers hear; this renews the TTS underneath."""
    started = time.monotonic()
    count = 0
    for language, text in texts:
        prompts.forget(text, language)
        prompts.synthesized(text, language)
        count += 1
    return count, time.monotonic() - started


def find_prompt(flows: Iterable, language: str, text: str) -> PromptText:
    """The prompt ``text`` in ``language`` of the flows in force, or RecordingError."""
    flows = list(flows)
    check_language(flows, language)
    for prompt in prompt_texts(flows):
        if prompt.language == language and prompt.text == text:
            return prompt
    raise RecordingError(
        f"No flow says this {language} text: recordings replace the prompts of the flows in force."
    )


def check_language(flows: Iterable, language: str) -> None:
    """RecordingError unless some flow in force speaks ``language``."""
    languages = {lang for flow in flows for lang in flow.languages}
    if language not in languages:
        known = ", ".join(sorted(languages))
        raise RecordingError(f"Unknown language {language}: the flows speak {known}.")
