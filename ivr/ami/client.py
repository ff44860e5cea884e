"""A long-running AMI client: one TCP session at a time, re-opened with capped backoff.

Why not pyst2's ``asterisk.manager`` (a project dependency, kept as the AMI vocabulary): on
Python 3 its ``ManagerMsg.parse`` calls ``dict.has_key`` (gone since Python 3) on any
``ChanVariable`` line; it pairs responses with actions by arrival order, not by ActionID, so an
event list (QueueStatus) or an event arriving before a response is handed to the wrong waiter;
it folds repeated keys into one; and it never reconnects. This client pairs by ActionID, gathers
``EventList: start`` ... ``EventList: Complete`` lists, reconnects forever with capped
exponential backoff and jitter, and pings to find a dead peer.

Threads: ``start()`` runs a session thread (connect, banner, Login, ``on_connect``, keepalive
Ping) and, per connection, a reader thread that decodes messages, completes waiting actions and
calls ``on_event`` for every event in wire order. ``on_connect`` runs on the session thread, so it
may call ``action``/``actions_list`` (the queue monitor rebuilds its state with QueueStatus
there). The Secret is sent on the wire only: never logged, never in an error.
"""

from __future__ import annotations

import itertools
import logging
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ivr.wire.ami import Decoder, FieldValue, Message, WireError, message

log = logging.getLogger(__name__)

EventHandler = Callable[[Message], None]


class AmiError(Exception):
    """An AMI action could not be done."""


class NotConnected(AmiError):
    """No logged-in AMI session right now (the client is reconnecting or stopped)."""


class ActionTimeout(AmiError):
    """Asterisk did not answer an action in time."""


