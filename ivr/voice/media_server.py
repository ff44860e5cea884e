"""The AudioSocket listener: accepts Asterisk's connections and pairs each with its call.

A call that wants a media turn registers the session uuid it will name in
``EXEC AudioSocket <uuid>,<host:port>``; Asterisk then connects here and sends that uuid as
its first frame (at once: it is the first thing app_audiosocket writes). The listener reads
that one frame, all of it within ``HANDSHAKE_TIMEOUT`` (a peer trickling a byte now and then
does not restart it), and hands the socket to the waiting call. The connections still owing
their frame are watched together by one thread (``ivr.wire.watch``), at most
``MAX_HANDSHAKES`` of them: a thousand idle connections cost no thread, and the next call's
session is paired as soon as its frame arrives.
Everything else (playing, listening) happens in the call's own thread (see ``ivr.voice.turn``), in
call time on the server's :class:`~ivr.core.media_clock.MediaClock` (``IVR_MEDIA_RATE``).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import uuid

from ivr.core.media_clock import REAL_TIME, MediaClock
from ivr.wire import audiosocket as wire
from ivr.wire.listener import Listener
from ivr.wire.watch import RateLimitedLog, SocketWatch

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 2.0  # for the whole uuid frame, from the connection on
MAX_HANDSHAKES = 4096  # connections waiting for their uuid frame at once; past it, closed
UUID_FRAME = 3 + 16


class SessionWaiter:
    """One expected session: the call waits here for Asterisk's connection."""

    def __init__(self, server: MediaServer, session_id: uuid.UUID) -> None:
        self.session_id = session_id
        self._server = server
        self._sockets: queue.Queue[socket.socket] = queue.Queue(maxsize=1)

    def deliver(self, sock: socket.socket) -> None:
        self._sockets.put_nowait(sock)

    def wait(self, timeout: float) -> socket.socket | None:
        try:
            return self._sockets.get(timeout=timeout)
        except queue.Empty:
            return None

    def cancel(self) -> None:
        """Stop waiting; a socket that arrived meanwhile is closed, never leaked."""
        self._server._forget(self.session_id)
        try:
            self._sockets.get_nowait().close()
        except queue.Empty:
            pass


class MediaServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9092,
        advertise: str = "",
        clock: MediaClock = REAL_TIME,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
    ) -> None:
        self.clock = clock  # the call time of every turn on this server's sessions
        self.handshake_timeout = handshake_timeout
        self._listener = Listener(
            host, port, self._accepted, "media-accept", backlog=1024, threaded=False
        )
        self._handshakes = SocketWatch("media-handshake", MAX_HANDSHAKES, start=False)
        self._dropped = RateLimitedLog(log, 10.0)
        self.host = host
        self.port = self._listener.port
        self.address = advertise or f"{host}:{self.port}"
        self._waiters: dict[uuid.UUID, SessionWaiter] = {}
        self._lock = threading.Lock()

    def start(self) -> MediaServer:
        self._handshakes.start()
        self._listener.start()
        return self

    def expect(self, session_id: uuid.UUID) -> SessionWaiter:
        waiter = SessionWaiter(self, session_id)
        with self._lock:
            self._waiters[session_id] = waiter
        return waiter

    def _forget(self, session_id: uuid.UUID) -> None:
        with self._lock:
            self._waiters.pop(session_id, None)

    @property
    def handshaking(self) -> int:
        """Connections still owing their uuid frame."""
        return self._handshakes.watched

    def stop(self) -> None:
        self._listener.stop(wait=2.0)
        self._handshakes.stop()

    def _accepted(self, conn: socket.socket) -> None:
        """In the accept thread: watch the new connection until its uuid frame is in."""
        conn.setblocking(False)
        received = bytearray()

        def readable(sock: socket.socket) -> bool:
            try:
                # exactly the frame: the caller audio after it stays for the turn
                data = sock.recv(UUID_FRAME - len(received))
            except BlockingIOError:
                return False
            except OSError as exc:
                return self._drop(sock, f"connection failed: {exc}")
            if not data:
                return self._drop(sock, "connection closed before the uuid frame")
            received.extend(data)
            if len(received) >= 3 and received[0] != wire.KIND_UUID:
                return self._drop(sock, f"first frame is kind 0x{received[0]:02x}, not a uuid")
            if len(received) >= 3 and int.from_bytes(received[1:3], "big") != 16:
                length = int.from_bytes(received[1:3], "big")
                return self._drop(sock, f"uuid frame of {length} bytes, expected 16")
            if len(received) < UUID_FRAME:
                return False
            self._pair(sock, uuid.UUID(bytes=bytes(received[3:])))
            return True

        def expired(sock: socket.socket) -> None:
            self._drop(sock, f"no uuid frame within {self.handshake_timeout:g} s")

        if not self._handshakes.add(conn, self.handshake_timeout, readable, expired):
            self._dropped(
                "AudioSocket connection closed at once: %d connections already owe their "
                "uuid frame",
                MAX_HANDSHAKES,
            )

    def _drop(self, sock: socket.socket, reason: str) -> bool:
        self._dropped("AudioSocket connection dropped before pairing: %s", reason)
        sock.close()
        return True

    def _pair(self, conn: socket.socket, session_id: uuid.UUID) -> None:
        with self._lock:
            waiter = self._waiters.pop(session_id, None)
        if waiter is None:
            self._drop(conn, f"session {session_id}: no call is waiting for it")
            return
        conn.setblocking(True)
        waiter.deliver(conn)
