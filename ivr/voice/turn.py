"""One media turn on an AudioSocket session: play audio in real time, collect DTMF or speech.

Runs in the thread of the call that asked for it, with one ``select`` loop that both paces
outgoing 20 ms frames and reads caller frames, so a turn owns no thread of its own and nothing
is left behind when it ends. Asterisk closes the socket after 2 s with no traffic either way,
so while we only listen we keep sending silence frames.

Pacing, timeouts and the VAD's silences are measured in call time on the turn's
:class:`~ivr.core.media_clock.MediaClock`: the wall clock in production, faster in a simulated call.

A listening turn runs the caller's audio through a :class:`~ivr.voice.vad.SpeechDetector`: speech
stops the prompt (barge-in), and the end of speech ends the turn. The utterance goes to the
``on_speech`` callback as it arrives, so a streaming recognizer decodes while the caller talks.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ivr.core.media_clock import REAL_TIME, MediaClock
from ivr.voice.noise_floor import NoiseFloor
from ivr.voice.vad import SpeechDetector, VadSettings
from ivr.wire import audiosocket as wire
from ivr.wire.audio_format import BYTES_PER_SECOND, FRAME_BYTES, FRAME_SECONDS
from ivr.wire.readiness import readable

log = logging.getLogger(__name__)

# Once this far behind (a busy machine), stop catching up and re-anchor the clock: a burst of
# late frames would only be buffered by Asterisk, not heard sooner. Real seconds: a stall of
# the machine lasts as long at any media rate.
MAX_LAG = 0.1
# One read takes up to 2 s of caller audio: after a stall, what waits in the socket is heard
# in one go before any timer decides.
RECEIVE_BYTES = 65536
# What a turn keeps of the caller's audio (``TurnResult.caller_audio``), however long it lasts
# or however fast a peer sends: Asterisk sends 20 ms every 20 ms, a broken or hostile peer may
# send megabytes a second. The utterance is bounded by ``TurnSpec.max_speech`` in audio too.
MAX_HEARD_SECONDS = 30.0
MAX_HEARD_BYTES = int(MAX_HEARD_SECONDS * BYTES_PER_SECOND)


class AudioSource(Protocol):
    """Audio produced while it plays (speech synthesized clause by clause)."""

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes available now; never blocks; b"" when none is ready yet."""

    @property
    def finished(self) -> bool:
        """Everything has been produced and read."""

    def close(self) -> None:
        """Stop producing (barge-in, hangup); idempotent."""


class BytesSource:
    """Audio that is all there already (a cached prompt)."""

    def __init__(self, audio: bytes) -> None:
        self._audio = audio
        self._offset = 0

    def read(self, size: int) -> bytes:
        chunk = self._audio[self._offset : self._offset + size]
        self._offset += len(chunk)
        return chunk

    @property
    def finished(self) -> bool:
        return self._offset >= len(self._audio)

    def close(self) -> None:
        self._offset = len(self._audio)


@dataclass(frozen=True)
class TurnSpec:
    """What the turn collects. ``max_digits=0`` and ``speech=False`` plays the audio and ends."""

    max_digits: int = 0
    timeout: float = 5.0  # after the prompt ends, for the first key (or the start of speech)
    inter_digit_timeout: float = 3.0
    terminator: str = "#"
    barge_in: bool = True  # a key (or speech) stops the prompt
    speech: bool = False  # listen for speech; its end ends the turn
    max_speech: float = 15.0  # seconds of speech before the turn ends anyway
    vad: VadSettings = field(default_factory=VadSettings)
    # Silence that ends the turn once ``on_speech`` has said the answer is complete (a
    # streaming recognizer heard a whole menu phrase): shorter than the VAD's end_silence.
    early_end_silence: float | None = None

    @property
    def collects(self) -> bool:
        return bool(self.max_digits) or self.speech


