"""The ``call`` object an AGI script receives: AGI commands with parsed, typed results.

Scripts never build protocol text; they call ``call.answer()``, ``call.get_data(...)``,
``call.play(...)`` and get values or exceptions back. Hangup is an exception
(:class:`CallerHungUp`) raised from whichever command noticed it; the script may still run
commands Asterisk allows on a dead channel (GET VARIABLE, SET VARIABLE, VERBOSE, NOOP, EXEC)
in its cleanup.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from ivr.asr.registry import Recognizers
from ivr.core.media_clock import MediaClock
from ivr.tts import PromptCache
from ivr.voice.media_server import SessionWaiter
from ivr.voice.noise_floor import NoiseFloor
from ivr.voice.turn import AudioSource, TurnResult, TurnSpec, run_turn
from ivr.wire.agi import (
    AgiEnv,
    ConnectionClosed,
    LineChannel,
    Reply,
    command_line,
    parse_reply,
)
from ivr.wire.channel_vars import CHANNEL_LANGUAGE

log = logging.getLogger(__name__)

# res_agi.c marks these commands as allowed on a dead channel; the rest answer 511 there.
DEAD_SAFE = frozenset(
    {"EXEC", "GET VARIABLE", "GET FULL VARIABLE", "NOOP", "SET VARIABLE", "VERBOSE"}
    | {"DATABASE GET", "DATABASE PUT", "DATABASE DEL", "DATABASE DELTREE"}
)
# STREAM FILE on hangup answers "200 result=-1 endpos=N" and the HANGUP line follows ~40 ms later.
HANGUP_LINE_GRACE = 0.3
MEDIA_CONNECT_TIMEOUT = 5.0
# Every command's reply has a deadline: a peer that took the header and then went quiet held
# the call's thread for ever. Asterisk answers a command that plays nothing at once (ANSWER
# took 0.5 s on a channel with no media yet); one that plays a sound or waits for keys answers
# when that is over, and the sound's length is not known here: it gets much longer.
REPLY_TIMEOUT_S = 30.0
PLAYING_TIMEOUT_S = 600.0
PLAYING = frozenset({"STREAM FILE", "CONTROL STREAM FILE", "GET DATA", "WAIT FOR DIGIT",
                     "SAY DIGITS", "SAY NUMBER", "SAY ALPHA", "SAY PHONETIC", "SAY DATE",
                     "SAY TIME", "SAY DATETIME", "RECORD FILE", "GET OPTION", "EXEC"})  # fmt: skip
# A 520 usage block is a few lines; a peer sending one without end is read to its end (or the
# deadline) but only this much of it is kept.
MAX_USAGE_LINES = 50
MAX_USAGE_BYTES = 8192


class CallerHungUp(Exception):
    """The caller left (HANGUP line, 511 on a dead channel, or the connection closed)."""


class AgiError(Exception):
    def __init__(self, command: str, reply: Reply | None, message: str) -> None:
        super().__init__(f"{command}: {message}")
        self.command = command
        self.reply = reply


class InvalidCommand(AgiError):
    """510: Asterisk does not know the command."""


class UsageError(AgiError):
    """520: the command's arguments were wrong; ``usage`` holds Asterisk's usage text."""

    def __init__(self, command: str, usage: str) -> None:
        super().__init__(command, None, "wrong usage")
        self.usage = usage


class CommandFailed(AgiError):
    """``200 result=-1`` while the caller is still there (e.g. a sound file is missing)."""


class UnknownApplication(AgiError):
    """``200 result=-2`` from EXEC: Asterisk has no such application."""


class MediaUnavailable(AgiError):
    """EXEC AudioSocket ended before a media session was established."""


class MediaEndpoint(Protocol):
    address: str
    clock: MediaClock  # call time of the turns (ivr.media_clock)

    def expect(self, session_id: uuid.UUID) -> SessionWaiter: ...


@dataclass(frozen=True)
class Playback:
    digit: str | None
    endpos: int


@dataclass(frozen=True)
class Digits:
    digits: str
    timed_out: bool


class VoiceServices(Protocol):
    """What a call's own commands need of the running IVR: its prompts and recognizers.
    Scripts and flows need more (``ivr.agi.services.Services``); a layer that needs a part of
    that says so with a Protocol of its own that extends this one."""

    @property
    def prompts(self) -> PromptCache: ...

    @property
    def recognizers(self) -> Recognizers | None: ...


class CallScript(Protocol):
    """A registered script as the layers under the AGI server see it: something that runs on
    a call and ends with an outcome. (The flow file names it, so the lookup is by name.)"""

    @property
    def run(self) -> Callable[[Any], str | None]: ...


@dataclass
class CallNotes:
    """What a call's steps learned, for the steps after them."""

    timezone: str = ""  # the flow's zone ("" until a flow runs): callbacks' "today"
    tags: list[str] = field(default_factory=list)  # why the call went where it did
    queue_status: str = ""  # QUEUESTATUS the call came back from Queue() with
    insured: object | None = None  # the verified person (an ivr.accounts.Insured)
    numbers: dict[str, str] = field(default_factory=dict)  # confirmed by number nodes (save_as)


