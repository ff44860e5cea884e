"""The AGI wire: header block, command lines, replies. No call logic lives here.

Facts of the wire (res/res_agi.c and ../shared/ASTERISK-WIRE.md) that this module handles:

* Lines end in a bare ``\\n``. The header block is ``agi_key: value`` lines ended by an empty
  line, and may arrive split over several TCP reads at any line boundary, so we read lines
  until the blank one rather than trusting one ``recv``.
* ``agi_accountcode: `` arrives with a trailing space and an empty value; an empty dialplan
  argument arrives as ``agi_arg_3: ``. Only the first ``": "`` separates key from value:
  arguments may themselves hold ``": "`` and spaces.
* Replies: ``200 result=N [(data)] [key=value ...]``; ``510 Invalid or unknown command``;
  ``511 Command Not Permitted on a dead channel or intercept routine``; and a usage block whose
  first line starts ``520-`` and that runs until a line starting ``520 ``.
* ``HANGUP`` arrives as a line of its own when the caller leaves, also *between a command and its
  reply*. It is never the reply itself, so the reader notes it and keeps reading.

Everything read from the peer is bounded: a line (``MAX_LINE``), the header block (lines and
bytes, and one deadline for the whole block: a peer sending a byte every few seconds does not
restart it), and a reply (the call's deadline per command, see ``ivr.voice.call``). Sockets
are waited on with poll (``ivr.wire.readiness``), not ``select.select``, whose descriptors
stop at 1023: a node holding a thousand connections must still serve the next call.
"""

from __future__ import annotations

import os
import re
import socket
import time
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit

from ivr.wire.readiness import readable

MAX_LINE = 8192  # Asterisk's own AGI buffer is 2048 bytes a line; be generous but bounded.
MAX_HEADER_LINES = 200
MAX_HEADER_BYTES = 65536  # a real header block is about 1 kB
HEADER_TIMEOUT_S = 10.0  # for the whole header block, from the connection on


class WireError(Exception):
    """The peer broke the AGI protocol (malformed header, reply or line)."""


class ConnectionClosed(WireError):
    """The peer closed the connection."""


@dataclass(frozen=True)
class AgiEnv:
    """The ``agi_*`` header block as Asterisk sent it."""

    values: dict[str, str]
    args: tuple[str, ...]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    @property
    def script(self) -> str:
        """The script name: the path of ``agi_request`` (FastAGI) or ``agi_request`` (classic)."""
        request = self.values.get("agi_network_script") or self.values.get("agi_request", "")
        if request.startswith("agi://"):
            request = urlsplit(request).path
        path = request.split("?", 1)[0].strip("/")
        return path.rsplit("/", 1)[-1] if "/" in path else path

    @property
    def query(self) -> dict[str, str]:
        request = self.values.get("agi_network_script") or self.values.get("agi_request", "")
        query = request.split("?", 1)[1] if "?" in request else ""
        return {key: vals[-1] for key, vals in parse_qs(query, keep_blank_values=True).items()}

    @property
    def channel(self) -> str:
        return self.get("agi_channel")

    @property
    def uniqueid(self) -> str:
        return self.get("agi_uniqueid")

    @property
    def callerid(self) -> str:
        value = self.get("agi_callerid")
        return "" if value == "unknown" else value

    @property
    def dnid(self) -> str:
        value = self.get("agi_dnid")
        return "" if value == "unknown" else value

    @property
    def extension(self) -> str:
        return self.get("agi_extension")

    @property
    def language(self) -> str:
        return self.get("agi_language")


def parse_header_lines(lines: list[str]) -> AgiEnv:
    """Turn the header lines (without the terminating blank line) into an :class:`AgiEnv`."""
    values: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep or not key.startswith("agi_") or " " in key:
            raise WireError(f"malformed AGI header line: {line[:80]!r}")
        # "agi_arg_3: " is an empty argument: strip exactly the one separating space.
        values[key] = value[1:] if value.startswith(" ") else value
    if "agi_request" not in values:
        raise WireError("AGI header block has no agi_request")
    args: list[str] = []
    index = 1
    while f"agi_arg_{index}" in values:
        args.append(values[f"agi_arg_{index}"])
        index += 1
    return AgiEnv(values=values, args=tuple(args))


