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

    def __init__(self, language: str, speed: int = 160) -> None:
        if language not in VOICES:
            raise SynthesisError(f"no espeak-ng voice configured for language {language!r}")
        self.language = language
        self.voice = VOICES[language]
        self.speed = speed

    @property
    def key(self) -> str:
        return f"{self.engine}|{self.voice}|{self.speed}"

    def synthesize(self, text: str) -> bytes:
        """Return 8 kHz signed 16-bit little-endian mono PCM for ``text``."""
        try:
            wav = subprocess.run(
                ["espeak-ng", "-v", self.voice, "-s", str(self.speed), "--stdout", "--", text],
                capture_output=True,
                check=True,
                timeout=SYNTH_TIMEOUT,
            ).stdout
        except FileNotFoundError as exc:
            raise SynthesisError(f"{exc.filename} is not installed") from exc
        except subprocess.CalledProcessError as exc:
            raise SynthesisError(exc.stderr.decode(errors="replace")[:200]) from exc
        except subprocess.TimeoutExpired as exc:
            raise SynthesisError("speech synthesis timed out") from exc
        pcm = to_slin(wav, "wav")
        if not pcm:
            raise SynthesisError(f"espeak-ng produced no audio for a {len(text)}-character text")
        return pcm


def to_slin(data: bytes, kind: str) -> bytes:
    """Convert audio of sox type ``kind`` to what AudioSocket carries: 8 kHz 16-bit mono slin."""
    try:
        return subprocess.run(
            [
                "sox",
                "-t",
                kind,
                "-",
                "-t",
                "raw",
                "-r",
                "8000",
                "-e",
                "signed",
                "-b",
                "16",
                "-c",
                "1",
                "-L",
                "-",
            ],
            input=data,
            capture_output=True,
            check=True,
            timeout=SYNTH_TIMEOUT,
        ).stdout
    except FileNotFoundError as exc:
        raise SynthesisError(f"{exc.filename} is not installed") from exc
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise SynthesisError(f"sox could not convert the audio: {exc}") from exc
