"""A TCP listener that runs each accepted connection in a thread of its own."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class Listener:
    def __init__(
        self,
        host: str,
        port: int,
        handle: Callable[[socket.socket], None],
        name: str,
        backlog: int = 256,
    ) -> None:
        self._socket = socket.create_server((host, port), backlog=backlog)
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
                self._threads.add(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self._handle(conn)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
