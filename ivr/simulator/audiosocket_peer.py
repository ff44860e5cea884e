"""Asterisk's side of an AudioSocket session, as app_audiosocket.c and ASTERISK-WIRE.md show it.

* Connects, sends the uuid as 16 raw bytes, then forwards caller media: audio frames of the
  caller's packetization (320 bytes for 20 ms, 480 for 30 ms) and DTMF frames.
* Frames flow only while the caller produces media (``continuous_media`` models a phone that
  sends RTP all the time; the default sends frames only while the caller speaks).
* 2 s with no frame in either direction: Asterisk gives up (EXEC answers ``result=-1``).
  That timer is Asterisk's own and counts real seconds even when the call runs faster than
  real time (see ``ivr.core.media_clock``): the IVR's pacing speeds up with the rate, the machine's
  stalls do not, and a shorter timer would fail calls on a busy machine, not on a bug. The
  tests of the timer itself run at rate 1.
* A ``0x00`` frame or a close from the server ends the session gracefully (``result=0``).
* A DTMF frame *from* the server is not supported: Asterisk resets the socket (``result=-1``).
* On a caller hangup Asterisk sends no hangup frame: it closes TCP.
"""

from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from ivr.core.media_clock import REAL_TIME, MediaClock
from ivr.simulator.caller import Action, HangUp, Listen, Press, Say
from ivr.wire import audiosocket as wire
from ivr.wire.audio_format import BYTES_PER_SECOND
from ivr.wire.readiness import readable

INACTIVITY_TIMEOUT = 2.0  # real seconds (see above)


@dataclass
class SessionOutcome:
    result: int  # what EXEC AudioSocket answers: 0 graceful, -1 otherwise
    hangup: bool = False
    played: bytearray = field(default_factory=bytearray)
    pressed: str = ""
    said: list[str] = field(default_factory=list)
    error: str = ""
    # Call times (the session's MediaClock): the caller's first and last voiced packet, the
    # IVR's first audio frame and its last voiced one (for turn latency and barge-in figures).
    speech_started: float | None = None
    speech_ended: float | None = None
    first_frame: float | None = None
    audio_ended: float | None = None
    last_key: float | None = None  # when the last DTMF digit was sent

    @property
    def audio_after_speech(self) -> float | None:
        """Seconds of IVR audio the caller heard after starting to speak (barge-in delay)."""
        if self.speech_started is None or self.audio_ended is None:
            return None
        return max(0.0, self.audio_ended - self.speech_started)


