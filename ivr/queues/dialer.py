"""Calling back: when a queue has a free agent and nobody waiting, place one due callback per
free agent with AMI Originate, and record every try and how it ended.

Customer first, then the queue: the Originate dials ``Local/<number>@ivr-callback/n``; only
when the customer answers does the call go on to ``ivr-callback-queue,<queue>,1``, which joins
the agent queue. So the OriginateResponse tells us what we need to know (Reason 4 answered,
5 busy, 3 no answer, 8 congestion, 1 hung up, 0 no channel), an agent is never held on the line
by a number that does not answer, and the callback is a normal queue call (QueueCall row,
agent statistics, wallboard). As callbacks are placed only while an agent is free, the
customer hears at most a short wait. The dialplan contract (README, "AMI, queues' live state
and callbacks"): context ``ivr-callback`` dials the number (``${EXTEN}``) out of the trunk with
the hotline's caller ID; context ``ivr-callback-queue`` answers, sets the language from
``IVR_LANGUAGE``, plays an introduction and runs ``Queue(${EXTEN})``.

The Originate's ActionID is the CallbackAttempt's ``action_id``: the OriginateResponse event
carries it back, which closes that attempt even after a reconnect. An attempt whose response
never comes (lost with the connection) is closed as ``lost`` after ``attempt_timeout_s``.

An answered callback reaches the queue a moment after its OriginateResponse; until then the
live state still shows its agent free. So a callback answered less than ``settle_s`` ago
still counts against the free agents: the next one is not placed on the same agent.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from ivr.ami.client import ActionFailed, AmiClient, AmiError
from ivr.core.models import CallbackRequest
from ivr.core.privacy import mask_number
from ivr.queues.monitor import QUEUES, QueueMonitor
from ivr.records.callbacks import CallbackList
from ivr.wire.ami import Message
from ivr.wire.channel_vars import CHANNEL_LANGUAGE, IVR_CALLBACK_ID, IVR_LANGUAGE

log = logging.getLogger(__name__)

# OriginateResponse Reason: the AST_CONTROL_* value the dial ended on (main/pbx.c, channel.c)
REASONS = {0: "failed", 1: "hangup", 3: "no-answer", 4: "answered", 5: "busy", 8: "congestion"}


class CallbackDialer:
    def __init__(
        self,
        callbacks: CallbackList,
        monitor: QueueMonitor,
        client: AmiClient,
        clock: Callable[[], datetime] | None = None,
        *,
        default_queue: str = "insurance",
        context: str = "ivr-callback",
        queue_context: str = "ivr-callback-queue",
        max_attempts: int = 3,
        retry_first_s: float = 600.0,
        retry_cap_s: float = 3600.0,
        ring_timeout_s: int = 30,
        attempt_timeout_s: float = 300.0,
        poll_s: float = 15.0,
        settle_s: float = 30.0,
        may_run: Callable[[], bool] = lambda: True,
    ) -> None:
        """``may_run``: False while another node places the calls back (``ivr.core.leases``)."""
        self.callbacks = callbacks
        self.monitor = monitor
        self.client = client
        self.clock = clock or callbacks.clock
        self.default_queue = default_queue
        self.context = context
        self.queue_context = queue_context
        self.max_attempts = max_attempts
        self.retry_first_s = retry_first_s
        self.retry_cap_s = retry_cap_s
        self.ring_timeout_s = ring_timeout_s
        self.attempt_timeout_s = attempt_timeout_s
        self.poll_s = poll_s
        self.settle_s = settle_s  # an answered callback holds its agent until it shows in the queue
        self.may_run = may_run
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one pass at a time

    def start(self) -> CallbackDialer:
        self.monitor.listeners.append(self.wake)
        self._thread = threading.Thread(target=self._loop, name="callback-dialer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self.wake in self.monitor.listeners:
            self.monitor.listeners.remove(self.wake)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wake(self) -> None:
        """Queue state changed (an agent may be free): look again now."""
        self._wake.set()

    def retry_after(self, attempts: int) -> float:
        return min(self.retry_cap_s, self.retry_first_s * 2 ** max(0, attempts - 1))

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.poll_s)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.run_once()
            except Exception:
                log.exception("callback dialer pass failed")

    def run_once(self) -> int:
        """One pass over the queues; returns how many callbacks were placed."""
        if not self.may_run():
            return 0
        with self._lock:
            self._close_lost()
            if not self.client.connected:
                return 0
            placed = 0
            settling = self.clock() - timedelta(seconds=self.settle_s)
            for queue in sorted(self.monitor.state.hgetall(QUEUES)):
                room = (
                    self.monitor.free_agents(queue)
                    - self.monitor.waiting(queue)  # callers waiting now go first
                    - self.callbacks.calling(queue, self.default_queue, settling)
                )
                if room <= 0:
                    continue
                for row in self.callbacks.due(queue, self.default_queue, limit=room):
                    placed += self._place(row, queue)
            return placed

    def _place(self, row: CallbackRequest, queue: str) -> int:
        action_id = f"callback-{row.id}-{uuid.uuid4().hex[:12]}"
        if not self.callbacks.claim(row.id, action_id):
            return 0
        if not row.number.isdigit():  # nothing else may go into a channel name
            self._closed(action_id, "invalid-number", answered=False, attempts=0)
            return 0
        variables = [
            f"{IVR_CALLBACK_ID}={row.id}",
            f"{IVR_LANGUAGE}={row.language}",
            f"{CHANNEL_LANGUAGE}={row.language}",
        ]
        try:
            self.client.action(
                "Originate",
                ActionID=action_id,
                Channel=f"Local/{row.number}@{self.context}/n",
                Context=self.queue_context,
                Exten=queue,
                Priority=1,
                Timeout=self.ring_timeout_s * 1000,
                CallerID=f'"Callback" <{row.number}>',
                Async="true",
                Variable=variables,
            )
        except ActionFailed as exc:
            self._closed(action_id, "rejected", answered=False)
            log.error("callback %d: Originate refused: %s", row.id, exc.reason)
            return 0
        except AmiError as exc:  # timeout or drop: the response may still come; else "lost"
            log.warning("callback %d: Originate unconfirmed: %s", row.id, exc)
        log.info("callback %d: calling %s into queue %s", row.id, mask_number(row.number), queue)
        return 1

    def on_event(self, event: Message) -> None:
        """AMI events: an OriginateResponse closes the attempt with that ActionID."""
        if event.event != "OriginateResponse" or not event.action_id.startswith("callback-"):
            return
        reason = event.integer("Reason", -1)
        answered = event.get("Response", "").lower() == "success" and reason == 4
        self._closed(event.action_id, REASONS.get(reason, f"reason-{reason}"), answered)
        self.wake()

    def _closed(
        self, action_id: str, outcome: str, answered: bool, attempts: int | None = None
    ) -> None:
        limit = self.max_attempts if attempts is None else attempts
        row = self.callbacks.finish(action_id, outcome, answered, limit, self.retry_after)
        if row is not None:
            log.info("callback %d: attempt %d %s -> %s", row.id, row.attempts, outcome, row.status)

    def _close_lost(self) -> None:
        before = self.clock() - timedelta(seconds=self.attempt_timeout_s)
        for action_id in self.callbacks.open_attempts(before):
            self._closed(action_id, "lost", answered=False)
