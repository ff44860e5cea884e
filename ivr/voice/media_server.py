"""The AudioSocket listener: accepts Asterisk's connections and pairs each with its call.

A call that wants a media turn registers the session uuid it will name in
``EXEC AudioSocket <uuid>,<host:port>``; Asterisk then connects here and sends that uuid as
its first frame. The listener reads that one frame and hands the socket to the waiting call.
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

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 2.0


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
    ) -> None:
        self.clock = clock  # the call time of every turn on this server's sessions
        self._listener = Listener(host, port, self._handshake, "media-accept")
        self.host = host
        self.port = self._listener.port
        self.address = advertise or f"{host}:{self.port}"
        self._waiters: dict[uuid.UUID, SessionWaiter] = {}
        self._lock = threading.Lock()

    def start(self) -> MediaServer:
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

    def stop(self) -> None:
        self._listener.stop(wait=2.0)

    def _handshake(self, conn: socket.socket) -> None:
        """Read the uuid frame (16 raw bytes) and hand the socket to the call that waits for it."""
        try:
            session_id = wire.read_uuid_frame(conn, HANDSHAKE_TIMEOUT)
        except (OSError, wire.FrameError) as exc:
            log.error("AudioSocket connection dropped before pairing: %s", exc)
            conn.close()
            return
        with self._lock:
            waiter = self._waiters.pop(session_id, None)
        if waiter is None:
            log.error("AudioSocket session %s: no call is waiting for it; closing", session_id)
            conn.close()
            return
        conn.settimeout(None)
        waiter.deliver(conn)
