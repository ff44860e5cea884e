"""The FastAGI server: one long-running process, one thread per call.

Asterisk connects for each ``AGI(agi://host:port/<script>,...)``, sends the header block and
then waits for commands. We read the header, find the script by name, run it with a
:class:`~ivr.voice.call.Call`, and close the socket when it returns: closing is what lets the
dialplan go on (Asterisk keeps the socket open after a hangup until the server closes it).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ivr.agi.dispatch import run_script
from ivr.agi.registry import Script
from ivr.agi.services import AgiCall, Services
from ivr.voice.call import REPLY_TIMEOUT_S, Call, CallerHungUp, MediaEndpoint
from ivr.wire.agi import HEADER_TIMEOUT_S, LineChannel, WireError, read_header
from ivr.wire.listener import Listener

log = logging.getLogger(__name__)
# Over IVR_MAX_CALLS: res_agi.c's run_agi() reads a first line starting "failure" as the
# script failing (AGISTATUS=FAILURE); a bare close would read as a script that completed.
REFUSAL = b"FAILURE\n"


class FastAgiServer:
    def __init__(
        self,
        scripts: dict[str, Script],
        services: Services,
        media: MediaEndpoint | None,
        host: str = "127.0.0.1",
        port: int = 4573,
        max_calls: int = 0,
        header_timeout: float = HEADER_TIMEOUT_S,
        reply_timeout: float = REPLY_TIMEOUT_S,
    ) -> None:
        """``max_calls``: connections served at once (0: no limit); over it a new one gets
        ``FAILURE`` and is closed, which Asterisk reports as AGISTATUS=FAILURE.
        ``header_timeout``: the whole header block's deadline; ``reply_timeout``: each
        command's (see Call)."""
        self.scripts = scripts
        self.services = services
        self.media = media
        self.header_timeout = header_timeout
        self.reply_timeout = reply_timeout
        self._listener = Listener(
            host, port, self._serve, "agi-accept", backlog=512, limit=max_calls, refusal=REFUSAL
        )
        self.host = host
        self.port = self._listener.port
        self._ids_lock = threading.Lock()
        self._live_ids: set[str] = set()  # the ids of the calls in progress here

    def start(self) -> FastAgiServer:
        self._listener.start()
        return self

    @property
    def active_calls(self) -> int:
        return self._listener.active

    @property
    def refused_calls(self) -> int:
        return self._listener.refused

    def stop(self, wait: float = 5.0) -> None:
        self._listener.stop(wait)

    @contextmanager
    def _own_id(self, call: AgiCall) -> Iterator[None]:
        """Keep the call's id unique among the calls in progress here.

        Asterisk's uniqueid (``<epoch>.<counter>``) is unique on one Asterisk system, and one
        channel runs one AGI at a time, so a second session with the id of a call in progress
        is another call (two Asterisk systems without ``systemname``, a faulty peer): it gets
        ``<uniqueid>~<n>``, so its records, live state and tickets are its own.
        """
        with self._ids_lock:
            if call.id in self._live_ids:
                original, n = call.id, 2
                while f"{original}~{n}" in self._live_ids:
                    n += 1
                call.id = f"{original}~{n}"
                log.warning(
                    "call %s: uniqueid %s is already in use by a call in progress here",
                    call.id, original,
                )  # fmt: skip
            self._live_ids.add(call.id)
        try:
            yield
        finally:
            with self._ids_lock:
                self._live_ids.discard(call.id)

    def _serve(self, conn: socket.socket) -> None:
        channel = LineChannel(conn.fileno(), conn)
        try:
            try:
                env = read_header(channel, self.header_timeout)
            except WireError as exc:
                log.error("FastAGI connection dropped: bad header block: %s", exc)
                return
            call = Call(channel, env, self.media, self.services, self.reply_timeout)
            with self._own_id(call):
                run_script(call, self.scripts)
        except Exception:  # a bug must never take the server down
            log.exception("FastAGI connection failed")
        finally:
            channel.close()
            conn.close()


__all__ = ["FastAgiServer", "CallerHungUp"]
