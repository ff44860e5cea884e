"""The noise floor beside the VAD: steady noise is never speech; speech over it still is."""

from __future__ import annotations

import numpy as np
import webrtcvad

from ivr.evaluation.noise import add_noise, pink
from ivr.simulator.caller import speech
from ivr.voice.noise_floor import NoiseFloor

FRAME = 320


def frames(pcm: bytes) -> list[bytes]:
    return [pcm[i : i + FRAME] for i in range(0, len(pcm) - FRAME + 1, FRAME)]


def noise_only(seconds: float, level: float) -> bytes:
    samples = pink(int(8000 * seconds), seed=3) * level
    return np.clip(samples, -32768, 32767).astype("<i2").tobytes()


def test_steady_noise_alone_is_not_loud_enough_after_the_first_moment() -> None:
    floor = NoiseFloor()
    # webrtcvad calls much of such noise voiced, some of it not: the floor learns from those
    vad = webrtcvad.Vad(2)
    verdicts = [
        floor.loud_enough(f, vad.is_speech(f, 8000)) for f in frames(noise_only(5.0, 1500.0))
    ]
    settled = verdicts[25:]  # after half a second
    assert sum(settled) <= len(settled) * 0.05


def test_speech_over_noise_stands_above_the_floor() -> None:
    said = speech("I would like to know my balance please")
    line = b"\0\0" * 8000 + said + b"\0\0" * 8000
    noisy = add_noise(line, 12.0)
    floor = NoiseFloor()
    vad = webrtcvad.Vad(2)
    verdicts = [floor.loud_enough(f, vad.is_speech(f, 8000)) for f in frames(noisy)]
    lead, body = verdicts[:50], verdicts[50 : 50 + len(said) // FRAME]
    assert sum(lead[10:]) <= 4  # the noise before the caller speaks: a frame here and there
    assert sum(body) >= len(body) * 0.35  # much of the speech (its pauses are quiet)


def test_a_quiet_line_changes_nothing() -> None:
    floor = NoiseFloor()
    said = speech("balance")
    line = b"\0\0" * 4000 + said
    verdicts = [floor.loud_enough(f) for f in frames(line)]
    voiced = [f for f in frames(said) if np.abs(np.frombuffer(f, "<i2")).max() > 1000]
    assert sum(verdicts) >= len(voiced) * 0.9