class ActionFailed(AmiError):
    """Asterisk answered ``Response: Error``; ``reason`` is its ``Message:`` line."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"AMI {action} failed: {reason}")
        self.action = action
        self.reason = reason


class LoginFailed(ActionFailed):
    """Wrong user or secret (``Message: Authentication failed``); Asterisk hangs up after it."""


@dataclass
class _Waiter:
    action: str
    is_list: bool
    done: threading.Event = field(default_factory=threading.Event)
    response: Message | None = None
    items: list[Message] = field(default_factory=list)
    lost: bool = False
    action_id: str = ""


@dataclass
class Backoff:
    """Delay before reconnect ``n`` (0-based): ``first * 2**n`` capped at ``cap``, each delay
    moved by up to ``jitter`` of itself so many IVR workers do not all knock at once."""

    first: float = 0.5
    cap: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        base = min(self.cap, self.first * (2 ** min(attempt, 30)))
        return max(0.0, base * (1 + self.jitter * (2 * rand() - 1)))


class AmiClient:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        secret: str,
        on_event: EventHandler,
        on_connect: Callable[[AmiClient], None] | None = None,
        *,
        timeout: float = 10.0,
        ping_every: float = 20.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.host, self.port, self.user = host, port, user
        self._secret = secret
        self.on_event = on_event
        self.on_connect = on_connect
        self.timeout = timeout
        self.ping_every = ping_every
        self.backoff = backoff or Backoff()
        self.banner = ""
        self.sessions = 0  # logged-in sessions so far: 2 means one reconnect
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._waiters: dict[str, _Waiter] = {}
        self._lock = threading.Lock()  # guards _waiters and _sock
        self._send_lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._logged_in = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> AmiClient:
        self._thread = threading.Thread(target=self._run, name="ami-session", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._logged_in.is_set():
            try:
                self.action("Logoff", timeout=1.0)
            except AmiError:
                pass
        self._close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._logged_in.wait(timeout)

    # -- actions ----------------------------------------------------------------------------

    def action(self, name: str, timeout: float | None = None, **fields: FieldValue) -> Message:
        """Send action ``name`` and wait for its response (events before it go to on_event).

        A list value sends a repeated key (``Variable=["A=1", "B=2"]``). ``ActionID`` may be
        given (the callback dialer uses its attempt's id); otherwise one is made.
        """
        waiter = self._send(name, fields, is_list=False, login=name == "Login")
        return self._wait(waiter, name, timeout).response or Message()

    def actions_list(
        self, name: str, timeout: float | None = None, **fields: FieldValue
    ) -> list[Message]:
        """Send an EventList action (QueueStatus, ...) and return its events, without the
        ``...Complete`` one. Raises ActionFailed when Asterisk refuses the action."""
        waiter = self._send(name, fields, is_list=True)
        return self._wait(waiter, name, timeout).items

    def _send(
        self, name: str, fields: dict[str, FieldValue], is_list: bool, login: bool = False
    ) -> _Waiter:
        fields = dict(fields)
        action_id = str(fields.pop("ActionID", "") or f"ivr-{next(self._ids)}")
        waiter = _Waiter(name, is_list, action_id=action_id)
        data = message(("Action", name), ("ActionID", action_id), **fields).encode()
        with self._lock:
            sock = self._sock
            if sock is None or (not login and not self._logged_in.is_set()):
                raise NotConnected(f"AMI {name}: not connected to {self.host}:{self.port}")
            self._waiters[action_id] = waiter
        try:
            with self._send_lock:
                sock.sendall(data)
        except OSError as exc:
            self._forget(action_id)
            raise NotConnected(f"AMI {name}: {exc}") from exc
        return waiter

    def _wait(self, waiter: _Waiter, name: str, timeout: float | None) -> _Waiter:
        action_id = waiter.action_id
        if not waiter.done.wait(self.timeout if timeout is None else timeout):
            self._forget(action_id)
            raise ActionTimeout(f"AMI {name}: no response in time")
        if waiter.lost:
            raise NotConnected(f"AMI {name}: connection lost before the response")
        response = waiter.response
        if response is not None and response.response.lower() == "error":
            reason = response.get("Message", "")
            raise (LoginFailed if name == "Login" else ActionFailed)(name, reason)
        return waiter

    def _forget(self, action_id: str) -> None:
        with self._lock:
            self._waiters.pop(action_id, None)

    # -- the session ------------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self._session()
                failures = 0  # a session that logged in resets the backoff
            except LoginFailed as exc:
                log.error(
                    "AMI login as %s at %s:%d refused: %s",
                    self.user,
                    self.host,
                    self.port,
                    exc.reason,
                )
            except (OSError, WireError, AmiError) as exc:
                if not self._stopping.is_set():
                    log.warning("AMI %s:%d: %s: %s", self.host, self.port, type(exc).__name__, exc)
            finally:
                self._close()
            if self._stopping.is_set():
                break
            delay = self.backoff.delay(failures)
            failures += 1
            log.info("AMI: reconnecting to %s:%d in %.1f s", self.host, self.port, delay)
            self._stopping.wait(delay)

    def _session(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        decoder = Decoder()
        early: list[Message] = []
        while decoder.banner is None:  # the banner line comes first, on its own
            data = sock.recv(4096)
            if not data:
                raise ConnectionError("closed before the AMI banner")
            early += decoder.feed(data)
        self.banner = decoder.banner
        sock.settimeout(None)  # the reader blocks; _close() shuts the socket to wake it
        with self._lock:
            self._sock = sock
        closed = threading.Event()
        reader = threading.Thread(
            target=self._read, args=(sock, decoder, early, closed), name="ami-reader", daemon=True
        )
        reader.start()
        self.action("Login", Username=self.user, Secret=self._secret, Events="on")
        self.sessions += 1
        self._logged_in.set()
        log.info("AMI: logged in to %s:%d (%s)", self.host, self.port, self.banner)
        if self.on_connect is not None:
            try:
                self.on_connect(self)
            except AmiError:
                raise
            except Exception:
                log.exception("AMI on_connect failed")
        while not closed.wait(self.ping_every):  # keepalive: a silent dead peer fails the Ping
            if self._stopping.is_set():
                return
            self.action("Ping")
        if not self._stopping.is_set():
            raise ConnectionError("connection closed by Asterisk")

    def _read(
        self, sock: socket.socket, decoder: Decoder, early: list[Message], closed: threading.Event
    ) -> None:
        try:
            for msg in early:
                self._dispatch(msg)
            while True:
                data = sock.recv(65536)
                if not data:
                    if decoder.partial:
                        log.warning("AMI: connection dropped in the middle of a message")
                    return
                for msg in decoder.feed(data):
                    self._dispatch(msg)
        except (OSError, WireError) as exc:
            if not self._stopping.is_set():
                log.warning("AMI read: %s", exc)
        finally:
            closed.set()
            self._close()

    def _dispatch(self, msg: Message) -> None:
        msg.seq = next(self._seq)
        action_id = msg.action_id
        with self._lock:
            waiter = self._waiters.get(action_id) if action_id else None
        # OriginateResponse is an event with a Response: field: Event: decides, not Response:.
        if msg.response and not msg.event:
            if waiter is None:
                log.debug("AMI: response to no waiting action (%s)", action_id)
                return
            waiter.response = msg
            listing = msg.get("EventList", "").lower() == "start"
            if not (waiter.is_list and listing and msg.response.lower() == "success"):
                self._finish(action_id, waiter)
            return
        if waiter is not None and waiter.is_list:  # an item of an event list, or its end
            if msg.get("EventList", "").lower() == "complete":
                self._finish(action_id, waiter)
            else:
                waiter.items.append(msg)
            return
        if msg.event:
            try:
                self.on_event(msg)
            except Exception:
                log.exception("AMI event handler failed on %s", msg.event)

    def _finish(self, action_id: str, waiter: _Waiter) -> None:
        self._forget(action_id)
        waiter.done.set()

    def _close(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
            waiters, self._waiters = self._waiters, {}
            self._logged_in.clear()
        for waiter in waiters.values():
            waiter.lost = True
            waiter.done.set()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
