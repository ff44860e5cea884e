"""The call simulator: plays Asterisk's part of a call against a running IVR.

A :class:`SimulatedCall` dials in the way ``asterisk/etc/extensions.conf`` routes a call:
``[from-trunk]`` runs ``AGI(agi://.../entry,<exten>)``; if the IVR left ``IVR_QUEUE`` set, the
``[ivr-queue]`` context runs ``Queue(...,tc,...)`` (its outcome is chosen by the test) and,
unless an agent answered, re-enters the IVR with ``AGI(.../entry,queue-result,${QUEUESTATUS})``:
``KEY<digit>`` is a caller's leave key (``[ivr-queue-exit]``), ``CONTINUE[:member]`` an agent
who hung up first (option ``c``), after which the caller reaches ``AGI(.../survey,human,...)``.
Every AGI
session speaks the real wire (see ``agi_peer``) and every ``EXEC AudioSocket`` opens a real
AudioSocket session to the IVR's media server (see ``audiosocket_peer``).

A call runs in call time at ``rate`` (``ivr.core.media_clock``): prompts, the answer delay, GET DATA
timeouts and the caller's keys and speech all pass ``rate`` times faster than real time. The
IVR must run at the same rate (``IVR_MEDIA_RATE``); the wire is the same at any rate.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

from ivr.core.media_clock import MediaClock
from ivr.simulator import agi_peer
from ivr.simulator.agi_peer import AgiPeer, find_sound, sound_seconds
from ivr.simulator.audiosocket_peer import AudioSocketPeer, SessionOutcome
from ivr.simulator.caller import Action, HangUp, Listen, Press
from ivr.simulator.channel import Channel, Event
from ivr.wire.audio_format import BYTES_PER_SECOND, SAMPLE_RATE

ALL_KEYS = "0123456789*#"
_ids = itertools.count(1)
_id_lock = threading.Lock()
# Asterisk's uniqueid is "<epoch>.<counter>", the counter one per Asterisk process, or
# "<systemname>-<epoch>.<counter>" when asterisk.conf names the system (the form Asterisk uses
# so that several systems' ids never meet). Each simulator process is a system of its own:
# two `ivr call` runs started in the same second both counted from 1 and sent one id.
SYSTEM_NAME = f"sim{os.getpid()}"


@dataclass
class CallResult:
    events: list[Event]
    variables: dict[str, str]
    played: list[bytes]
    agi_status: list[str]
    hung_up_by_caller: bool
    sessions: list[SessionOutcome] = field(default_factory=list)  # AudioSocket, in order

    def kinds(self, kind: str) -> list[str]:
        return [e.text for e in self.events if e.kind == kind]

    @property
    def route(self) -> list[str]:
        return self.variables.get("IVR_PATH", "").split(">") if "IVR_PATH" in self.variables else []

    @property
    def played_seconds(self) -> float:
        return sum(len(p) for p in self.played) / BYTES_PER_SECOND

    def transcript(self, detail: bool = False) -> str:
        shown = {"ivr", "play", "caller", "lost", "dialplan", "error"}
        if detail:
            shown |= {"agi", "reply"}
        return "\n".join(
            f"[{e.at:7.2f}] {e.kind:<8} {e.text}" for e in self.events if e.kind in shown
        )


class SimulatedCall:
    def __init__(
        self,
        agi_address: tuple[str, int] | list[str],
        dialled: str,
        actions: list[Action] | None = None,
        callerid: str = "0901234567",
        queue_outcomes: list[str] | None = None,
        rate: float = 1.0,
        **channel_options: object,
    ) -> None:
        """``rate``: call time per real second; the IVR called must run at the same rate."""
        self.agi_address = agi_address
        self.dialled = dialled
        self.callerid = callerid
        self.queue_outcomes = list(queue_outcomes or [])
        self.channel = Channel(
            actions=list(actions or []),
            clock=MediaClock(rate),
            **channel_options,  # type: ignore[arg-type]
        )
        with _id_lock:
            serial = next(_ids)
        self.uniqueid = f"{SYSTEM_NAME}-{int(time.time())}.{serial}"
        self.channel_name = f"PJSIP/trunk-{serial:08x}"
        self.agi_status: list[str] = []
        self.context = "from-trunk"

    # -- the dialplan of asterisk/etc/extensions.conf -----------------------------------
    def run(self, timeout: float = 120.0) -> CallResult:
        deadline = time.monotonic() + timeout
        channel = self.channel
        channel.variables["IVR_QUEUE"] = ""
        channel.variables["CALLERID(num)"] = self.callerid
        self._agi("entry", [self.dialled], deadline)
        while channel.variables.get("IVR_QUEUE") and not channel.dead:
            queue = channel.variables["IVR_QUEUE"]
            channel.variables["IVR_QUEUE_NAME"] = queue
            outcome = self.queue_outcomes.pop(0) if self.queue_outcomes else "ANSWERED"
            wait = channel.variables.get("IVR_QUEUE_TIMEOUT", "")
            outcome, _, member = outcome.partition(":")
            channel.log("dialplan", f"Queue({queue},tc,,,{wait}) -> {outcome}")
            if outcome == "ANSWERED":
                channel.log("dialplan", f"an agent of {queue} answered; the call ends after talk")
                channel.caller_hangs_up("hung up after talking to the agent")
                break
            if outcome == "CONTINUE":  # option c: the agent hung up, the caller goes on
                member = member or "agent1001"
                channel.variables.update(QUEUESTATUS="CONTINUE", MEMBERNAME=member)
                channel.log("dialplan", f"agent {member} hung up; AGI survey")
                self._agi("survey", ["human", member, queue], deadline)
                break
            channel.variables["IVR_QUEUE"] = ""
            if re.fullmatch(r"KEY[0-9]", outcome):  # a leave key: [ivr-queue-exit],KEY<digit>
                channel.log("dialplan", f"caller pressed {outcome[3]} in the queue: {outcome}")
                self._agi("entry", ["queue-result", outcome], deadline, context="ivr-queue-exit")
                continue
            channel.variables["QUEUESTATUS"] = outcome
            self._agi("entry", ["queue-result", outcome], deadline)
        if not channel.dead:
            channel.log("dialplan", "Hangup()")
        return self._result()

    def run_notice(self, target: str, language: str, timeout: float = 120.0) -> CallResult:
        """[ivr-notify] of extensions.conf: the campaign dialer's Originate was answered. The
        Originate's variables are on the channel; AGI notify; 2 pressed sets IVR_QUEUE and the
        call goes to [ivr-queue] (here: an agent answers and the call ends after talk)."""
        channel = self.channel
        channel.answered = True  # Originate runs the context once the far end picked up
        channel.variables.update(
            {
                "IVR_CAMPAIGN_TARGET": target,
                "IVR_LANGUAGE": language,
                "CHANNEL(language)": language,
                "IVR_QUEUE": "",
            }
        )
        self._agi("notify", [target], time.monotonic() + timeout, context="ivr-notify")
        queue = channel.variables.get("IVR_QUEUE")
        if queue and not channel.dead:
            channel.log("dialplan", f"Goto(ivr-queue,{queue},1): an agent answered")
            channel.caller_hangs_up("hung up after talking to the agent")
        if not channel.dead:
            channel.log("dialplan", "Hangup()")
        return self._result()

    def run_script(self, script: str, args: list[str], timeout: float = 120.0) -> CallResult:
        """One AGI session of ``script``, as ``AGI(agi://host/script,args...)`` in a dialplan
        of its own would run it (benchmarks and script tests that bypass the entry flow)."""
        self._agi(script, args, time.monotonic() + timeout)
        return self._result()

    def _result(self) -> CallResult:
        channel = self.channel
        return CallResult(
            channel.events,
            dict(channel.variables),
            channel.played,
            self.agi_status,
            channel.dead,
            channel.sessions,
        )

    def _connect(self, script: str, args: list[str]) -> socket.socket:
        """FastAGI: a TCP connection. Classic AGI: a process on a socket pair (stdin/stdout)."""
        if isinstance(self.agi_address, tuple):
            return socket.create_connection(self.agi_address, timeout=5)
        ours, theirs = socket.socketpair()
        process = subprocess.Popen(
            [*self.agi_address, script, *args],
            stdin=theirs.fileno(),
            stdout=theirs.fileno(),
            start_new_session=True,
        )
        theirs.close()
        self.channel.process = process
        return ours

    def _agi(
        self, script: str, args: list[str], deadline: float, context: str | None = None
    ) -> None:
        self.context = context or ("ivr-queue" if args[:1] == ["queue-result"] else "from-trunk")
        try:
            sock = self._connect(script, args)
        except OSError as exc:
            self.channel.log("error", f"AGI connect failed: {exc}")
            self._set_status("FAILURE")
            return
        failed = False
        try:
            peer = AgiPeer(sock, self.channel)
            peer.send_header(self._header(script, args))
            handlers = _Handlers(self.channel, peer).table()
            while True:
                line = peer.read_command(max(1.0, deadline - time.monotonic()))
                if line is None:
                    break
                if line[:7].lower() == "failure":
                    # res_agi.c run_agi(): "Special case for inability to execute child
                    # process": a line starting "failure" (any case) ends the AGI with
                    # AGI_RESULT_FAILURE, so AGISTATUS=FAILURE (an IVR node refusing the call)
                    self.channel.log("dialplan", f"the AGI server answered {line[:40]!r}")
                    failed = True
                    break
                peer.handle(line, handlers)
                if self.channel.dead and self.channel.exit_on_hangup:
                    peer.send("HANGUP\n")
                    break
        except TimeoutError as exc:
            self.channel.log("error", str(exc))
        finally:
            sock.close()
            if self.channel.process is not None:
                self.channel.process.wait(timeout=10)
                self.channel.process = None
        if failed:
            self._set_status("FAILURE")
        else:
            self._set_status("HANGUP" if self.channel.dead else "SUCCESS")

    def _extension(self, script: str, args: list[str]) -> str:
        """``${EXTEN}`` where the AGI runs: the number dialled, the queue, or KEY<digit>."""
        if self.context == "ivr-queue-exit":
            return args[1]
        if self.context == "ivr-notify":
            return "s"
        if self.context == "ivr-queue" or script == "survey":
            return self.channel.variables.get("IVR_QUEUE_NAME", self.dialled)
        return self.dialled

    def _priority(self, script: str) -> str:
        """The AGI() line's priority in extensions.conf: 3 in [from-trunk], 4 in [ivr-queue]
        (after Queue, the CONTINUE check and Set), 2 in [ivr-queue-exit], 4 in [ivr-notify],
        7 for the survey."""
        if script == "survey":
            return "7"
        return {"ivr-queue": "4", "ivr-queue-exit": "2", "ivr-notify": "4"}.get(self.context, "3")

    def _set_status(self, status: str) -> None:
        self.channel.variables["AGISTATUS"] = status
        self.agi_status.append(status)

    def _header(self, script: str, args: list[str]) -> list[tuple[str, str]]:
        if isinstance(self.agi_address, tuple):
            host, port = self.agi_address
            lines = [
                ("agi_network", "yes"),
                ("agi_network_script", script),
                ("agi_request", f"agi://{host}:{port}/{script}"),
            ]
        else:  # classic: AGI(ivr-agi,<script>,...) names the script as the first argument
            lines = [("agi_request", "ivr-agi")]
            args = [script, *args]
        lines += [
            ("agi_channel", self.channel_name),
            ("agi_language", self.channel.language),
            ("agi_type", "PJSIP"),
            ("agi_uniqueid", self.uniqueid),
            ("agi_version", "22.11.0"),
            ("agi_callerid", self.callerid),
            ("agi_calleridname", "unknown"),
            ("agi_callingpres", "0"),
            ("agi_callingani2", "0"),
            ("agi_callington", "0"),
            ("agi_callingtns", "0"),
            ("agi_dnid", self.dialled),
            ("agi_rdnis", "unknown"),
            ("agi_context", self.context),
            ("agi_extension", self._extension(script, args)),
            ("agi_priority", self._priority(script)),
            ("agi_enhanced", "0.0"),
            ("agi_accountcode", ""),
            ("agi_threadid", str(random.randint(10**14, 10**15))),
        ]
        lines += [(f"agi_arg_{i}", arg) for i, arg in enumerate(args, 1)]
        return lines


class _Handlers:
    """The commands, answered as res_agi.c answers them."""

    def __init__(self, channel: Channel, peer: AgiPeer) -> None:
        self.channel = channel
        self.peer = peer

    def table(self) -> dict[tuple[str, ...], agi_peer.Handler]:
        return {
            ("ANSWER",): self.answer,
            ("CHANNEL", "STATUS"): self.channel_status,
            ("EXEC",): self.exec,
            ("GET", "DATA"): self.get_data,
            ("GET", "FULL", "VARIABLE"): self.get_full_variable,
            ("GET", "VARIABLE"): self.get_variable,
            ("HANGUP",): self.hangup,
            ("NOOP",): lambda argv: "200 result=0",
            ("SAY", "DIGITS"): self.say_digits,
            ("SAY", "NUMBER"): self.say_number,
            ("SET", "VARIABLE"): self.set_variable,
            ("STREAM", "FILE"): self.stream_file,
            ("VERBOSE",): self.verbose,
            ("WAIT", "FOR", "DIGIT"): self.wait_for_digit,
        }

    # -- media timing ---------------------------------------------------------------------
    def _media(self, seconds: float, escape: str) -> tuple[str | None, float, bool]:
        """Run ``seconds`` of media; the caller may press an escape key or hang up."""
        channel = self.channel
        action = channel.actions[0] if channel.actions else None
        if isinstance(action, HangUp) and action.when == "media":
            channel.actions.pop(0)
            at = min(action.delay, seconds) if seconds > 0 else action.delay
            channel.clock.sleep(at)
            channel.caller_hangs_up(f"hung up {at:.2f} s into the command")
            channel.pending_hangup_line = True
            return None, at, True
        if isinstance(action, Listen) and seconds > 0:
            channel.actions.pop(0)
        elif escape and channel.next_action_is(Press):
            press = channel.actions[0]
            assert isinstance(press, Press)
            if press.delay < seconds and press.digits[0] in escape:
                channel.clock.sleep(press.delay)
                self._consume_key(press)
                return press.digits[0], press.delay, False
        channel.clock.sleep(seconds)
        return None, seconds, False

    def _consume_key(self, press: Press) -> None:
        self.channel.actions.pop(0)
        if len(press.digits) > 1:
            self.channel.actions.insert(0, Press(press.digits[1:], press.gap, press.gap))
        self.channel.log("caller", f"pressed {press.digits[0]}")

    def _sound(self, name: str) -> float | None:
        path = find_sound(name, self.channel.language, self.channel.sounds)
        return None if path is None else sound_seconds(path)

    # -- commands -------------------------------------------------------------------------
    def answer(self, argv: list[str]) -> str:
        if not self.channel.answered:
            self.channel.clock.sleep(self.channel.answer_delay)  # waits for the first media frame
            self.channel.answered = True
        return "200 result=0"

    def channel_status(self, argv: list[str]) -> str:
        return "200 result=6" if self.channel.answered else "200 result=4"

    def stream_file(self, argv: list[str]) -> str:
        seconds = self._sound(argv[2])
        offset = int(argv[4]) if len(argv) > 4 and argv[4].isdigit() else 0
        if seconds is None:
            self.channel.log("error", f"Unable to open {argv[2]}")
            return f"200 result=-1 endpos={offset}"
        self.channel.log("play", f"file {argv[2]} ({seconds:.1f} s)")
        digit, elapsed, hung = self._media(seconds, argv[3])
        endpos = offset + int(elapsed * SAMPLE_RATE)
        if hung:
            return f"200 result=-1 endpos={endpos}"
        return f"200 result={ord(digit) if digit else 0} endpos={endpos}"

    def get_data(self, argv: list[str]) -> str:
        timeout = (int(argv[3]) if len(argv) > 3 and argv[3].lstrip("-").isdigit() else 0) or 6000
        max_digits = int(argv[4]) if len(argv) > 4 and argv[4].isdigit() else 1024
        seconds = self._sound(argv[2]) or 0.0
        digit, elapsed, hung = self._media(seconds, ALL_KEYS)
        if hung:
            return "200 result=-1"
        return self._collect(digit, max_digits, timeout / 1000)

    def _collect(self, first: str | None, max_digits: int, timeout: float) -> str:
        digits = ""
        key = first
        while True:
            if key is None:
                key, _, hung = self._media_wait_key(timeout)
                if hung:
                    return "200 result=-1"
                if key is None:
                    return f"200 result={digits} (timeout)"
            if key == "#":
                return f"200 result={digits}"
            digits += key
            if len(digits) >= max_digits:
                return f"200 result={digits}"
            key = None

    def _media_wait_key(self, timeout: float) -> tuple[str | None, float, bool]:
        if self.channel.next_action_is(Press) or self.channel.next_action_is(HangUp, "media"):
            return self._media(timeout, ALL_KEYS)
        self.channel.clock.sleep(timeout)
        return None, timeout, False

    def wait_for_digit(self, argv: list[str]) -> str:
        timeout_ms = int(argv[3]) if argv[3].lstrip("-").isdigit() else 0
        timeout = 60.0 if timeout_ms < 0 else timeout_ms / 1000
        key, _, hung = self._media_wait_key(timeout)
        if hung:
            return "200 result=-1"
        return f"200 result={ord(key) if key else 0}"

    def say_digits(self, argv: list[str]) -> str:
        self.channel.log("play", f"say digits ({len(argv[2])} digits)")
        key, _, hung = self._media(agi_peer.SAY_DIGIT_SECONDS * len(argv[2]), argv[3])
        return "200 result=-1" if hung else f"200 result={ord(key) if key else 0}"

    def say_number(self, argv: list[str]) -> str:
        if not argv[2].lstrip("-").isdigit():
            return "200 result=-1"
        self.channel.log("play", "say number")
        key, _, hung = self._media(0.5 * len(argv[2]), argv[3])
        return "200 result=-1" if hung else f"200 result={ord(key) if key else 0}"

    def get_variable(self, argv: list[str]) -> str:
        value = self._lookup(argv[2])
        return "200 result=0" if value is None else f"200 result=1 ({value})"

    def get_full_variable(self, argv: list[str]) -> str:
        text = re.sub(r"\$\{([^}]+)\}", lambda m: self._lookup(m.group(1)) or "", argv[3])
        return f"200 result=1 ({text})"

    def _lookup(self, name: str) -> str | None:
        if name == "CHANNEL(language)":
            return self.channel.language
        return self.channel.variables.get(name)

    def set_variable(self, argv: list[str]) -> str:
        name, value = argv[2], argv[3]
        if name == "CHANNEL(language)":
            self.channel.language = value
        else:
            self.channel.variables[name] = value
        return "200 result=1"

    def verbose(self, argv: list[str]) -> str:
        self.channel.log("ivr", argv[1])
        return "200 result=1"

    def hangup(self, argv: list[str]) -> str:
        self.channel.log("dialplan", "the IVR hung up")
        self.channel.dead = True
        self.channel.pending_hangup_line = True
        return "200 result=1"

    def exec(self, argv: list[str]) -> str:
        app = argv[1]
        data = " ".join(argv[2:])
        if self.channel.dead:
            return "200 result=-1"
        if app.lower() == "audiosocket":
            return self._audiosocket(data)
        if app.lower() in {"noop", "verbose", "set", "answer"}:
            if app.lower() == "set" and "=" in data:
                key, value = data.split("=", 1)
                self.channel.variables[key] = value
            if app.lower() == "answer":
                return self.answer(argv)
            return "200 result=0"
        if app.lower() == "playback":
            seconds = self._sound(data.split(",")[0]) or 0.0
            _, _, hung = self._media(seconds, "")
            return "200 result=-1" if hung else "200 result=0"
        if app.lower() == "wait":
            _, _, hung = self._media(float(data or 0), "")
            return "200 result=-1" if hung else "200 result=0"
        self.channel.log("error", f"no application {app!r}")
        return "200 result=-2"

    def _audiosocket(self, data: str) -> str:
        channel = self.channel
        if not channel.answered:
            channel.log("error", "AudioSocket: Channel is not answered")
            return "200 result=-1"
        session, _, address = data.partition(",")
        peer = AudioSocketPeer(
            session,
            address,
            channel.actions,
            channel.packet_ms,
            channel.continuous_media,
            channel.clock,
        )
        outcome = peer.run()
        channel.sessions.append(outcome)
        channel.played.append(bytes(outcome.played))
        seconds = len(outcome.played) / BYTES_PER_SECOND
        what = f"AudioSocket: heard {seconds:.1f} s of IVR audio"
        if outcome.pressed:
            what += f"; caller pressed {outcome.pressed}"
        if outcome.said:
            what += f"; caller said {', '.join(outcome.said)}"
        channel.log("play", what)
        if outcome.error:
            channel.log("error", f"AudioSocket: {outcome.error}")
        if outcome.hangup:
            channel.caller_hangs_up("hung up during the AudioSocket session")
            channel.pending_hangup_line = True
        return f"200 result={outcome.result}"