@dataclass
class TurnResult:
    status: str  # "played", "digits", "speech", "timeout", "hangup", "error"
    digits: str = ""
    played_ms: int = 0
    caller_audio: bytearray = field(default_factory=bytearray)  # its first MAX_HEARD_SECONDS
    heard_bytes: int = 0  # all the caller audio the turn received
    utterance: bytes = b""  # the speech the VAD cut out (with its pre-roll)
    interrupted: bool = False
    speech_end: float | None = None  # call time (the turn's clock) of the last voiced frame
    error: str = ""

    @property
    def heard_ms(self) -> int:
        return self.heard_bytes * 1000 // BYTES_PER_SECOND


class _Turn:
    def __init__(
        self,
        sock: socket.socket,
        source: AudioSource,
        spec: TurnSpec,
        call_id: str,
        on_speech: Callable[[bytes], object] | None,
        clock: MediaClock = REAL_TIME,
        noise: NoiseFloor | None = None,
    ) -> None:
        self.sock = sock
        self.clock = clock
        self.source = source
        self.spec = spec
        self.call_id = call_id
        self.on_speech = on_speech
        self.reader = wire.FrameReader()
        self.result = TurnResult(status="")
        self.pending = b""  # prompt audio read from the source, short of a whole frame
        self.prompt_end: float | None = None
        self.last_digit: float | None = None
        self.detector = SpeechDetector(spec.vad, noise) if spec.speech else None
        self.max_utterance = int((spec.max_speech + spec.vad.pre_roll) * BYTES_PER_SECOND)
        self.answer_complete = False  # what on_speech last said: True, False, None (no news)

    @property
    def playing(self) -> bool:
        return self.prompt_end is None

    def run(self) -> TurnResult:
        clock = self.clock
        max_lag = MAX_LAG * clock.rate
        next_send = clock.monotonic()
        while not self.result.status:
            now = clock.monotonic()
            if now >= next_send:
                self._send_frame(now)
                next_send = max(next_send + FRAME_SECONDS, now - max_lag)
                continue
            due = self._due(now)
            if due and self._waiting():
                # What the caller sent while this thread was busy is heard before a timer ends
                # the turn: a stall of ours is not the caller's silence. One read, then decide.
                self._receive()
                due = "" if self.result.status else self._due(clock.monotonic())
            if due or self.result.status:
                self.result.status = self.result.status or due
                break
            wait = clock.real(next_send - now)
            if readable(self.sock, max(0.0, wait)):
                self._receive()
        if self.detector is not None:
            self.result.utterance = bytes(self.detector.utterance)
            self.result.speech_end = self.detector.last_voiced_at
        return self.result

    def _next_prompt_frame(self, now: float) -> bytes | None:
        """The next 20 ms of prompt; None once the prompt is over (or not ready yet)."""
        if not self.playing:
            return None
        self.pending += self.source.read(FRAME_BYTES - len(self.pending))
        if len(self.pending) < FRAME_BYTES and not self.source.finished:
            return None  # synthesis is behind: silence now, the rest when it comes
        payload, self.pending = self.pending, b""
        if self.source.finished:
            self.prompt_end = now
        return payload or None

    def _stop_prompt(self) -> None:
        if self.playing:
            self.source.close()
            self.pending = b""
            self.prompt_end = self.clock.monotonic()
            self.result.interrupted = True

    def _send_frame(self, now: float) -> None:
        payload = self._next_prompt_frame(now)
        if payload:
            self.result.played_ms += len(payload) * 1000 // BYTES_PER_SECOND
        else:
            payload = wire.silence()
        try:
            self.sock.sendall(wire.encode_audio(payload))
        except OSError:
            self.result.status = "hangup"
            return
        if not self.playing and not self.spec.collects:
            self.result.status = "played"

    def _due(self, now: float) -> str:
        """The status a timer gives the turn at ``now``; "" while none has run out."""
        spec = self.spec
        detector = self.detector
        if detector is not None and detector.speaking and not self.result.digits:
            if (
                detector.ended(now)
                or self._ended_early(now, detector)
                or detector.speech_seconds(now) >= spec.max_speech
            ):
                return "speech"
            return ""
        if not spec.collects:
            return ""
        if self.result.digits and self.last_digit is not None:
            if now - self.last_digit >= spec.inter_digit_timeout:
                return "digits"
        elif self.prompt_end is not None and now - self.prompt_end >= spec.timeout:
            return "timeout"
        return ""

    def _waiting(self) -> bool:
        """Caller frames are already in the socket."""
        return readable(self.sock, 0)

    def _ended_early(self, now: float, detector: SpeechDetector) -> bool:
        early = self.spec.early_end_silence
        if early is None or not self.answer_complete or detector.last_voiced_at is None:
            return False
        return now - detector.last_voiced_at >= early

    def _receive(self) -> None:
        try:
            data = self.sock.recv(RECEIVE_BYTES)
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
            result = self.result
            result.heard_bytes += len(frame.payload)
            if len(result.caller_audio) < MAX_HEARD_BYTES:
                result.caller_audio += frame.payload[: MAX_HEARD_BYTES - len(result.caller_audio)]
            self._on_audio(frame.payload)
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

    def _on_audio(self, pcm: bytes) -> None:
        detector = self.detector
        if detector is None or self.result.digits:
            return
        if self.playing and not self.spec.barge_in:
            return  # speech over a prompt that may not be interrupted is not an answer
        was_speaking = detector.speaking
        speech = detector.feed(pcm, self.clock.monotonic())
        if detector.speaking and not was_speaking:
            self._stop_prompt()  # barge-in: within one VAD window of the first voiced frame
        if len(detector.utterance) >= self.max_utterance:
            # max_speech of audio, however fast it came: the utterance is bounded in bytes too
            self.result.status = "speech"
        if speech and self.on_speech is not None:
            verdict = self.on_speech(speech)
            if verdict is not None:
                self.answer_complete = verdict is True

    def _on_digit(self, digit: str) -> None:
        spec = self.spec
        if not spec.max_digits:
            return  # a play-only (or speech-only) turn ignores keys
        if spec.barge_in:
            self._stop_prompt()
        if digit == spec.terminator:
            self.result.status = "digits" if self.result.digits else "timeout"
            return
        self.result.digits += digit
        self.last_digit = self.clock.monotonic()
        if len(self.result.digits) >= spec.max_digits:
            self.result.status = "digits"


