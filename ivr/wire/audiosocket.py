"""The AudioSocket wire (res/res_audiosocket.c, apps/app_audiosocket.c). Framing only.

A frame is 1 byte kind, 2 bytes big-endian payload length, then the payload. Facts from
../shared/ASTERISK-WIRE.md that shape this module:

* The first frame is the call's uuid as **16 raw bytes**, not its text form.
* Audio is signed 16-bit little-endian, 8 kHz mono, and the frame size follows the caller's
  packetization: 320 bytes (20 ms), 480 bytes (30 ms) and short tails all occur. Never assume 320.
* DTMF frames carry one ASCII byte. We never *send* one: Asterisk resets the socket if we do.
* On a caller hangup Asterisk sends no hangup frame; it just closes TCP.
"""

from __future__ import annotations

import struct
import uuid as uuid_module
from dataclasses import dataclass

from ivr.wire.audio_format import BYTES_PER_SAMPLE, FRAME_MS, SAMPLE_RATE

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_AUDIO = 0x10
KIND_ERROR = 0xFF
KINDS = {KIND_HANGUP, KIND_UUID, KIND_DTMF, KIND_AUDIO, KIND_ERROR}

# Largest payload we accept: 100 ms of audio is far above any telephony packetization.
MAX_PAYLOAD = 1600
DTMF_CHARS = frozenset("0123456789*#ABCD")


class FrameError(Exception):
    """A malformed or oversized frame: the session must be closed."""


@dataclass(frozen=True)
class Frame:
    kind: int
    payload: bytes = b""

    @property
    def digit(self) -> str:
        return self.payload.decode("ascii")

    @property
    def uuid(self) -> uuid_module.UUID:
        return uuid_module.UUID(bytes=self.payload)


def encode(kind: int, payload: bytes = b"") -> bytes:
    if kind == KIND_DTMF:
        raise ValueError("sending DTMF frames to Asterisk is not supported (it resets the socket)")
    if len(payload) > 0xFFFF:
        raise ValueError("AudioSocket payload longer than 65535 bytes")
    return struct.pack(">BH", kind, len(payload)) + payload


def encode_audio(pcm: bytes) -> bytes:
    return encode(KIND_AUDIO, pcm)


def encode_uuid(value: uuid_module.UUID) -> bytes:
    return encode(KIND_UUID, value.bytes)


def _check(kind: int, payload: bytes) -> None:
    if kind not in KINDS:
        raise FrameError(f"unknown AudioSocket frame kind 0x{kind:02x}")
    if kind == KIND_UUID and len(payload) != 16:
        raise FrameError(f"uuid frame of {len(payload)} bytes, expected 16")
    if kind == KIND_DTMF and (len(payload) != 1 or chr(payload[0]) not in DTMF_CHARS):
        raise FrameError(f"malformed DTMF frame {payload[:8]!r}")
    if kind == KIND_AUDIO and len(payload) % BYTES_PER_SAMPLE:
        raise FrameError(f"audio frame of odd length {len(payload)}")


class FrameReader:
    """Incremental decoder: feed bytes as they arrive, take whole frames out."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self._buffer = bytearray()
        self._max = max_payload

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= 3:
            kind, length = struct.unpack_from(">BH", self._buffer)
            if kind not in KINDS:
                raise FrameError(f"unknown AudioSocket frame kind 0x{kind:02x}")
            if length > self._max:
                raise FrameError(f"oversized AudioSocket frame: {length} bytes (max {self._max})")
            if len(self._buffer) < 3 + length:
                break
            payload = bytes(self._buffer[3 : 3 + length])
            del self._buffer[: 3 + length]
            _check(kind, payload)
            frames.append(Frame(kind, payload))
        return frames

    @property
    def pending(self) -> int:
        return len(self._buffer)


def silence(ms: int = FRAME_MS) -> bytes:
    return bytes(SAMPLE_RATE * BYTES_PER_SAMPLE * ms // 1000)
