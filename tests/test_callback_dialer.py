"""The callback dialer: Originate when an agent is free, attempts and outcomes, retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from ivr.ami.client import AmiClient
from ivr.core.live_state import LiveState
from ivr.queues.dialer import CallbackDialer
from ivr.queues.monitor import QueueMonitor
from ivr.records.callbacks import CallbackList
from ivr.simulator.ami_peer import FakeAmi
from ivr.wire.ami import Message
from tests.ami_fixtures import Clock, client_for, database, wait_until
from tests.conftest_postgres import both_databases

Q = "insurance"
DAY = date(2026, 11, 23)


@dataclass
class Rig:
    peer: FakeAmi
    clock: Clock
    callbacks: CallbackList
    monitor: QueueMonitor
    client: AmiClient
    dialer: CallbackDialer

    def status(self, callback_id: int) -> str:
        row = self.callbacks.get(callback_id)
        assert row is not None
        return row.status


@pytest.fixture
def rig(db_url: str, live_state: LiveState) -> Iterator[Rig]:
    peer = FakeAmi().start()
    peer.add_member(Q, "agent1")
    db, clock = database(db_url), Clock()
    callbacks = CallbackList(db, clock)
    monitor = QueueMonitor(live_state, db, clock, callbacks=callbacks)
    dialers: list[CallbackDialer] = []

    def on_event(event: Message) -> None:
        monitor.handle(event)
        for dialer in dialers:
            dialer.on_event(event)

    client = client_for(peer, on_event, monitor.rebuild).start()
    wait_until(lambda: monitor.free_agents(Q) == 1)
    dialer = CallbackDialer(
        callbacks,
        monitor,
        client,
        clock,
        default_queue=Q,
        max_attempts=2,
        retry_first_s=60,
        attempt_timeout_s=300,
        poll_s=0.05,
    )
    dialers.append(dialer)
    yield Rig(peer, clock, callbacks, monitor, client, dialer)
    dialer.stop()
    client.stop()
    peer.stop()


@both_databases
def test_callback_is_originated_when_an_agent_becomes_free(rig: Rig) -> None:
    peer = rig.peer
    peer.join(Q, "1700000009.1", "0901234567")
    peer.connect(Q, "1700000009.1", "agent1", hold_s=10)
    wait_until(lambda: rig.monitor.free_agents(Q) == 0)
    first = rig.callbacks.request("0903333444", DAY, "requested", "en").id
    second = rig.callbacks.request("0905555666", DAY, "abandoned", "vi", queue=Q).id
    peer.hold_originates = True
    rig.dialer.start()
    assert rig.dialer.run_once() == 0  # the only agent is talking
    assert peer.wait_for_action("Originate", timeout=0.2) == []

    peer.complete(Q, "1700000009.1", talk_s=90)  # agent1 is free: one callback, not two
    (originate,) = peer.wait_for_action("Originate")
    assert rig.dialer.run_once() == 0  # one free agent, one callback in flight
    assert originate["Channel"] == "Local/0903333444@ivr-callback/n"
    assert (originate["Context"], originate["Exten"], originate["Priority"]) == (
        "ivr-callback-queue",
        Q,
        "1",
    )
    assert originate["Async"] == "true" and originate["Timeout"] == "30000"
    assert originate.getall("Variable") == [
        f"IVR_CALLBACK_ID={first}",
        "IVR_LANGUAGE=en",
        "CHANNEL(language)=en",
    ]
    (attempt,) = rig.callbacks.attempts(first)
    assert attempt.action_id == originate.action_id and rig.status(first) == "calling"

    peer.release_originate()  # the customer answers and joins the queue: agent1 is taken
    peer.join(Q, "1700000009.2", "0903333444", language="en")
    wait_until(lambda: rig.status(first) == "done")
    (attempt,) = rig.callbacks.attempts(first)
    assert attempt.outcome == "answered" and attempt.ended_at is not None
    assert rig.status(second) == "pending"
    peer.connect(Q, "1700000009.2", "agent1", hold_s=3)
    rig.clock.advance(60)
    peer.complete(Q, "1700000009.2", talk_s=60)
    wait_until(lambda: len(peer.wait_for_action("Originate", count=2, timeout=0.1)) == 2)
    assert (
        peer.wait_for_action("Originate", count=2)[1]["Channel"]
        == "Local/0905555666@ivr-callback/n"
    )


@both_databases
def test_busy_then_no_answer_retries_once_then_fails(rig: Rig) -> None:
    rig.peer.originate_reasons = [5, 3]
    callback = rig.callbacks.request("0907777888", DAY, "requested", "zh").id
    rig.dialer.start()
    wait_until(lambda: rig.status(callback) == "pending" and rig.callbacks.attempts(callback))
    row = rig.callbacks.get(callback)
    assert row is not None and row.outcome == "busy" and row.attempts == 1
    assert (row.next_attempt_at - rig.clock.now).total_seconds() == 60
    assert rig.dialer.run_once() == 0  # not due yet

    rig.clock.advance(61)
    rig.dialer.wake()
    wait_until(lambda: rig.status(callback) == "failed")
    outcomes = [a.outcome for a in rig.callbacks.attempts(callback)]
    assert outcomes == ["busy", "no-answer"]
    assert len(rig.peer.wait_for_action("Originate", count=2)) == 2


@both_databases
def test_an_attempt_whose_response_is_lost_is_closed_and_retried(rig: Rig) -> None:
    rig.peer.hold_originates = True
    callback = rig.callbacks.request("0909999000", DAY, "requested", "vi").id
    rig.dialer.start()
    rig.peer.wait_for_action("Originate")
    rig.peer.drop()  # the OriginateResponse goes down with the connection
    wait_until(lambda: rig.client.sessions == 2)
    assert rig.status(callback) == "calling"
    rig.clock.advance(301)
    rig.dialer.run_once()
    row = rig.callbacks.get(callback)
    assert row is not None and row.status == "pending" and row.outcome == "lost"
    rig.peer.release_originate(4)  # a response to the old session's action: nobody hears it


@both_databases
def test_agents_with_callers_waiting_serve_the_callers_first(rig: Rig) -> None:
    rig.peer.join(Q, "1700000010.1", "0901212121")
    wait_until(lambda: rig.monitor.waiting(Q) == 1)
    rig.callbacks.request("0903434343", DAY, "requested", "vi")
    assert rig.dialer.run_once() == 0
    assert json.loads(rig.monitor.state.hget("agents", "agent1") or "{}")["state"] == "not-in-use"