S = TypeVar("S", bound=VoiceServices, covariant=True)


class Call(Generic[S]):
    """One AGI session. ``S`` is what the code at hand may use of the running IVR's
    services: a script sees all of them (``Call[Services]``), a lower layer only the part
    its Protocol names."""

    def __init__(
        self,
        channel: LineChannel,
        env: AgiEnv,
        media: MediaEndpoint | None,
        services: S,
        reply_timeout: float = REPLY_TIMEOUT_S,
    ) -> None:
        self.reply_timeout = reply_timeout
        self._channel = channel
        self.env = env
        self.media = media
        self.hung_up = False
        self.language = env.language or "en"
        self.id = env.uniqueid or "-"
        self._services = services
        self.notes = CallNotes()
        self.noise = NoiseFloor()  # the line's background noise, learnt over the call's turns

    @property
    def services(self) -> S:
        """The shared services of the running server (flows, prompts, records, live state)."""
        return self._services

    # -- the wire ---------------------------------------------------------------------------
    def execute(self, name: str, *args: str | int) -> Reply:
        """Send one command and return its ``200`` reply, raising on everything else."""
        self._take_hangup_lines()
        self._channel.write(command_line(name, *args))
        allowance = PLAYING_TIMEOUT_S if name in PLAYING else 0.0
        if name in ("GET DATA", "WAIT FOR DIGIT") and args:  # their own timeout, in ms
            allowance += max(0, int(args[-1] if name == "WAIT FOR DIGIT" else args[1])) / 1000
        return self._read_reply(name, allowance)

    def _read_line(self, timeout: float | None = None) -> str | None:
        try:
            return self._channel.readline(timeout)
        except ConnectionClosed as exc:
            self.hung_up = True
            raise CallerHungUp("Asterisk closed the AGI connection") from exc

    def _take_hangup_lines(self, wait: float = 0.0) -> None:
        """Read the unsolicited lines already here (Asterisk only ever sends HANGUP unasked).

        With ``wait``, keep listening up to that long for a HANGUP line: after a failing media
        command's ``200 result=-1`` it follows about 40 ms later.
        """
        deadline = time.monotonic() + wait
        while not self._channel.closed and not (wait and self.hung_up):
            line = self._read_line(max(0.0, deadline - time.monotonic()))
            if line is None:
                return
            if line == "HANGUP":
                self.hung_up = True
            else:
                log.warning("call %s: unexpected line from Asterisk: %r", self.id, line[:80])

    def _read_reply(self, name: str, allowance: float = 0.0) -> Reply:
        """The reply to ``name``, within ``reply_timeout`` + ``allowance`` seconds."""
        limit = self.reply_timeout + allowance
        deadline = time.monotonic() + limit
        while True:
            line = self._reply_line(name, deadline, limit)
            if line == "HANGUP":  # may come between a command and its reply
                self.hung_up = True
                continue
            if line.startswith("520-"):
                raise UsageError(name, self._read_usage(name, line, deadline, limit))
            if line.startswith("520 "):
                raise UsageError(name, line[4:])
            reply = parse_reply(line)
            break
        if reply.code == 510:
            raise InvalidCommand(name, reply, reply.text)
        if reply.code == 511:
            self.hung_up = True
            raise CallerHungUp(f"{name}: channel is dead")
        if reply.code != 200:
            raise AgiError(name, reply, f"unexpected reply {reply.text!r}")
        if reply.result == "-1":
            self._take_hangup_lines(HANGUP_LINE_GRACE)
            if self.hung_up:
                raise CallerHungUp(f"{name}: caller hung up")
            raise CommandFailed(name, reply, "failed (result=-1)")
        if self.hung_up and name not in DEAD_SAFE:
            raise CallerHungUp(f"{name}: caller hung up")
        return reply

    def _reply_line(self, name: str, deadline: float, limit: float) -> str:
        """The next line of a reply; a peer silent past the deadline is given up on: the call
        ends as if the caller had hung up, and the server closes the connection."""
        line = self._read_line(max(0.0, deadline - time.monotonic()))
        if line is None:
            log.error("call %s: no reply to %s within %g s: the AGI connection is given up",
                      self.id, name, limit)  # fmt: skip
            self._channel.abandon()
            self.hung_up = True
            raise CallerHungUp(f"{name}: no reply within {limit:g} s")
        return line

    def _read_usage(self, name: str, first: str, deadline: float, limit: float) -> str:
        """A ``520-`` block up to its ``520 `` line; only its first lines are kept."""
        lines, size, dropped = [first[4:]], len(first), 0
        while True:
            line = self._reply_line(name, deadline, limit)
            if line.startswith("520 "):
                if dropped:
                    kept = len(lines)
                    lines.append(f"(and {dropped} more lines, not kept)")
                    log.warning(
                        "call %s: %s: a usage block of %d lines, the first %d kept",
                        self.id, name, kept + dropped, kept,
                    )  # fmt: skip
                return "\n".join(lines)
            if len(lines) < MAX_USAGE_LINES and size + len(line) <= MAX_USAGE_BYTES:
                lines.append(line)
                size += len(line) + 1
            else:
                dropped += 1

    # -- AGI commands -----------------------------------------------------------------------
    def answer(self) -> None:
        self.execute("ANSWER")

    def hangup(self) -> None:
        self.execute("HANGUP")

    def noop(self, text: str = "") -> None:
        self.execute("NOOP", *([text] if text else []))

    def verbose(self, message: str, level: int = 1) -> None:
        self.execute("VERBOSE", message, level)

    def channel_status(self) -> int:
        return self.execute("CHANNEL STATUS").number

    def stream_file(self, name: str, escape_digits: str = "", offset: int = 0) -> Playback:
        reply = self.execute("STREAM FILE", name, escape_digits, offset)
        return Playback(_digit(reply.number), int(reply.extra.get("endpos", "0")))

    def get_data(self, prompt: str, timeout_ms: int = 5000, max_digits: int = 1) -> Digits:
        reply = self.execute("GET DATA", prompt, timeout_ms, max_digits)
        return Digits(reply.result, reply.data == "timeout")

    def wait_for_digit(self, timeout_ms: int = 5000) -> str | None:
        return _digit(self.execute("WAIT FOR DIGIT", timeout_ms).number)

    def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        return _digit(self.execute("SAY DIGITS", digits, escape_digits).number)

    def say_number(self, number: int, escape_digits: str = "") -> str | None:
        return _digit(self.execute("SAY NUMBER", number, escape_digits).number)

    def get_variable(self, name: str) -> str | None:
        reply = self.execute("GET VARIABLE", name)
        return reply.data if reply.result == "1" else None

    def get_full_variable(self, expression: str) -> str | None:
        reply = self.execute("GET FULL VARIABLE", expression)
        return reply.data if reply.result == "1" else None

    def set_variable(self, name: str, value: str) -> None:
        self.execute("SET VARIABLE", name, value)

    def exec(self, application: str, *args: str) -> int:
        """Run a dialplan application; its result code (0 normally)."""
        reply = self.execute("EXEC", application, ",".join(args))
        if reply.result == "-2":
            raise UnknownApplication("EXEC", reply, f"no application {application!r}")
        return reply.number

    def set_language(self, language: str) -> None:
        self.set_variable(CHANNEL_LANGUAGE, language)
        self.language = language

    # -- media turns over AudioSocket -------------------------------------------------------
    def speech(self, text: str, private: str = "") -> bytes | AudioSource:
        """The audio of ``text`` in the call's language, logged as said. A text holding the
        caller's own data names what it holds in ``private`` ("balance"): it is logged as
        that, and streamed without ever being cached."""
        if private:
            self.verbose(f"ivr: say ({private})", 3)
            stream: AudioSource = self.services.prompts.stream(text, self.language, keep=False)
            return stream
        self.verbose(f'ivr: say "{text}"', 3)
        audio: bytes = self.services.prompts.audio(text, self.language)
        return audio

    def say(self, text: str, private: str = "") -> TurnResult:
        """Speak ``text`` (see :meth:`speech`) and wait for it to end; keys are ignored."""
        return self.turn(self.speech(text, private))

    def turn(
        self,
        audio: bytes | AudioSource,
        spec: TurnSpec | None = None,
        on_speech: Callable[[bytes], object] | None = None,
    ) -> TurnResult:
        """Play ``audio`` (8 kHz slin) to the caller and collect what ``spec`` asks for;
        ``on_speech`` receives the caller's speech as it arrives."""
        if self.media is None:
            raise MediaUnavailable("EXEC", None, "no media server for this call")
        spec = spec or TurnSpec()
        self._take_hangup_lines()
        if self.hung_up:  # EXEC would be allowed on a dead channel, but only to fail
            raise CallerHungUp("caller hung up before a media turn")
        session_id = uuid.uuid4()
        waiter = self.media.expect(session_id)
        try:
            self._channel.write(
                command_line("EXEC", "AudioSocket", f"{session_id},{self.media.address}")
            )
            sock = self._wait_for_session(waiter)
            if sock is None:
                reply = self._read_reply("EXEC")  # raises CallerHungUp / CommandFailed
                raise MediaUnavailable("EXEC", reply, "AudioSocket ended before connecting")
            result = run_turn(sock, audio, spec, self.id, on_speech, self.media.clock, self.noise)
        finally:
            waiter.cancel()
            if not isinstance(audio, bytes | bytearray):
                audio.close()  # no session, no playing: stop synthesizing
        try:
            self._read_reply("EXEC")
        except CommandFailed:
            pass  # result=-1 with the caller still there: Asterisk dropped the socket
        if result.status == "hangup":
            self._take_hangup_lines(HANGUP_LINE_GRACE)
            if self.hung_up:
                raise CallerHungUp("caller hung up during a media turn")
            result.status = "error"
        return result

    def _wait_for_session(self, waiter: SessionWaiter) -> socket.socket | None:
        """Wait for Asterisk to connect; None if the AGI reply (a failure) comes first."""
        deadline = time.monotonic() + MEDIA_CONNECT_TIMEOUT
        while time.monotonic() < deadline:
            sock = waiter.wait(0.02)
            if sock is not None:
                return sock
            if self._channel.readable(0):
                return None
        return None


def _digit(result: int) -> str | None:
    return chr(result) if result > 0 else None
