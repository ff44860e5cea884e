"""One thread that watches many sockets, each waiting for a little input before a deadline.

An AudioSocket connection owes us its uuid frame (19 bytes) within the handshake deadline; a
FastAGI connection refused at the call limit is drained until its peer closes. Neither needs a
thread of its own: a node held by a thousand idle connections would otherwise run a thousand
threads doing nothing. Sockets are waited on with poll (no descriptor ceiling) and their
deadlines kept in a heap, so the cost of a connection that sends nothing is one descriptor and
a few hundred bytes, and the watch holds at most ``limit`` of them: past it a new one is
closed at once (and counted).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

_EVENTS = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR


@dataclass
class _Entry:
    sock: socket.socket
    deadline: float
    on_readable: Callable[[socket.socket], bool]
    on_expired: Callable[[socket.socket], None]


class SocketWatch:
    """``add`` a socket with callbacks, called in the watch's thread: ``on_readable`` when it
    has input (or its end), returning True once the socket is dealt with (handed on or closed)
    and no longer watched; ``on_expired`` when its deadline passes first (it should close it).
    Callbacks must not block: they read what poll said is there."""

    def __init__(self, name: str, limit: int = 4096, start: bool = True) -> None:
        self.name = name
        self.limit = limit
        self.overflowed = 0  # sockets closed at once because ``limit`` were watched
        self._entries: dict[int, _Entry] = {}
        self._deadlines: list[tuple[float, int, int]] = []  # (deadline, order, fd), lazy
        self._order = itertools.count()
        self._incoming: list[_Entry] = []
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        self._thread.start()

    @property
    def watched(self) -> int:
        with self._lock:
            return len(self._entries) + len(self._incoming)

    def add(
        self,
        sock: socket.socket,
        seconds: float,
        on_readable: Callable[[socket.socket], bool],
        on_expired: Callable[[socket.socket], None],
    ) -> bool:
        """Watch ``sock`` for ``seconds``; False (and the socket closed) when the watch is
        full or stopped."""
        entry = _Entry(sock, time.monotonic() + seconds, on_readable, on_expired)
        with self._lock:
            full = self._stopping or len(self._entries) + len(self._incoming) >= self.limit
            if not full:
                self._incoming.append(entry)
        if full:
            self.overflowed += 1
            sock.close()
            return False
        self._wake()
        return True

    def stop(self, wait: float = 2.0) -> None:
        """Stop watching: every socket still watched is closed."""
        with self._lock:
            self._stopping = True
        if not self._thread.is_alive() and self._thread.ident is None:  # never started
            os.close(self._wake_r)
            os.close(self._wake_w)
            return
        self._wake()
        self._thread.join(timeout=wait)

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:  # the pipe is full: the loop is awake already (or closed)
            pass

    def _loop(self) -> None:
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        try:
            while True:
                with self._lock:
                    incoming, self._incoming = self._incoming, []
                    stopping = self._stopping
                if stopping:
                    for entry in incoming:
                        entry.sock.close()
                    return
                for entry in incoming:
                    fd = entry.sock.fileno()
                    self._entries[fd] = entry
                    heapq.heappush(self._deadlines, (entry.deadline, next(self._order), fd))
                    poller.register(fd, _EVENTS)
                self._expire(poller)
                wait = self._next_wait()
                for fd, _ in poller.poll(wait):
                    if fd == self._wake_r:
                        os.read(self._wake_r, 4096)
                        continue
                    ready = self._entries.get(fd)
                    if ready is None:
                        continue
                    try:
                        done = ready.on_readable(ready.sock)
                    except Exception:  # a bug in a callback must not stop the watch
                        log.exception("%s: a watched connection failed", self.name)
                        ready.sock.close()
                        done = True
                    if done:
                        self._forget(poller, fd)
        finally:
            for fd in list(self._entries):
                self._entries.pop(fd).sock.close()
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _forget(self, poller: select.poll, fd: int) -> None:
        self._entries.pop(fd, None)
        try:
            poller.unregister(fd)
        except (KeyError, ValueError):
            pass

    def _expire(self, poller: select.poll) -> None:
        now = time.monotonic()
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, _, fd = heapq.heappop(self._deadlines)
            entry = self._entries.get(fd)
            if entry is None or entry.deadline != deadline:
                continue  # dealt with already (its descriptor may be another socket's now)
            self._forget(poller, fd)
            try:
                entry.on_expired(entry.sock)
            except Exception:
                log.exception("%s: a watched connection failed", self.name)
                entry.sock.close()

    def _next_wait(self) -> int:
        """Milliseconds until the next deadline (-1: none)."""
        while self._deadlines:
            deadline, _, fd = self._deadlines[0]
            entry = self._entries.get(fd)
            if entry is None or entry.deadline != deadline:
                heapq.heappop(self._deadlines)
                continue
            return max(0, int((deadline - time.monotonic()) * 1000) + 1)
        return -1


class RateLimitedLog:
    """A warning at most every ``every`` seconds, saying how many happened since the last."""

    def __init__(self, logger: logging.Logger, every: float = 10.0) -> None:
        self._log = logger
        self.every = every
        self.count = 0
        self._reported = 0
        self._last = -every
        self._lock = threading.Lock()

    def __call__(self, message: str, *args: object) -> None:
        with self._lock:
            self.count += 1
            now = time.monotonic()
            if now - self._last < self.every:
                return
            since, self._reported, self._last = self.count - self._reported, self.count, now
        self._log.warning(message + " (%d such since the last report)", *args, since)
