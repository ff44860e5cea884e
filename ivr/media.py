"""One media turn on an AudioSocket session: play audio in real time, collect DTMF, end.

Runs in the thread of the call that asked for it, with one ``select`` loop that both paces
outgoing 20 ms frames and reads caller frames, so a turn owns no thread of its own and nothing
is left behind when it ends. Asterisk closes the socket after 2 s with no traffic either way,
so while we only listen we keep sending silence frames.
"""

from __future__ import annotations

import logging
import select
import socket
import time
from dataclasses import dataclass, field

from ivr import audiosocket as wire

log = logging.getLogger(__name__)

FRAME_SECONDS = wire.FRAME_MS / 1000
# Once this far behind real time (a busy machine), stop catching up and re-anchor the clock:
# a burst of late frames would only be buffered by Asterisk, not heard sooner.
MAX_LAG = 0.1


@dataclass(frozen=True)
class TurnSpec:
    """What the turn collects. ``max_digits=0`` plays the audio and ends."""

    max_digits: int = 0
    timeout: float = 5.0  # after the prompt ends, for the first key
    inter_digit_timeout: float = 3.0
    terminator: str = "#"
    barge_in: bool = True  # a key stops the prompt


@dataclass
class TurnResult:
    status: str  # "played", "digits", "timeout", "hangup", "error"
    digits: str = ""
    played_ms: int = 0
    caller_audio: bytearray = field(default_factory=bytearray)
    interrupted: bool = False
    error: str = ""

    @property
    def heard_ms(self) -> int:
        return len(self.caller_audio) * 1000 // (wire.SAMPLE_RATE * wire.BYTES_PER_SAMPLE)


class _Turn:
    def __init__(self, sock: socket.socket, audio: bytes, spec: TurnSpec, call_id: str) -> None:
        self.sock = sock
        self.frames = wire.split_frames(audio)
        self.spec = spec
        self.call_id = call_id
        self.reader = wire.FrameReader()
        self.result = TurnResult(status="")
        self.index = 0
        self.prompt_end: float | None = None if self.frames else time.monotonic()
        self.last_digit: float | None = None

    def run(self) -> TurnResult:
        next_send = time.monotonic()
        while not self.result.status:
            now = time.monotonic()
            if now >= next_send:
                self._send_frame(now)
                next_send = max(next_send + FRAME_SECONDS, now - MAX_LAG)
                continue
            self._check_timers(now)
            if self.result.status:
                break
            ready, _, _ = select.select([self.sock], [], [], max(0.0, next_send - now))
            if ready:
                self._receive()
        return self.result

    def _send_frame(self, now: float) -> None:
        if self.index < len(self.frames):
            payload = self.frames[self.index]
            self.index += 1
            self.result.played_ms += len(payload) * 1000 // (wire.SAMPLE_RATE * 2)
            if self.index == len(self.frames):
                self.prompt_end = now
        else:
            payload = wire.silence()
        try:
            self.sock.sendall(wire.encode_audio(payload))
        except OSError:
            self.result.status = "hangup"
            return
        if self.prompt_end is not None and not self.spec.max_digits:
            self.result.status = "played"

    def _check_timers(self, now: float) -> None:
        spec = self.spec
        if not spec.max_digits:
            return
        if self.result.digits and self.last_digit is not None:
            if now - self.last_digit >= spec.inter_digit_timeout:
                self.result.status = "digits"
        elif self.prompt_end is not None and now - self.prompt_end >= spec.timeout:
            self.result.status = "timeout"

    def _receive(self) -> None:
        try:
            data = self.sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            # Asterisk sends no hangup frame when the caller leaves: it just closes TCP.
            self.result.status = "hangup"
            return
        try:
            frames = self.reader.feed(data)
        except wire.FrameError as exc:
            log.error("call %s: closing AudioSocket session: %s", self.call_id, exc)
            self.result.status, self.result.error = "error", str(exc)
            return
        for frame in frames:
            self._on_frame(frame)
            if self.result.status:
                return

    def _on_frame(self, frame: wire.Frame) -> None:
        if frame.kind == wire.KIND_AUDIO:
            self.result.caller_audio += frame.payload
        elif frame.kind == wire.KIND_DTMF:
            self._on_digit(frame.digit)
        elif frame.kind == wire.KIND_HANGUP:
            self.result.status = "hangup"
        elif frame.kind == wire.KIND_ERROR:
            log.error("call %s: AudioSocket error frame from Asterisk", self.call_id)
            self.result.status, self.result.error = "error", "error frame from Asterisk"
        else:  # a second uuid frame
            log.error("call %s: unexpected AudioSocket uuid frame mid-session", self.call_id)
            self.result.status, self.result.error = "error", "unexpected uuid frame"

    def _on_digit(self, digit: str) -> None:
        spec = self.spec
        if not spec.max_digits:
            return  # a play-only turn ignores keys
        if spec.barge_in and self.index < len(self.frames):
            self.index = len(self.frames)
            self.prompt_end = time.monotonic()
            self.result.interrupted = True
        if digit == spec.terminator:
            self.result.status = "digits" if self.result.digits else "timeout"
            return
        self.result.digits += digit
        self.last_digit = time.monotonic()
        if len(self.result.digits) >= spec.max_digits:
            self.result.status = "digits"


def run_turn(sock: socket.socket, audio: bytes, spec: TurnSpec, call_id: str) -> TurnResult:
    """Run one turn on a connected AudioSocket session and close the session."""
    sock.settimeout(2.0)  # bounds sendall; reads only happen after select says ready
    try:
        result = _Turn(sock, audio, spec, call_id).run()
        if result.status != "hangup":
            try:
                sock.sendall(wire.encode(wire.KIND_HANGUP))  # graceful end: EXEC replies 0
            except OSError:
                pass
        return result
    finally:
        sock.close()