class AudioSocketPeer:
    def __init__(
        self,
        session_id: str,
        address: str,
        actions: list[Action],
        packet_ms: int = 20,
        continuous_media: bool = False,
        clock: MediaClock = REAL_TIME,
    ) -> None:
        self.clock = clock  # call time: the caller's keys, speech and packets
        self.session_id = session_id
        self.address = address
        self.actions = actions  # shared with the call: consumed from the front
        self.packet_bytes = BYTES_PER_SECOND * packet_ms // 1000
        self.packet_seconds = packet_ms / 1000
        self.continuous_media = continuous_media

    def run(self) -> SessionOutcome:
        try:
            session = uuid.UUID(self.session_id)
            host, port = self.address.rsplit(":", 1)
            sock = socket.create_connection((host, int(port)), timeout=2.0)
        except (ValueError, OSError) as exc:
            return SessionOutcome(-1, error=f"cannot start AudioSocket: {exc}")
        outcome = SessionOutcome(0)
        try:
            sock.sendall(wire.encode_uuid(session))
            return self._loop(sock, outcome)
        except OSError as exc:  # a reset: Asterisk logs a failed read or write, EXEC gives -1
            outcome.result, outcome.error = -1, f"AudioSocket connection failed: {exc}"
            return outcome
        finally:
            sock.close()

    def _schedule(self, start: float) -> tuple[list[tuple[float, str]], bytes, float | None, str]:
        """Take the one input (keys or speech) this session plays out, if one is next."""
        first = self.actions[0] if self.actions else None
        if isinstance(first, Listen):
            self.actions.pop(0)
            return [], b"", None, ""
        if isinstance(first, Press):
            action = first
            self.actions.pop(0)
            keys = [(start + action.delay + i * action.gap, d) for i, d in enumerate(action.digits)]
            return keys, b"", None, ""
        if isinstance(first, Say):
            said = first
            self.actions.pop(0)
            return [], said.audio, start + said.delay, said.label or "(speech)"
        return [], b"", None, ""

    def _loop(self, sock: socket.socket, outcome: SessionOutcome) -> SessionOutcome:
        clock = self.clock
        start = clock.monotonic()
        hangup_at = self._take_hangup(start)
        keys, audio, speech_at, label = ([], b"", None, "") if hangup_at else self._schedule(start)
        if speech_at is not None:
            hangup_at = self._take_hangup(start, "speaking")
        if label:
            outcome.said.append(label)
        reader = wire.FrameReader(max_payload=0xFFFF)
        last_activity = time.monotonic()  # real time: Asterisk's inactivity timer
        next_packet = start
        offset = 0
        while True:
            now = clock.monotonic()
            if hangup_at is not None and now >= hangup_at:
                outcome.result, outcome.hangup = -1, True
                return outcome  # close without a hangup frame
            if now >= next_packet:
                next_packet += self.packet_seconds
                packet = b""
                if speech_at is not None and now >= speech_at and offset < len(audio):
                    packet = audio[offset : offset + self.packet_bytes]
                    offset += len(packet)
                elif self.continuous_media:
                    packet = bytes(self.packet_bytes)
                if packet:
                    sock.sendall(wire.encode_audio(packet))
                    last_activity = time.monotonic()
                    if speech_at is not None and now >= speech_at and _voiced(packet):
                        outcome.speech_started = outcome.speech_started or now
                        outcome.speech_ended = now
            while keys and now >= keys[0][0]:
                digit = keys.pop(0)[1]
                sock.sendall(bytes([wire.KIND_DTMF, 0, 1]) + digit.encode())
                outcome.pressed += digit
                outcome.last_key = now
                last_activity = time.monotonic()
            wait = clock.real(max(0.0, min(next_packet - now, 0.02)))
            if not readable(sock, wait):
                # checked only when nothing is waiting to be read: a stall of this thread is
                # not the IVR's silence
                if time.monotonic() - last_activity >= INACTIVITY_TIMEOUT:
                    outcome.result, outcome.error = -1, "no activity for 2 s: Asterisk gave up"
                    return outcome
                continue
            data = sock.recv(65536)
            if not data:
                return outcome  # the server closed: graceful
            last_activity = time.monotonic()
            received = clock.monotonic()
            try:
                frames = reader.feed(data)
            except wire.FrameError as exc:
                outcome.result, outcome.error = -1, f"bad frame from the IVR: {exc}"
                return outcome
            for frame in frames:
                if frame.kind == wire.KIND_HANGUP:
                    return outcome
                if frame.kind == wire.KIND_AUDIO:
                    outcome.played += frame.payload
                    outcome.first_frame = outcome.first_frame or received
                    if _voiced(frame.payload):
                        outcome.audio_ended = received
                else:
                    # DTMF (or anything else) sent to Asterisk: it logs an error and resets.
                    outcome.result = -1
                    outcome.error = f"IVR sent unsupported frame kind 0x{frame.kind:02x}"
                    return outcome

    def _take_hangup(self, start: float, when: str = "media") -> float | None:
        action = self.actions[0] if self.actions else None
        if isinstance(action, HangUp):
            if action.when == when:
                self.actions.pop(0)
                return start + action.delay
        return None


# A packet louder than this peak (about -30 dBFS) counts as speech or prompt audio: the quiet
# lead-in and tail of a recording are not the caller speaking.
VOICED_PEAK = 1000


def _voiced(pcm: bytes) -> bool:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2")
    return bool(samples.size) and int(np.abs(samples.astype(np.int32)).max()) > VOICED_PEAK
