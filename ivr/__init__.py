"""hotline-ivr: voice IVR and speech-AI engine on Asterisk."""

__version__ = "0.1.0"
