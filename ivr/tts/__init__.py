"""Text to speech for prompts: engines behind one interface, and a content-addressed cache."""

from ivr.tts.cache import PromptCache
from ivr.tts.espeak import EspeakVoice, SynthesisError

__all__ = ["PromptCache", "EspeakVoice", "SynthesisError"]