@dataclass(frozen=True)
class Reply:
    """One parsed reply line (or 520 block)."""

    code: int
    # Kept as text: GET DATA answers "200 result=0123" or "200 result= (timeout)".
    result: str = ""
    data: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def number(self) -> int:
        """The result as an integer (-1 failure/hangup, -2 unknown application, ...)."""
        try:
            return int(self.result)
        except ValueError as exc:
            raise WireError(f"AGI result is not a number: {self.text[:80]!r}") from exc


_REPLY_200 = re.compile(r"^200 result=(\S*)(?: \((.*)\))?((?: [a-z_]+=\S*)*)\s*$")


def parse_reply(line: str) -> Reply:
    """Parse a single ``200``/``510``/``511`` reply line."""
    if line.startswith("200"):
        match = _REPLY_200.match(line)
        if not match:
            raise WireError(f"malformed AGI reply: {line[:120]!r}")
        extra = dict(item.split("=", 1) for item in match.group(3).split())
        return Reply(200, match.group(1), match.group(2), extra, line)
    code = line[:3]
    if code.isdigit() and (len(line) == 3 or line[3] == " "):
        return Reply(int(code), text=line[4:])
    raise WireError(f"malformed AGI reply: {line[:120]!r}")


def quote(arg: str) -> str:
    """Quote one command argument the way res_agi's parser (parse_args) reads it back.

    Inside double quotes, spaces are kept; a backslash escapes the next character.
    """
    if arg and not any(ch in arg for ch in ' \t"\\'):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def command_line(name: str, *args: str | int) -> bytes:
    """Build one command line. Newlines in an argument would start a new command: refuse them."""
    parts = [name]
    for arg in args:
        text = str(arg)
        if "\n" in text or "\r" in text:
            raise ValueError(f"AGI argument may not contain a newline: {text[:40]!r}")
        parts.append(quote(text))
    return (" ".join(parts) + "\n").encode("utf-8")


class LineChannel:
    """Reads ``\\n``-ended lines from a socket or pipe with optional timeouts; writes bytes.

    Works on anything with a file descriptor (a TCP socket for FastAGI, stdin/stdout for
    classic AGI), so both ways of running a script share one protocol implementation.
    """

    def __init__(self, rfd: int, writer: BinaryIO | socket.socket) -> None:
        self._rfd = rfd
        self._writer = writer
        self._buffer = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        if isinstance(self._writer, socket.socket):
            self._writer.sendall(data)
        else:
            self._writer.write(data)
            self._writer.flush()

    def readable(self, timeout: float) -> bool:
        """True when a full line is buffered or data/EOF arrives within ``timeout`` seconds."""
        if b"\n" in self._buffer or self.closed:
            return True
        return readable(self._rfd, max(timeout, 0.0))

    def readline(self, timeout: float | None = None) -> str | None:
        """One line without its ending; None when ``timeout`` (for the whole line, however
        many reads it takes) runs out; ConnectionClosed at EOF."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if self.closed:
                raise ConnectionClosed("AGI peer closed the connection")
            if deadline is not None and not self.readable(deadline - time.monotonic()):
                return None
            chunk = self._read_chunk()
            if not chunk:
                self.closed = True
                continue
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE and b"\n" not in self._buffer:
                raise WireError(f"AGI line longer than {MAX_LINE} bytes")
        raw, self._buffer = self._buffer.split(b"\n", 1)
        return raw.decode("utf-8", errors="replace").rstrip("\r")

    def abandon(self) -> None:
        """Read nothing more from this peer (it broke the protocol or stopped answering):
        every later read raises ConnectionClosed, whatever is buffered."""
        self.closed = True
        self._buffer = b""

    def close(self) -> None:
        """Nothing to release: readiness is asked with poll, which holds no descriptor (the
        socket itself belongs to the caller)."""

    def _read_chunk(self) -> bytes:
        try:
            return os.read(self._rfd, 4096)
        except (ConnectionResetError, OSError):
            return b""


def read_header(channel: LineChannel, timeout: float = HEADER_TIMEOUT_S) -> AgiEnv:
    """Read the header block up to its blank line (it may come over several reads), all of
    it within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    size = 0
    while True:
        line = channel.readline(max(0.0, deadline - time.monotonic()))
        if line is None:
            raise WireError(f"no complete AGI header block within {timeout:g} s")
        if line == "":
            return parse_header_lines(lines)
        lines.append(line)
        size += len(line) + 1
        if len(lines) > MAX_HEADER_LINES or size > MAX_HEADER_BYTES:
            raise WireError("AGI header block too long")
