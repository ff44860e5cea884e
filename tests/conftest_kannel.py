"""A real Kannel (bearerbox + smsbox) with its test SMSC, fakesmsc, on free loopback ports.

A pytest plugin module: tests/conftest.py loads it with ``pytest_plugins``. No skipping: when
a Kannel binary is missing the tests fail and say so (.ci/run installs kannel, kannel-extras).

fakesmsc prints every message the SMSC side gets on stderr:
``Got message N: <from to kind body>``, kind ``text`` (the body as is), ``ucs-2`` or ``data``
(URL-encoded octets: UTF-16-BE for UCS-2) or ``udh`` (``udh <URL-encoded UDH> data
<URL-encoded octets>``, one line per part of a concatenated message; the coding is not on the
line). The chain also answers MO "ping" (fakesmsc sends one at start) with no reply.
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote_to_bytes

import pytest

from ivr.core.settings import Settings

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
START_TIMEOUT_S = 15.0
USER, PASSWORD, ADMIN_PASSWORD = "ivr", "kannel-test", "adm"
_LINE = re.compile(r"Got message \d+: <(.*)>\s*$")

CONFIG = """\
group = core
admin-port = {admin}
admin-password = {admin_password}
admin-interface = 127.0.0.1
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
dlr-storage = internal
log-file = {folder}/bearerbox.log
log-level = 1

group = smsc
smsc = fake
smsc-id = FAKE
host = 127.0.0.1
port = {smsc}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-file = {folder}/smsbox.log
log-level = 1

group = sendsms-user
username = {user}
password = {password}
max-messages = 8
concatenation = true

