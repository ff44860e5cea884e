"""The one audio format the IVR speaks and hears: what AudioSocket carries (signed linear
16-bit little-endian, 8 kHz, mono), cut in 20 ms frames for pacing and for the VAD. Asterisk's
own frames may be any size (30 ms packets, short tails): see ``ivr.wire.audiosocket``."""

from __future__ import annotations

SAMPLE_RATE = 8000  # Hz
BYTES_PER_SAMPLE = 2  # signed 16-bit little-endian
BYTES_PER_SECOND = SAMPLE_RATE * BYTES_PER_SAMPLE
FRAME_MS = 20
FRAME_SECONDS = FRAME_MS / 1000
FRAME_BYTES = BYTES_PER_SECOND * FRAME_MS // 1000  # 320
