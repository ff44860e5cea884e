"""espeak-ng voices, converted by sox to what AudioSocket carries: 8 kHz 16-bit mono slin."""

from __future__ import annotations

import subprocess

# espeak-ng voice per language: Northern Vietnamese, Mandarin, American English.
VOICES = {"vi": "vi", "zh": "cmn", "en": "en-us"}
SYNTH_TIMEOUT = 30.0


class SynthesisError(Exception):
    pass


class EspeakVoice:
    engine = "espeak-ng"

    def __init__(self, language: str, speed: int = 160, voice: str | None = None) -> None:
        """``voice`` names any installed espeak-ng voice; by default the language's own."""
        if voice is None and language not in VOICES:
            raise SynthesisError(f"no espeak-ng voice configured for language {language!r}")
        self.language = language
        self.voice = voice or VOICES[language]
        self.speed = speed

    @property
    def key(self) -> str:
        return f"{self.engine}|{self.voice}|{self.speed}"

    def synthesize(self, text: str) -> bytes:
        """Return 8 kHz signed 16-bit little-endian mono PCM for ``text``."""
        command = ["espeak-ng", "-v", self.voice, "-s", str(self.speed), "--stdout", "--", text]
        pcm = to_slin(_run(command, b""), "wav")
        if not pcm:
            raise SynthesisError(f"espeak-ng produced no audio for a {len(text)}-character text")
        return pcm


# sox: from any type it reads to raw signed 16-bit little-endian 8 kHz mono
SOX_TO_SLIN = "-t raw -r 8000 -e signed -b 16 -c 1 -L -".split()


def to_slin(data: bytes, kind: str) -> bytes:
    """Convert audio of sox type ``kind`` to what AudioSocket carries: 8 kHz 16-bit mono slin."""
    return _run(["sox", "-D", "-t", kind, "-", *SOX_TO_SLIN], data)


def _run(command: list[str], data: bytes) -> bytes:
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, check=True, timeout=SYNTH_TIMEOUT
        )
    except FileNotFoundError as exc:
        raise SynthesisError(f"{command[0]} is not installed") from exc
    except subprocess.CalledProcessError as exc:
        reason = exc.stderr.decode(errors="replace")[:200]
        raise SynthesisError(f"{command[0]} failed: {reason}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SynthesisError(f"{command[0]} timed out") from exc
    return done.stdout
