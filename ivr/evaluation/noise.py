"""Steady background noise mixed into a recording at a chosen signal-to-noise ratio.

Pink noise (power falling 3 dB an octave, like a street, a fan or a crowd far off), band-limited
to the telephone band by the 8 kHz rate itself. The SNR is measured against the speech's power
over its loud part (frames above a fifth of the loudest), so pauses do not dilute it.
"""

from __future__ import annotations

import numpy as np

FRAME = 160  # 20 ms at 8 kHz


def pink(samples: int, seed: int) -> np.ndarray:
    """Unit-power pink noise: white noise shaped by 1/sqrt(f) in the frequency domain."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(samples))
    freqs = np.arange(spectrum.size, dtype=np.float64)
    freqs[0] = 1.0
    shaped = np.fft.irfft(spectrum / np.sqrt(freqs), n=samples)
    return np.asarray(shaped / (np.sqrt(np.mean(shaped**2)) or 1.0))


def speech_power(signal: np.ndarray) -> float:
    usable = signal[: signal.size // FRAME * FRAME].reshape(-1, FRAME)
    if usable.size == 0:
        return 0.0
    power = np.mean(usable**2, axis=1)
    loud = power[power >= power.max() / 5]
    return float(loud.mean())


def add_noise(pcm: bytes, snr_db: float, seed: int = 1) -> bytes:
    """``pcm`` (8 kHz slin) with pink noise ``snr_db`` below its speech."""
    signal = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    if signal.size == 0:
        return pcm
    noise = pink(signal.size, seed) * np.sqrt(speech_power(signal) / 10 ** (snr_db / 10))
    mixed = np.clip(signal + noise, -32768, 32767)
    return mixed.astype("<i2").tobytes()
