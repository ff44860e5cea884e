"""A TCP listener that runs each accepted connection in a thread of its own, up to a limit.

Over the limit a new connection gets the ``refusal`` bytes and is closed once its peer has
closed (or after ``DRAIN_S``), all of them watched by one thread (``ivr.wire.watch``), never
one thread each. A listener that is not ``threaded`` runs its handler in the accept thread
itself: the handler only hands the connection on (the AudioSocket handshakes are watched
together, see ``ivr.voice.media_server``). For FastAGI the refusal is the line ``FAILURE``: a
plain close is not enough, because Asterisk (res_agi.c) has sent its header before we accept,
reads end-of-file as "AGI Script completed" and sets AGISTATUS=SUCCESS, as if the call had been
served; a first line starting "failure" makes run_agi() return AGI_RESULT_FAILURE, so
AGISTATUS=FAILURE and the dialplan goes on to the next node.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from ivr.wire.watch import RateLimitedLog, SocketWatch

log = logging.getLogger(__name__)
REFUSAL_LOG_S = 10.0  # refusals are logged at most this often (with how many since)
REFUSING = 1024  # refused connections draining at once; beyond, just closed
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
        threaded: bool = True,
    ) -> None:
        self._socket = socket.create_server((host, port), backlog=backlog)
        self.limit = limit  # connections handled at once; 0: no limit
        self.refused = 0  # connections closed at once because of the limit
        self._refusal_log = RateLimitedLog(log, REFUSAL_LOG_S)
        self.refusal = refusal
        self.threaded = threaded
        self._refusing: SocketWatch | None = None
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
        if self._refusing is not None:
            self._refusing.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._socket.accept()
            except OSError as exc:
                if self._stopping.is_set():
                    return
                # EMFILE (out of descriptors), ECONNABORTED...: the listener goes on; a pause
                # so that a lasting shortage does not spin
                log.error("%s: accept failed: %s", self._name, exc)
                self._stopping.wait(0.1)
                continue
            if not self.threaded:
                try:
                    self._handle(conn)
                except Exception:
                    log.exception("%s: a new connection failed", self._name)
                    conn.close()
                continue
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
        self.refused += 1
        self._refusal_log(
            "%s: %d connections at once, the limit: a new one refused", self._name, self.limit
        )
        if self._refusing is None:
            self._refusing = SocketWatch(f"{self._name}-refuse", REFUSING)
        try:
            conn.setblocking(False)  # a few bytes into a new socket's empty send buffer
            if self.refusal:
                conn.send(self.refusal)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            conn.close()
            return
        # Read what the peer sent (its header) until it closes: closing a socket with unread
        # data resets it, and the reset can overtake the refusal.
        self._refusing.add(conn, DRAIN_S, _drained, _close)

    def _run(self, conn: socket.socket) -> None:
        try:
            self._handle(conn)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())


def _drained(conn: socket.socket) -> bool:
    """Read what is there; True (closed) once the peer has closed its end."""
    try:
        if conn.recv(65536):
            return False
    except BlockingIOError:
        return False
    except OSError:
        pass
    conn.close()
    return True


def _close(conn: socket.socket) -> None:
    conn.close()
