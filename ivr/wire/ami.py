"""The AMI wire: messages as ordered ``Key: Value`` lines. No connection or queue logic here.

Facts of the wire (main/manager.c and ../shared/ASTERISK-WIRE.md) that this module handles:

* On connect Asterisk sends one banner line, ``Asterisk Call Manager/11.0.0``, with no blank
  line after it; everything after it is messages.
* Lines end in ``\\r\\n`` and an empty line ends a message. A message can arrive split over
  several reads, and several messages can arrive in one read, so the decoder buffers bytes and
  only hands out whole messages.
* Only the first ``:`` separates key from value (one space after it is part of the separator):
  values such as ``Message: Originate successfully queued: ok`` or ``Data: a: b`` keep theirs.
* Keys may repeat (``Variable:`` lines of an Originate, ``Output:`` lines of a Command) and order
  matters, so a ``Message`` keeps its lines as an ordered list of pairs.
* Asterisk itself looks headers up case-insensitively (``astman_get_header`` uses
  ``strncasecmp``), and clients in the wild send ``ActionId`` or ``actionid``. ``Message`` does
  the same: ``msg["actionid"] == msg["ActionID"]``; a repeated key answers with its first value
  (as Asterisk does) and ``getall`` gives every value in order.
* A line without a colon (old ``Command`` output) is kept as an ``Output`` line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

EOL = b"\r\n"
BANNER_PREFIX = "Asterisk Call Manager/"
MAX_BUFFER = 1 << 20  # one message bigger than this is no AMI message: drop the connection

FieldValue = str | int | float | bool | Iterable[str]


class WireError(Exception):
    """The peer broke the AMI protocol (no banner, a runaway message)."""


@dataclass
class Message(Mapping[str, str]):
    """One AMI message: ordered ``(key, value)`` pairs, looked up case-insensitively.

    ``seq`` is the order in which the client received it (0 for messages built locally): the
    queue monitor uses it to tell events that came before a status snapshot from those after.
    """

    pairs: list[tuple[str, str]] = field(default_factory=list)
    seq: int = 0

    def __getitem__(self, key: str) -> str:
        wanted = key.lower()
        for name, value in self.pairs:
            if name.lower() == wanted:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self.pairs:
            if name.lower() not in seen:
                seen.add(name.lower())
                yield name

    def __len__(self) -> int:
        return len({name.lower() for name, _ in self.pairs})

    def getall(self, key: str) -> list[str]:
        wanted = key.lower()
        return [value for name, value in self.pairs if name.lower() == wanted]

    @property
    def event(self) -> str:
        return self.get("Event", "")

    @property
    def response(self) -> str:
        return self.get("Response", "")

    @property
    def action_id(self) -> str:
        return self.get("ActionID", "")

    def integer(self, key: str, default: int = 0) -> int:
        """An integer field; Asterisk's ``%d`` fields, or ``default`` when absent or odd."""
        try:
            return int(self.get(key, "").strip())
        except ValueError:
            return default

    def encode(self) -> bytes:
        return encode(self.pairs)

    def __repr__(self) -> str:  # never print a Secret: reprs end up in logs
        shown = [(k, "***" if k.lower() == "secret" else v) for k, v in self.pairs]
        return f"Message({shown!r})"


def message(*pairs: tuple[str, FieldValue], **fields: FieldValue) -> Message:
    """Build a message from pairs and keyword fields; a list value gives repeated lines."""
    out: list[tuple[str, str]] = []
    for key, value in [*pairs, *fields.items()]:
        out.extend((key, text) for text in _texts(value))
    return Message(out)


def _texts(value: FieldValue) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str | int | float):
        return [str(value)]
    return [str(item) for item in value]


def encode(pairs: Iterable[tuple[str, str]]) -> bytes:
    """``Key: Value\\r\\n`` lines and the blank line. A CR or LF inside would start a forged
    line (another action), so it is refused rather than sent."""
    lines = []
    for key, value in pairs:
        if any(ch in key + value for ch in "\r\n") or ":" in key or not key:
            raise ValueError(f"AMI field {key!r} cannot be sent as one line")
        lines.append(f"{key}: {value}".encode())
    return EOL.join(lines) + EOL + EOL


def parse_block(lines: Iterable[str]) -> Message:
    pairs: list[tuple[str, str]] = []
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep:
            pairs.append(("Output", line))
            continue
        pairs.append((key.strip(), value[1:] if value.startswith(" ") else value))
    return Message(pairs)


class Decoder:
    """Bytes in, whole messages out; the banner first when ``banner=True`` (the client side)."""

    def __init__(self, banner: bool = True) -> None:
        self._buffer = b""
        self._lines: list[str] = []
        self.banner: str | None = None if banner else ""

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        out: list[Message] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                break
            raw, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if self.banner is None:
                if not line.startswith(BANNER_PREFIX):
                    raise WireError(f"not an AMI banner: {line[:60]!r}")
                self.banner = line
            elif line:
                self._lines.append(line)
            elif self._lines:  # blank line: the message is whole
                out.append(parse_block(self._lines))
                self._lines = []
        if len(self._buffer) + sum(map(len, self._lines)) > MAX_BUFFER:
            raise WireError("AMI message larger than 1 MiB")
        return out

    @property
    def partial(self) -> bool:
        """True when bytes of an unfinished message are buffered (a drop mid-message)."""
        return bool(self._buffer or self._lines)