group = sms-service
keyword = default
text = "ok"
max-messages = 0
"""


@dataclass(frozen=True)
class SmscLine:
    """One message as fakesmsc received it (one part, for a concatenated message)."""

    sender: str
    receiver: str
    kind: str  # "text", "ucs-2", "data", "udh"
    body: bytes
    udh: bytes = b""

    @property
    def text(self) -> str:
        """The text of a one-part message (``text`` is UTF-8 as Kannel passed it on)."""
        return self.body.decode("utf-16-be" if self.kind == "ucs-2" else "utf-8")


def parse_line(line: str) -> SmscLine | None:
    match = _LINE.search(line)
    if match is None:
        return None
    sender, receiver, kind, rest = match.group(1).split(" ", 3)
    if kind == "text":
        return SmscLine(sender, receiver, kind, rest.encode("utf-8"))
    if kind == "udh":
        udh, _, data = rest.partition(" data ")
        return SmscLine(sender, receiver, kind, _url_bytes(data), _url_bytes(udh))
    return SmscLine(sender, receiver, kind, _url_bytes(rest))


def _url_bytes(value: str) -> bytes:
    return unquote_to_bytes(value.replace("+", " "))  # Kannel writes a 0x20 octet as "+"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], object], what: str, timeout: float = START_TIMEOUT_S) -> None:
    """Poll ``check`` until it is true; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class KannelChain:
    """bearerbox, smsbox and fakesmsc of one test (or session), in ``folder``."""

    def __init__(self, folder: Path) -> None:
        for binary in (BEARERBOX, SMSBOX, FAKESMSC):
            if not Path(binary).is_file():
                pytest.fail(
                    f"{binary} is missing; the SMS tests need a real Kannel "
                    "(apt-get install kannel kannel-extras, as .ci/run does)"
                )
        self.folder = folder
        self.admin, self.smsbox_port = _free_port(), _free_port()
        self.smsc_port, self.sendsms_port = _free_port(), _free_port()
        self.config = folder / "kannel.conf"
        self.config.write_text(
            CONFIG.format(
                admin=self.admin,
                admin_password=ADMIN_PASSWORD,
                smsbox=self.smsbox_port,
                smsc=self.smsc_port,
                sendsms=self.sendsms_port,
                folder=folder,
                user=USER,
                password=PASSWORD,
            )
        )
        self.lines: list[SmscLine] = []
        self._changed = threading.Condition()
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, BinaryIO] = {}
        self._readers: dict[str, threading.Thread] = {}

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def settings(self, base: Settings | None = None) -> Settings:
        """``base`` with the Kannel gateway of this chain."""
        return replace(
            base or Settings(),
            sms_gateway="kannel",
            kannel_url=self.sendsms_url,
            kannel_user=USER,
            kannel_password=PASSWORD,
        )

    # -- processes ----------------------------------------------------------------------------

    def start(self) -> KannelChain:
        self._spawn("bearerbox", [BEARERBOX, "-v", "2", str(self.config)])
        wait_until(lambda: self.status() != "", "bearerbox's admin port")
        self.start_smsbox()
        self._spawn("fakesmsc", self._fakesmsc_command(), read_stderr=True)
        wait_until(
            lambda: re.search(r"FAKE\[FAKE\].*\(online", self.status()) is not None,
            "fakesmsc to connect",
        )
        return self

    def start_smsbox(self) -> None:
        self._spawn("smsbox", [SMSBOX, "-v", "2", str(self.config)])
        wait_until(lambda: "smsbox:" in self.status() and self._listening(), "smsbox")

    def stop_smsbox(self) -> None:
        self._stop("smsbox")

    def stop(self) -> None:
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            self._stop(name)

    def _fakesmsc_command(self) -> list[str]:
        # One MO "ping" (answered with no reply), then it waits an hour: it stays connected.
        return [
            FAKESMSC,
            "-H",
            "127.0.0.1",
            "-r",
            str(self.smsc_port),
            "-i",
            "3600",
            "-m",
            "-1",
            "1900 100 text ping",
        ]

    def _spawn(self, name: str, command: list[str], read_stderr: bool = False) -> None:
        log = self._logs[name] = (self.folder / f"{name}.out").open("ab")
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.PIPE if read_stderr else log, cwd=self.folder
        )
        self._processes[name] = process
        if read_stderr:
            reader = threading.Thread(target=self._read, args=(process, log), daemon=True)
            reader.start()
            self._readers[name] = reader
        if process.poll() is not None:
            raise AssertionError(f"{name} exited at once; see {self.folder}")

    def _stop(self, name: str) -> None:
        process = self._processes.pop(name, None)
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader = self._readers.pop(name, None)
        if reader is not None:
            reader.join(5)  # the lines printed before the exit are read, then the log closed
        self._logs.pop(name).close()

    def _read(self, process: subprocess.Popen[bytes], log: BinaryIO) -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode("utf-8", "replace")
            log.write(raw)
            parsed = parse_line(line)
            if parsed is not None:
                with self._changed:
                    self.lines.append(parsed)
                    self._changed.notify_all()

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.sendsms_port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin}/status.txt?password={ADMIN_PASSWORD}"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return str(response.read().decode("utf-8", "replace"))
        except OSError:
            return ""

    # -- what the SMSC got --------------------------------------------------------------------

    def received(self, receiver: str) -> list[SmscLine]:
        with self._changed:
            return [line for line in self.lines if line.receiver == receiver]

    def wait_for(self, receiver: str, count: int = 1, timeout: float = 10.0) -> list[SmscLine]:
        """At least ``count`` lines for ``receiver``; AssertionError after ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.received(receiver)) >= count, timeout)
        got = self.received(receiver)
        assert len(got) >= count, f"fakesmsc got {len(got)} message(s) for {receiver}"
        return got

    def texts(self, receiver: str, encoding: str = "utf-16-be") -> list[str]:
        """Texts for ``receiver`` as a phone shows them: the parts of a concatenated message
        joined in UDH order (their octets decoded with ``encoding``, which the line lacks)."""
        texts: list[str] = []
        parts: dict[int, dict[int, bytes]] = {}
        for line in self.received(receiver):
            if line.kind != "udh":
                texts.append(line.text)
                continue
            assert line.udh[:3] == b"\x05\x00\x03", f"not a concatenation UDH: {line.udh!r}"
            reference, total, number = line.udh[3], line.udh[4], line.udh[5]
            group = parts.setdefault(reference, {})
            group[number] = line.body
            if len(group) == total:
                texts.append(b"".join(group[n] for n in sorted(group)).decode(encoding))
                del parts[reference]
        return texts


@pytest.fixture(scope="session")
def kannel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KannelChain]:
    """One Kannel chain for the session: tests tell their messages apart by number."""
    chain = KannelChain(tmp_path_factory.mktemp("kannel"))
    try:
        yield chain.start()
    finally:
        chain.stop()


@pytest.fixture
def new_kannel(tmp_path: Path) -> Iterator[KannelChain]:
    """A chain of this test's own, not started: for tests that stop and start its boxes."""
    (tmp_path / "kannel").mkdir()
    chain = KannelChain(tmp_path / "kannel")
    try:
        yield chain
    finally:
        chain.stop()
