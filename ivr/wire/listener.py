"""A TCP listener that runs each accepted connection in a thread of its own, up to a limit.

Over the limit a new connection gets the ``refusal`` bytes and is closed, by one small thread
for all of them, never one thread each. For FastAGI the refusal is the line ``FAILURE``: a
plain close is not enough, because Asterisk (res_agi.c) has sent its header before we accept,
reads end-of-file as "AGI Script completed" and sets AGISTATUS=SUCCESS, as if the call had been
served; a first line starting "failure" makes run_agi() return AGI_RESULT_FAILURE, so
AGISTATUS=FAILURE and the dialplan goes on to the next node.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
REFUSAL_LOG_S = 10.0  # refusals are logged at most this often (with how many since)
REFUSING = 256  # refused connections waiting for their answer; beyond, just closed
DRAIN_S = 1.0  # how long a refused peer may take to send what it had to say and close


class Listener:
    def __init__(
        self,
        host: str,
        port: int,
        handle: Callable[[socket.socket], None],
        name: str,
        backlog: int = 256,
        limit: int = 0,
        refusal: bytes = b"",
    ) -> None:
        self._socket = socket.create_server((host, port), backlog=backlog)
        self.limit = limit  # connections handled at once; 0: no limit
        self.refused = 0  # connections closed at once because of the limit
        self._refusals_logged, self._last_refusal_log = 0, 0.0
        self.refusal = refusal
        self._refusing: queue.Queue[socket.socket] = queue.Queue(REFUSING)
        self._refuser: threading.Thread | None = None
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self._handle = handle
        self._name = name
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> int:
        """Connections still being handled."""
        with self._lock:
            return len(self._threads)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._accept_loop, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, wait: float = 5.0) -> None:
        """Stop accepting, then give the connections in progress ``wait`` seconds to end."""
        self._stopping.set()
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._socket.close()
        if self._thread:
            self._thread.join(timeout=wait)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=wait)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            with self._lock:
                full = bool(self.limit) and len(self._threads) >= self.limit
                if not full:
                    self._threads.add(thread)
            if full:
                self._refuse(conn)
                continue
            thread.start()

    def _refuse(self, conn: socket.socket) -> None:
        if self._refuser is None:
            self._refuser = threading.Thread(
                target=self._refuse_loop, name=f"{self._name}-refuse", daemon=True
            )
            self._refuser.start()
        try:
            self._refusing.put_nowait(conn)
        except queue.Full:
            conn.close()
        self.refused += 1
        now = time.monotonic()
        if now - self._last_refusal_log >= REFUSAL_LOG_S:
            log.warning(
                "%s: %d connections at once, the limit: a new one refused "
                "(%d refused since the last report)",
                self._name, self.limit, self.refused - self._refusals_logged,
            )  # fmt: skip
            self._refusals_logged, self._last_refusal_log = self.refused, now

    def _refuse_loop(self) -> None:
        while True:
            conn = self._refusing.get()
            try:
                conn.settimeout(DRAIN_S)
                if self.refusal:
                    conn.sendall(self.refusal)
                conn.shutdown(socket.SHUT_WR)
                # Read what the peer sent (its header) until it closes: closing a socket with
                # unread data resets it, and the reset can overtake the refusal.
                deadline = time.monotonic() + DRAIN_S
                while time.monotonic() < deadline and conn.recv(65536):
                    pass
            except OSError:
                pass
            finally:
                conn.close()

    def _run(self, conn: socket.socket) -> None:
        try:
            self._handle(conn)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
