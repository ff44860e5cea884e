"""Where the caller's speech starts and ends: webrtcvad on 20 ms frames, timed by the clock.

Asterisk sends caller frames only while the far side produces media (ASTERISK-WIRE.md), and
their size follows the caller's packetization (320, 480, short tails). So audio is re-cut into
20 ms frames for webrtcvad, and silence is measured on the clock since the last voiced frame
(the caller passes ``now``: call time, see ``ivr.core.media_clock``): a phone that stops sending
packets is as silent as one that sends silence.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import webrtcvad

from ivr.voice.noise_floor import NoiseFloor
from ivr.wire.audio_format import FRAME_BYTES, SAMPLE_RATE


@dataclass(frozen=True)
class VadSettings:
    aggressiveness: int = 2  # webrtcvad mode 0-3: 3 rejects the most noise as non-speech
    # Speech starts when this many of the last ``window`` frames are voiced (80 of 120 ms):
    # one VAD window is what barge-in waits before it stops a prompt.
    start_frames: int = 4
    window: int = 6
    end_silence: float = 0.5  # seconds without a voiced frame that end the utterance
    pre_roll: float = 0.3  # audio kept from before the start, so the first word is whole


class SpeechDetector:
    """Feed caller audio as it arrives; ask whether speech has started or ended."""

    def __init__(
        self, settings: VadSettings | None = None, noise: NoiseFloor | None = None
    ) -> None:
        self.settings = settings or VadSettings()
        # The line's noise floor: a frame is voiced only if it also stands above it (a call
        # keeps one across its turns; without one, webrtcvad alone decides).
        self.noise = noise
        self._vad = webrtcvad.Vad(self.settings.aggressiveness)
        self._pending = b""
        self._recent: deque[bool] = deque(maxlen=self.settings.window)
        self._pre_roll: deque[bytes] = deque(maxlen=max(1, round(self.settings.pre_roll / 0.02)))
        self.started_at: float | None = None
        self.last_voiced_at: float | None = None
        self.utterance = bytearray()  # pre-roll + everything from the start of speech on

    @property
    def speaking(self) -> bool:
        return self.started_at is not None

    def feed(self, pcm: bytes, now: float) -> bytes:
        """Take caller audio; return the part that belongs to the utterance (for a decoder):
        nothing before speech starts, the pre-roll and the frame at the start, all after it."""
        self._pending += pcm
        out = bytearray()
        while len(self._pending) >= FRAME_BYTES:
            frame, self._pending = self._pending[:FRAME_BYTES], self._pending[FRAME_BYTES:]
            voiced = self._vad.is_speech(frame, SAMPLE_RATE)
            if self.noise is not None:
                voiced = self.noise.loud_enough(frame, voiced, self.speaking) and voiced
            if voiced:
                self.last_voiced_at = now
            if self.started_at is None:
                self._recent.append(voiced)
                self._pre_roll.append(frame)
                if sum(self._recent) >= self.settings.start_frames:
                    self.started_at = now
                    out += b"".join(self._pre_roll)
                    self._pre_roll.clear()
            else:
                out += frame
        self.utterance += out
        return bytes(out)

    def ended(self, now: float) -> bool:
        """Speech started and has been followed by ``end_silence`` seconds without voice."""
        if self.started_at is None or self.last_voiced_at is None:
            return False
        return now - self.last_voiced_at >= self.settings.end_silence

    def speech_seconds(self, now: float) -> float:
        return 0.0 if self.started_at is None else now - self.started_at
