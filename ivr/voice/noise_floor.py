"""The level of a line's steady background noise, so noise alone is never taken for speech.

webrtcvad answers "voice-like or not" frame by frame; on a line with steady noise (a street,
a fan, a crowd) at ~12 dB below the caller it calls much of the noise voiced, so a prompt
stops for nobody (barge-in on noise) and an answer never ends (no silence after it). Beside it,
:class:`NoiseFloor` follows the quietest level of the line (minimum statistics: it falls at once
to a quieter frame and rises slowly, ``rise_db_per_s``, so speech lasting a few seconds barely
lifts it) and a frame counts as speech only when webrtcvad says so AND it stands ``margin_db``
above that floor. On a quiet line the floor is near zero and nothing changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

QUIET = 1.0  # mean square of a digitally silent frame's dither: the floor never goes below
QUIET_LINE = 32768.0**2 * 10 ** (-55 / 10)  # -55 dBFS: below this a line counts as quiet


@dataclass(frozen=True)
class NoiseSettings:
    margin_db: float = 6.0  # speech starts this far above the noise floor
    # Once speech has started, a frame this far above the floor still belongs to it: the
    # quieter ends of words must not end an answer in the middle (hysteresis).
    keep_margin_db: float = 5.0
    rise_db_per_s: float = 3.0  # how fast the floor may climb towards a louder line
    # The floor follows the power smoothed over a few frames: one frame of noise varies by
    # several dB (pink noise: -3 to +6 dB around its median), the average of four much less.
    smoothing: float = 0.5
    frame_seconds: float = 0.02


def frame_power(frame: bytes) -> float:
    """Mean square of a 16-bit little-endian frame."""
    samples = np.frombuffer(frame[: len(frame) // 2 * 2], dtype="<i2").astype(np.float64)
    return float(np.mean(samples**2)) if samples.size else 0.0


class NoiseFloor:
    """The floor of one call's line (it outlives the call's turns: the line stays the same).

    It starts at the line's first frame (a line's noise is there before anyone speaks; a line
    that sends nothing while quiet starts with the soft onset of speech), falls at once to any
    quieter frame, moves up to the level of a frame webrtcvad calls unvoiced (the line between
    words: on a noisy line, the noise), and creeps up slowly under voiced frames
    (``rise_db_per_s``). A frame is loud enough when it stands ``margin_db`` above the floor;
    while the floor is a quiet line's, every frame is (webrtcvad alone decides, as before)."""

    def __init__(self, settings: NoiseSettings | None = None) -> None:
        self.settings = settings or NoiseSettings()
        self.floor: float | None = None  # None until the first frame
        self._smoothed: float | None = None
        self._rise = 10 ** (self.settings.rise_db_per_s * self.settings.frame_seconds / 10)
        self._margin = 10 ** (self.settings.margin_db / 10)
        self._keep_margin = 10 ** (self.settings.keep_margin_db / 10)

    def loud_enough(self, frame: bytes, voiced: bool = True, speaking: bool = False) -> bool:
        """Take one 20 ms frame (``voiced``: webrtcvad's word on it); whether it stands above
        the floor (it could be speech; ``speaking``: it would go on with speech started)."""
        power = max(frame_power(frame), QUIET)
        alpha = self.settings.smoothing
        level = power if self._smoothed is None else alpha * power + (1 - alpha) * self._smoothed
        self._smoothed = level
        if self.floor is None or level < self.floor or not voiced:
            self.floor = max(level, QUIET)
        else:
            self.floor = min(level, self.floor * self._rise)
        if self.floor <= QUIET_LINE:
            return True
        return power >= self.floor * (self._keep_margin if speaking else self._margin)

    @property
    def floor_db(self) -> float:
        """The floor in dB of full scale (for logs); -inf before the first frame."""
        if self.floor is None:
            return -math.inf
        return 10 * math.log10(self.floor / 32768.0**2)
