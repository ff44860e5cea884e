"""The FastAGI server: one long-running process, one thread per call.

Asterisk connects for each ``AGI(agi://host:port/<script>,...)``, sends the header block and
then waits for commands. We read the header, find the script by name, run it with a
:class:`~ivr.call.Call`, and close the socket when it returns: closing is what lets the
dialplan go on (Asterisk keeps the socket open after a hangup until the server closes it).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from ivr.agi_scripts import Script
from ivr.agi_wire import LineChannel, WireError, read_header
from ivr.call import Call, CallerHungUp, MediaEndpoint
from ivr.dispatch import run_script

log = logging.getLogger(__name__)


class FastAgiServer:
    def __init__(
        self,
        scripts: dict[str, Script],
        services: Any,
        media: MediaEndpoint | None,
        host: str = "127.0.0.1",
        port: int = 4573,
    ) -> None:
        self.scripts = scripts
        self.services = services
        self.media = media
        self._listener = socket.create_server((host, port), backlog=512)
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._calls: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FastAgiServer:
        self._thread = threading.Thread(target=self._accept_loop, name="agi-accept", daemon=True)
        self._thread.start()
        return self

    @property
    def active_calls(self) -> int:
        with self._lock:
            return len(self._calls)

    def stop(self, wait: float = 5.0) -> None:
        self._stopping.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        if self._thread:
            self._thread.join(timeout=wait)
        with self._lock:
            calls = list(self._calls)
        for thread in calls:
            thread.join(timeout=wait)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._calls.add(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            channel = LineChannel(conn.fileno(), conn)
            try:
                env = read_header(channel)
            except WireError as exc:
                log.error("FastAGI connection dropped: bad header block: %s", exc)
                return
            call = Call(channel, env, self.media)
            call.services = self.services
            run_script(call, self.scripts)
        except Exception:  # a bug must never take the server down
            log.exception("FastAGI connection failed")
        finally:
            try:
                conn.close()
            finally:
                with self._lock:
                    self._calls.discard(threading.current_thread())


__all__ = ["FastAgiServer", "CallerHungUp"]
