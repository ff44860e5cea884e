"""Asterisk's side of AMI, for tests: written from main/manager.c, apps/app_queue.c and
../shared/ASTERISK-WIRE.md, because no Asterisk runs here.

It sends the banner, answers Login (``Authentication accepted`` then a ``FullyBooted`` event, or
``Authentication failed`` and a hang-up), echoes every ActionID, answers Ping, Logoff,
QueueStatus (an ``EventList: start`` response, QueueParams / QueueMember / QueueEntry events
from its own model of the queues, then ``QueueStatusComplete`` with ``EventList: Complete``),
Originate (``Originate successfully queued`` then an ``OriginateResponse`` event), QueueAdd,
QueueRemove, QueuePause and Reload, with the events app_queue emits for them.

Tests play the queue with ``join``, ``ring``, ``connect``, ``complete``, ``abandon``, ``leave``,
``member_status``, and can ``drop`` every connection in the middle of a message.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from ivr.wire.ami import Decoder, Message, message

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
# AST_DEVICE_* values carried in Status: fields
NOT_IN_USE, IN_USE, BUSY, INVALID, UNAVAILABLE, RINGING = 1, 2, 3, 4, 5, 6
ANSWERED = 4  # OriginateResponse Reason (AST_CONTROL_ANSWER); 5 busy, 3 no answer, 8 congestion


@dataclass
class Member:
    name: str
    interface: str
    status: int = NOT_IN_USE
    paused: bool = False
    reason: str = ""
    calls: int = 0
    last_call: int = 0
    login: int = field(default_factory=lambda: int(time.time()))
    in_call: bool = False


@dataclass
class Caller:
    uniqueid: str
    number: str
    language: str
    joined: float
    position: int = 0
    agent: str = ""
    connected: float = 0.0
    hold: int = 0


@dataclass
class Queue:
    name: str
    members: dict[str, Member] = field(default_factory=dict)
    callers: list[Caller] = field(default_factory=list)
    talking: dict[str, Caller] = field(default_factory=dict)
    holdtime: int = 0
    talktime: int = 0
    completed: int = 0
    abandoned: int = 0


class _Session:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()
        self.logged_in = False

    def send(self, data: bytes) -> None:
        with self.lock:
            try:
                self.sock.sendall(data)
            except OSError:
                pass


class FakeAmi:
    def __init__(
        self, user: str = "ivr", secret: str = "test-secret", host: str = "127.0.0.1"
    ) -> None:
        self.user, self.secret = user, secret
        self.queues: dict[str, Queue] = {}
        self.actions: list[Message] = []  # every action received, in order
        self.logins = 0
        self.originate_reasons: list[int] = []  # Reason of the next OriginateResponses (else 4)
        self.before_response: list[Message] = []  # events sent just before the next response
        self.refusing = False  # True: Asterisk is "down", connections are closed at once
        self.hold_originates = False  # True: OriginateResponse waits for release_originate()
        self.held: list[tuple[_Session, Message]] = []
        self._server = socket.create_server((host, 0))
        self.host, self.port = self._server.getsockname()[:2]
        self._sessions: list[_Session] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._stopped = False
        self._changed = threading.Condition(self._lock)

    def start(self) -> FakeAmi:
        threading.Thread(target=self._accept, name="fake-ami", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._server.close()
        self.drop()

    # -- the queues' model and the events a real queue emits --------------------------------

    def queue(self, name: str) -> Queue:
        with self._lock:
            return self.queues.setdefault(name, Queue(name))

    def add_member(self, queue: str, name: str, interface: str = "", paused: bool = False) -> None:
        """What QueueAdd does (also used to set up static members before the client logs in)."""
        with self._lock:
            member = Member(name, interface or f"PJSIP/{name}", paused=paused)
            self.queue(queue).members[name] = member
            self.emit(self._member_event("QueueMemberAdded", queue, member))

    def remove_member(self, queue: str, name: str) -> None:
        with self._lock:
            member = self.queue(queue).members.pop(name)
            self.emit(self._member_event("QueueMemberRemoved", queue, member))

    def pause(self, queue: str, name: str, paused: bool, reason: str = "") -> None:
        with self._lock:
            member = self.queue(queue).members[name]
            member.paused, member.reason = paused, reason if paused else ""
            self.emit(self._member_event("QueueMemberPause", queue, member))

    def member_status(self, queue: str, name: str, status: int) -> None:
        with self._lock:
            member = self.queue(queue).members[name]
            member.status = status
            self.emit(self._member_event("QueueMemberStatus", queue, member))

    def join(self, queue: str, uniqueid: str, number: str, language: str = "vi") -> Message:
        """A caller enters Queue(); returns the QueueCallerJoin (a test may send it again)."""
        with self._lock:
            q = self.queue(queue)
            caller = Caller(uniqueid, number, language, time.monotonic())
            q.callers.append(caller)
            caller.position = len(q.callers)
            fields = [
                ("Queue", queue),
                ("Position", str(caller.position)),
                ("Count", str(len(q.callers))),
            ]
            event = self._caller_event("QueueCallerJoin", caller, fields)
            self.emit(event)
            return event

    def ring(self, queue: str, uniqueid: str, member: str) -> None:
        with self._lock:
            caller, agent = self._caller(queue, uniqueid), self.queue(queue).members[member]
            fields = [
                *self._dest(agent),
                ("Queue", queue),
                ("Interface", agent.interface),
                ("MemberName", agent.name),
            ]
            self.emit(self._caller_event("AgentCalled", caller, fields))
            self.member_status(queue, member, RINGING)

    def connect(
        self, queue: str, uniqueid: str, member: str, hold_s: int | None = None, ring_s: int = 2
    ) -> None:
        """The agent answers: the caller leaves the waiting list, then AgentConnect."""
        with self._lock:
            q = self.queue(queue)
            caller, agent = self._caller(queue, uniqueid), q.members[member]
            hold = hold_s if hold_s is not None else int(time.monotonic() - caller.joined)
            self._leave(q, caller)
            caller.agent, caller.connected, caller.hold = member, time.monotonic(), hold
            q.talking[uniqueid] = caller
            q.holdtime = (q.holdtime * 3 + hold) // 4  # app_queue's recalc_holdtime
            agent.in_call = True
            self.member_status(queue, member, IN_USE)
            fields = [
                *self._dest(agent),
                ("Queue", queue),
                ("Interface", agent.interface),
                ("MemberName", agent.name),
                ("HoldTime", str(hold)),
                ("RingTime", str(ring_s)),
            ]
            self.emit(self._caller_event("AgentConnect", caller, fields))

    def complete(
        self, queue: str, uniqueid: str, talk_s: int | None = None, reason: str = "caller"
    ) -> Message:
        """The call ends (``reason`` agent or caller): AgentComplete, then the member is free.
        Returns the AgentComplete event (a test may send it again)."""
        with self._lock:
            q = self.queue(queue)
            caller = q.talking.pop(uniqueid)
            agent = q.members[caller.agent]
            talk = talk_s if talk_s is not None else int(time.monotonic() - caller.connected)
            q.completed += 1
            agent.calls, agent.last_call, agent.in_call = agent.calls + 1, int(time.time()), False
            fields = [
                *self._dest(agent),
                ("Queue", queue),
                ("Interface", agent.interface),
                ("MemberName", agent.name),
                ("HoldTime", str(caller.hold)),
                ("TalkTime", str(talk)),
                ("Reason", reason),
            ]
            event = self._caller_event("AgentComplete", caller, fields)
            self.emit(event)
            self.member_status(queue, agent.name, NOT_IN_USE)
            return event

    def abandon(self, queue: str, uniqueid: str) -> None:
        """The caller hangs up while waiting: QueueCallerAbandon, then QueueCallerLeave."""
        with self._lock:
            q = self.queue(queue)
            caller = self._caller(queue, uniqueid)
            hold = int(time.monotonic() - caller.joined)
            q.abandoned += 1
            fields = [
                ("Queue", queue),
                ("Position", str(caller.position)),
                ("OriginalPosition", str(caller.position)),
                ("HoldTime", str(hold)),
            ]
            self.emit(self._caller_event("QueueCallerAbandon", caller, fields))
            self._leave(q, caller)

    def leave(self, queue: str, uniqueid: str) -> None:
        """Queue() returns without an agent (timeout, empty queue): QueueCallerLeave only."""
        with self._lock:
            q = self.queue(queue)
            self._leave(q, self._caller(queue, uniqueid))

    def _leave(self, q: Queue, caller: Caller) -> None:
        q.callers.remove(caller)
        for position, other in enumerate(q.callers, 1):
            other.position = position
        fields = [
            ("Queue", q.name),
            ("Count", str(len(q.callers))),
            ("Position", str(caller.position)),
        ]
        self.emit(self._caller_event("QueueCallerLeave", caller, fields))

    def _caller(self, queue: str, uniqueid: str) -> Caller:
        return next(c for c in self.queue(queue).callers if c.uniqueid == uniqueid)

    # -- wire -------------------------------------------------------------------------------

    def emit(self, event: Message | Iterable[tuple[str, str]]) -> None:
        """Send an event to every logged-in session."""
        data = (event if isinstance(event, Message) else Message(list(event))).encode()
        with self._lock:
            sessions = [s for s in self._sessions if s.logged_in]
            self._changed.notify_all()
        for session in sessions:
            session.send(data)

    def drop(self, partial: Message | None = None) -> None:
        """Close every connection; first send half of ``partial`` (a drop mid-message)."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            if partial is not None:
                data = partial.encode()
                session.send(data[: len(data) // 2])
            try:
                session.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            session.sock.close()

    def wait_for_action(self, name: str, count: int = 1, timeout: float = 5.0) -> list[Message]:
        """The actions named ``name`` received so far, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [a for a in self.actions if a.get("Action", "").lower() == name.lower()]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found
                self._changed.wait(left)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            if self.refusing:
                sock.close()
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = _Session(sock)
            with self._lock:
                self._sessions.append(session)
            threading.Thread(target=self._serve, args=(session,), daemon=True).start()

    def _serve(self, session: _Session) -> None:
        session.send(BANNER)
        decoder = Decoder(banner=False)
        try:
            while True:
                data = session.sock.recv(65536)
                if not data:
                    return
                for action in decoder.feed(data):
                    if not self._answer(session, action):
                        return
        except OSError:
            return
        finally:
            with self._lock:
                if session in self._sessions:
                    self._sessions.remove(session)
            session.sock.close()

    def _reply(
        self, session: _Session, action: Message, response: str, text: str, *extra: tuple[str, str]
    ) -> None:
        pairs = [("Response", response)]
        if action.action_id:
            pairs.append(("ActionID", action.action_id))
        with self._lock:
            early, self.before_response = self.before_response, []
        for event in early:
            session.send(event.encode())
        session.send(
            Message([*pairs, *extra, ("Message", text)] if text else [*pairs, *extra]).encode()
        )

    def _answer(self, session: _Session, action: Message) -> bool:
        """Answer one action; False when the session ends (failed login, Logoff)."""
        name = action.get("Action", "").lower()
        with self._changed:
            self.actions.append(action)
            self._changed.notify_all()
        if name == "login":
            if action.get("Username") != self.user or action.get("Secret") != self.secret:
                self._reply(session, action, "Error", "Authentication failed")
                return False  # manager.c ends the session after a failed login
            self._reply(session, action, "Success", "Authentication accepted")
            with self._lock:
                session.logged_in = True
                self.logins += 1
            session.send(
                message(
                    ("Event", "FullyBooted"),
                    Privilege="system,all",
                    Uptime="1",
                    LastReload="1",
                    Status="Fully Booted",
                ).encode()
            )
            return True
        if not session.logged_in:
            self._reply(session, action, "Error", "Permission denied")
            return True
        if name == "logoff":
            self._reply(session, action, "Goodbye", "Thanks for all the fish.")
            return False
        handler = getattr(self, f"_action_{name}", None)
        if handler is None:
            self._reply(session, action, "Error", "Invalid/unknown command")
        else:
            handler(session, action)
        return True

    def _action_ping(self, session: _Session, action: Message) -> None:
        self._reply(
            session, action, "Success", "", ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")
        )

    def _action_reload(self, session: _Session, action: Message) -> None:
        self._reply(session, action, "Success", "Module Reloaded")

    def _action_queuestatus(self, session: _Session, action: Message) -> None:
        wanted = action.get("Queue", "")
        with self._lock:
            self._reply(
                session, action, "Success", "Queue status will follow", ("EventList", "start")
            )
            count = 0
            aid = [("ActionID", action.action_id)] if action.action_id else []
            for q in self.queues.values():
                if wanted and q.name != wanted:
                    continue
                events = [self._params(q)]
                events += [self._status_member(q, m) for m in q.members.values()]
                events += [self._entry(q, c) for c in q.callers]
                for event in events:
                    session.send(Message(event.pairs + aid).encode())
                count += len(events)
            done = [
                ("Event", "QueueStatusComplete"),
                *aid,
                ("EventList", "Complete"),
                ("ListItems", str(count)),
            ]
            session.send(Message(done).encode())

    def _action_originate(self, session: _Session, action: Message) -> None:
        if not action.get("Channel"):
            self._reply(session, action, "Error", "Channel not specified")
            return
        self._reply(session, action, "Success", "Originate successfully queued")
        with self._lock:
            if self.hold_originates:
                self.held.append((session, action))
                self._changed.notify_all()
                return
            reason = self.originate_reasons.pop(0) if self.originate_reasons else ANSWERED
        self._originate_response(session, action, reason)

    def release_originate(self, reason: int = ANSWERED) -> Message:
        """The oldest held Originate ends with ``reason``; returns that Originate action."""
        with self._changed:  # the Originate may still be on its way in
            self._changed.wait_for(lambda: bool(self.held), timeout=5.0)
            session, action = self.held.pop(0)
        self._originate_response(session, action, reason)
        return action

    def _originate_response(self, session: _Session, action: Message, reason: int) -> None:
        answered = reason == ANSWERED
        event = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
        if action.action_id:
            event.append(("ActionID", action.action_id))
        uniqueid = f"1700000000.{next(self._ids)}" if answered else "<null>"
        event += [
            ("Response", "Success" if answered else "Failure"),
            ("Channel", action.get("Channel", "")),
            ("Context", action.get("Context", "")),
            ("Exten", action.get("Exten", "")),
            ("Application", ""),
            ("Data", ""),
            ("Reason", str(reason)),
            ("Uniqueid", uniqueid),
            ("CallerIDNum", "<unknown>"),
            ("CallerIDName", "<unknown>"),
        ]
        session.send(Message(event).encode())

    def _action_queueadd(self, session: _Session, action: Message) -> None:
        queue, interface = action.get("Queue", ""), action.get("Interface", "")
        with self._lock:
            if not queue or not interface:
                self._reply(session, action, "Error", "'Queue' and 'Interface' not specified.")
            elif any(m.interface == interface for m in self.queue(queue).members.values()):
                self._reply(session, action, "Error", "Unable to add interface: Already there")
            else:
                self._reply(session, action, "Success", "Added interface to queue")
                name = action.get("MemberName") or interface
                self.add_member(
                    queue, name, interface, action.get("Paused", "").lower() in ("1", "true")
                )

    def _action_queueremove(self, session: _Session, action: Message) -> None:
        with self._lock:
            member = self._by_interface(action.get("Queue", ""), action.get("Interface", ""))
            if member is None:
                self._reply(session, action, "Error", "Unable to remove interface: Not there")
                return
            self._reply(session, action, "Success", "Removed interface from queue")
            self.remove_member(action.get("Queue", ""), member.name)

    def _action_queuepause(self, session: _Session, action: Message) -> None:
        paused = action.get("Paused", "").lower() in ("1", "true", "yes")
        with self._lock:
            queues = [action["Queue"]] if action.get("Queue") else list(self.queues)
            found = [
                (q, m) for q in queues if (m := self._by_interface(q, action.get("Interface", "")))
            ]
            if not found:
                self._reply(session, action, "Error", "Interface not found")
                return
            word = "paused" if paused else "unpaused"
            self._reply(session, action, "Success", f"Interface {word} successfully")
            for queue, member in found:
                self.pause(queue, member.name, paused, action.get("Reason", ""))

    def _by_interface(self, queue: str, interface: str) -> Member | None:
        members = self.queues[queue].members.values() if queue in self.queues else []
        return next((m for m in members if m.interface == interface), None)

    # -- message bodies as app_queue builds them ---------------------------------------------

    def _member_event(self, name: str, queue: str, m: Member) -> Message:
        return Message(
            [
                ("Event", name),
                ("Privilege", "agent,all"),
                ("Queue", queue),
                ("MemberName", m.name),
                ("Interface", m.interface),
                *self._member_fields(m),
            ]
        )

    @staticmethod
    def _member_fields(m: Member) -> list[tuple[str, str]]:
        return [
            ("StateInterface", m.interface),
            ("Membership", "dynamic"),
            ("Penalty", "0"),
            ("CallsTaken", str(m.calls)),
            ("LastCall", str(m.last_call)),
            ("LastPause", "0"),
            ("LoginTime", str(m.login)),
            ("InCall", str(int(m.in_call))),
            ("Status", str(m.status)),
            ("Paused", str(int(m.paused))),
            ("PausedReason", m.reason),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ]

    def _status_member(self, q: Queue, m: Member) -> Message:
        # The QueueStatus reply names the member "Name" and the interface "Location".
        fields = [f for f in self._member_fields(m) if f[0] not in ("Ringinuse",)]
        return Message(
            [
                ("Event", "QueueMember"),
                ("Queue", q.name),
                ("Name", m.name),
                ("Location", m.interface),
                *fields,
            ]
        )

    @staticmethod
    def _params(q: Queue) -> Message:
        return Message(
            [
                ("Event", "QueueParams"),
                ("Queue", q.name),
                ("Max", "0"),
                ("Strategy", "rrmemory"),
                ("Calls", str(len(q.callers))),
                ("Holdtime", str(q.holdtime)),
                ("TalkTime", str(q.talktime)),
                ("Completed", str(q.completed)),
                ("Abandoned", str(q.abandoned)),
                ("ServiceLevel", "60"),
                ("ServicelevelPerf", "0.0"),
                ("ServicelevelPerf2", "0.0"),
                ("Weight", "0"),
            ]
        )

    @staticmethod
    def _entry(q: Queue, c: Caller) -> Message:
        return Message(
            [
                ("Event", "QueueEntry"),
                ("Queue", q.name),
                ("Position", str(c.position)),
                ("Channel", f"PJSIP/trunk-{c.uniqueid}"),
                ("Uniqueid", c.uniqueid),
                ("CallerIDNum", c.number),
                ("CallerIDName", "<unknown>"),
                ("ConnectedLineNum", "<unknown>"),
                ("ConnectedLineName", "<unknown>"),
                ("Wait", str(int(time.monotonic() - c.joined))),
                ("Priority", "0"),
            ]
        )

    @staticmethod
    def _caller_event(name: str, c: Caller, fields: list[tuple[str, str]]) -> Message:
        channel = [
            ("Channel", f"PJSIP/trunk-{c.uniqueid}"),
            ("ChannelState", "6"),
            ("ChannelStateDesc", "Up"),
            ("CallerIDNum", c.number),
            ("CallerIDName", "<unknown>"),
            ("ConnectedLineNum", "<unknown>"),
            ("ConnectedLineName", "<unknown>"),
            ("Language", c.language),
            ("AccountCode", ""),
            ("Context", "ivr-queue"),
            ("Exten", "s"),
            ("Priority", "1"),
            ("Uniqueid", c.uniqueid),
            ("Linkedid", c.uniqueid),
        ]
        return Message([("Event", name), ("Privilege", "agent,all"), *channel, *fields])

    @staticmethod
    def _dest(m: Member) -> list[tuple[str, str]]:
        return [
            ("DestChannel", f"{m.interface}-00000001"),
            ("DestChannelState", "6"),
            ("DestChannelStateDesc", "Up"),
            ("DestCallerIDNum", m.name),
            ("DestUniqueid", f"agent-{m.name}"),
            ("DestLinkedid", f"agent-{m.name}"),
        ]