def run_turn(
    sock: socket.socket,
    audio: bytes | AudioSource,
    spec: TurnSpec,
    call_id: str,
    on_speech: Callable[[bytes], object] | None = None,
    clock: MediaClock = REAL_TIME,
    noise: NoiseFloor | None = None,
) -> TurnResult:
    """Run one turn on a connected AudioSocket session and close the session; its pacing and
    timers run in call time on ``clock``; ``noise`` is the line's noise floor (the call's)."""
    source = BytesSource(audio) if isinstance(audio, bytes | bytearray) else audio
    sock.settimeout(2.0)  # bounds sendall; reads only happen after select says ready
    try:
        result = _Turn(sock, source, spec, call_id, on_speech, clock, noise).run()
        if result.status != "hangup":
            _end_gracefully(sock)
        return result
    finally:
        source.close()
        sock.close()


# How long to wait for Asterisk to close its end after our hangup frame (it does at once).
CLOSE_GRACE = 0.5


def _end_gracefully(sock: socket.socket) -> None:
    """Hangup frame, then wait for Asterisk to close: EXEC replies 0. Closing at once, with
    caller audio still unread in our buffer, would make the kernel reset the connection, and
    Asterisk, if it had not read the hangup frame yet, would fail the EXEC (result=-1)."""
    try:
        sock.sendall(wire.encode(wire.KIND_HANGUP))
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + CLOSE_GRACE
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if not sock.recv(65536):
                return
    except OSError:
        pass
