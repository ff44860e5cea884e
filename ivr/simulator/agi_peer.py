"""Asterisk's side of one FastAGI session, written from res/res_agi.c and ASTERISK-WIRE.md.

It sends the ``agi_*`` header block in Asterisk's order, then answers each command as
res_agi does: ``200 result=...``, ``510`` for an unknown command, the ``520-`` usage block,
``511`` for media commands on a dead channel, and the unsolicited ``HANGUP`` line when the
caller leaves (after a failing media command's reply, on its own between commands, or between a
command and its reply).
"""

from __future__ import annotations

import signal
import socket
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ivr.simulator.caller import HangUp, PressBetween
from ivr.wire.audio_format import BYTES_PER_SECOND

if TYPE_CHECKING:
    from ivr.simulator.channel import Channel

HANGUP_LINE_DELAY = 0.04  # observed: HANGUP follows "200 result=-1" by about 40 ms
KEY_PRESS_SECONDS = 0.1
Handler = Callable[[list[str]], str]
SAY_DIGIT_SECONDS = 0.6


def parse_args(line: str) -> list[str]:
    """Split a command line exactly like res_agi.c's parse_args (quotes, backslash escapes)."""
    args: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and current is None:
                current = []
            continue
        if ch in " \t" and not quoted and not escaped:
            if current is not None:
                args.append("".join(current))
                current = None
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if current is None:
            current = []
        current.append(ch)
        escaped = False
    if current is not None:
        args.append("".join(current))
    return args


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    dead_ok: bool
    min_args: int  # argv count including the command words, as res_agi checks argc
    max_args: int
    usage: str


def _cmd(words: str, dead_ok: bool, lo: int, hi: int, usage: str) -> Command:
    return Command(tuple(words.split()), dead_ok, lo, hi, usage)


COMMANDS = [
    _cmd("ANSWER", False, 1, 1, "Usage: ANSWER\n Answers channel if not already in answer state."),
    _cmd("CHANNEL STATUS", False, 2, 3, "Usage: CHANNEL STATUS [<channelname>]"),
    _cmd("EXEC", True, 2, 64, "Usage: EXEC <application> <options>"),
    _cmd("GET DATA", False, 3, 5, "Usage: GET DATA <file to be streamed> [timeout] [maxdigits]"),
    _cmd("GET FULL VARIABLE", True, 4, 5, "Usage: GET FULL VARIABLE <variablename> [<channel>]"),
    _cmd("GET VARIABLE", True, 3, 3, "Usage: GET VARIABLE <variablename>"),
    _cmd("HANGUP", False, 1, 2, "Usage: HANGUP [<channelname>]"),
    _cmd("NOOP", True, 1, 64, "Usage: NOOP"),
    _cmd("SAY DIGITS", False, 4, 4, "Usage: SAY DIGITS <number> <escape digits>"),
    _cmd("SAY NUMBER", False, 4, 5, "Usage: SAY NUMBER <number> <escape digits> [gender]"),
    _cmd("SET VARIABLE", True, 4, 4, "Usage: SET VARIABLE <variablename> <value>"),
    _cmd(
        "STREAM FILE", False, 4, 5, "Usage: STREAM FILE <filename> <escape digits> [sample offset]"
    ),
    _cmd("VERBOSE", True, 2, 3, "Usage: VERBOSE <message> <level>"),
    _cmd("WAIT FOR DIGIT", False, 4, 4, "Usage: WAIT FOR DIGIT <timeout>"),
]


def find_command(argv: list[str]) -> Command | None:
    upper = [a.upper() for a in argv]
    best = None
    for command in COMMANDS:
        if tuple(upper[: len(command.words)]) == command.words:
            if best is None or len(command.words) > len(best.words):
                best = command
    return best


class AgiPeer:
    """One AGI session on an already connected socket."""

    def __init__(self, sock: socket.socket, channel: Channel) -> None:
        self.sock = sock
        self.channel = channel
        self._buffer = b""

    # -- wire ---------------------------------------------------------------------------
    def send(self, text: str) -> None:
        try:
            self.sock.sendall(text.encode())
        except OSError:
            pass

    def send_header(self, lines: list[tuple[str, str]]) -> None:
        self.send("".join(f"{key}: {value}\n" for key, value in lines) + "\n")

    def read_command(self, timeout: float) -> str | None:
        """The next command line, or None when the server closed the connection."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                raise TimeoutError("the IVR sent no command in time") from None
            except OSError:
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8", errors="replace")

    def hangup_line(self) -> None:
        """FastAGI gets a HANGUP line; a classic AGI process gets SIGHUP (res_agi.c run_agi)."""
        if not self.channel.agi_sighup:  # AGISIGHUP=no suppresses both
            return
        if self.channel.process is not None:
            self.channel.log("reply", "SIGHUP to the AGI process")
            self.channel.process.send_signal(signal.SIGHUP)
        else:
            self.channel.log("reply", "HANGUP")
            self.send("HANGUP\n")

    # -- one command ----------------------------------------------------------------------
    def handle(
        self, line: str, handlers: dict[tuple[str, ...], Callable[[list[str]], str]]
    ) -> None:
        channel = self.channel
        if channel.next_action_is(HangUp, "before-reply"):
            channel.actions.pop(0)
            channel.caller_hangs_up("hung up as the command arrived")
            self.hangup_line()
        argv = parse_args(line)
        command = find_command(argv)
        channel.log("agi", line)
        if command is None:
            self.reply("510 Invalid or unknown command")
            return
        if channel.dead and not command.dead_ok:
            self.reply("511 Command Not Permitted on a dead channel or intercept routine")
            return
        if not command.min_args <= len(argv) <= command.max_args:
            self.send("520-Invalid command syntax.  Proper usage follows:\n")
            self.send(command.usage + "\n")
            self.reply("520 End of proper usage.")
            return
        self.reply(handlers[command.words](argv))

    def reply(self, text: str) -> None:
        self.channel.log("reply", text)
        self.send(text + "\n")
        if self.channel.pending_hangup_line:
            self.channel.pending_hangup_line = False
            self.channel.clock.sleep(HANGUP_LINE_DELAY)
            self.hangup_line()
        self._between_commands()

    def _between_commands(self) -> None:
        """What the caller does while no AGI command runs."""
        channel = self.channel
        while channel.actions:
            action = channel.actions[0]
            if isinstance(action, PressBetween):
                channel.actions.pop(0)
                channel.log("lost", f"key {action.digit} pressed while no command ran: dropped")
            elif isinstance(action, HangUp) and action.when == "between" and not channel.dead:
                channel.actions.pop(0)
                channel.caller_hangs_up("hung up while no command ran")
                self.hangup_line()
            else:
                return


# -- media timing shared by the handlers --------------------------------------------------
def sound_seconds(path: Path) -> float:
    if path.suffix == ".wav":
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    return path.stat().st_size / BYTES_PER_SECOND  # .sln: our format, no header


def find_sound(name: str, language: str, dirs: list[Path]) -> Path | None:
    """Where Asterisk would find ``name``: <dir>/<language>/name, then <dir>/name."""
    stems = (
        [Path(name)]
        if name.startswith("/")
        else [root / name for d in dirs for root in (d / language, d)]
    )
    for stem in stems:
        for suffix in (".wav", ".sln"):
            candidate = stem.with_name(stem.name + suffix)
            if candidate.is_file():
                return candidate
    return None
