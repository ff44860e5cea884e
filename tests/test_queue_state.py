"""Queue events from the fake Asterisk -> live state and database rows, through real TCP."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from ivr.ami.client import AmiClient
from ivr.core.db import Database
from ivr.core.live_state import LiveState
from ivr.core.models import AgentEvent, CallbackRequest, CallRecord, QueueCall
from ivr.queues.monitor import QueueMonitor
from ivr.records.calls import CallRecords
from ivr.simulator.ami_peer import FakeAmi
from tests.ami_fixtures import Clock, client_for, database, wait_until
from tests.conftest_postgres import both_databases

Q = "insurance"


@dataclass
class Rig:
    peer: FakeAmi
    db: Database
    clock: Clock
    monitor: QueueMonitor
    client: AmiClient

    def rows(self) -> list[QueueCall]:
        with self.db.session(readonly=True) as session:
            return list(session.scalars(select(QueueCall).order_by(QueueCall.id)))

    def row(self, call_id: str) -> QueueCall:
        """The one row of ``call_id``, once its event has been handled."""
        wait_until(lambda: any(r.call_id == call_id for r in self.rows()))
        (found,) = [r for r in self.rows() if r.call_id == call_id]
        return found

    def agent_events(self) -> list[tuple[str, str, str]]:
        with self.db.session(readonly=True) as session:
            rows = session.scalars(select(AgentEvent).order_by(AgentEvent.id))
            return [(r.agent, r.event, r.reason) for r in rows]

    def queue(self) -> dict[str, str]:
        return self.monitor.queue(Q)

    def agent(self, name: str) -> dict[str, object]:
        return dict(json.loads(self.monitor.state.hget("agents", name) or "{}"))


@pytest.fixture
def rig(db_url: str, live_state: LiveState) -> Iterator[Rig]:
    peer = FakeAmi().start()
    peer.add_member(Q, "agent1")
    peer.add_member(Q, "agent2")
    db, clock = database(db_url), Clock()
    monitor = QueueMonitor(live_state, db, clock)
    client = client_for(peer, monitor.handle, monitor.rebuild).start()
    wait_until(lambda: monitor.queue(Q).get("agents_logged_in") == "2")
    yield Rig(peer, db, clock, monitor, client)
    client.stop()
    peer.stop()


@both_databases
def test_a_call_from_join_to_complete(rig: Rig) -> None:
    peer = rig.peer
    peer.join(Q, "1700000001.1", "0901234567")
    wait_until(lambda: rig.queue().get("waiting") == "1")
    callers = rig.monitor.state.hgetall(f"queue:{Q}:callers")
    assert json.loads(callers["1700000001.1"])["caller"] == "******4567"
    assert rig.row("1700000001.1").outcome == "waiting"
    assert rig.monitor.estimated_wait(Q) == 0.0  # two free agents, one caller

    peer.ring(Q, "1700000001.1", "agent1")
    wait_until(lambda: rig.agent("agent1").get("state") == "ringing")
    rig.clock.advance(30)
    peer.connect(Q, "1700000001.1", "agent1", hold_s=30)
    wait_until(lambda: rig.row("1700000001.1").outcome == "answered")
    wait_until(lambda: rig.queue().get("agents_busy") == "1")
    assert rig.queue()["waiting"] == "0" and rig.queue()["agents_free"] == "1"
    assert rig.row("1700000001.1").hold_s == 30 and rig.row("1700000001.1").agent == "agent1"

    rig.clock.advance(120)
    peer.complete(Q, "1700000001.1", talk_s=120)
    wait_until(lambda: rig.row("1700000001.1").talk_s == 120)
    wait_until(lambda: rig.queue().get("agents_free") == "2")
    info = rig.queue()
    assert (info["answered_today"], info["avg_hold_s"], info["avg_talk_s"]) == (
        "1",
        "30.0",
        "120.0",
    )
    assert rig.agent("agent1")["calls_taken"] == 1 and rig.agent("agent1")["state"] == "not-in-use"
    snapshot = rig.monitor.snapshot()
    assert snapshot["queues"][Q]["agents_logged_in"] == "2" and set(snapshot["agents"]) == {
        "agent1",
        "agent2",
    }


@both_databases
def test_the_call_record_gets_wait_and_talk_time_and_the_human_who_answered(rig: Rig) -> None:
    CallRecords(rig.db).start("1700000009.1", "health_hotline", "19001234", "0901234567", "trunk")
    rig.peer.join(Q, "1700000009.1", "0901234567")
    wait_until(lambda: rig.row("1700000009.1").outcome == "waiting")
    rig.clock.advance(42)
    rig.peer.connect(Q, "1700000009.1", "agent2", hold_s=42)
    rig.clock.advance(95)
    rig.peer.complete(Q, "1700000009.1", talk_s=95)
    wait_until(lambda: rig.row("1700000009.1").talk_s == 95)
    with rig.db.session(readonly=True) as session:
        record = session.scalar(select(CallRecord).where(CallRecord.call_id == "1700000009.1"))
        assert record is not None
        assert (record.wait_s, record.talk_s, record.handled_by) == (42, 95, "human")


@both_databases
def test_abandoned_twice_in_a_day_is_one_callback(rig: Rig) -> None:
    for uid in ("1700000002.1", "1700000002.2"):
        rig.peer.join(Q, uid, "0907654321", language="zh")
        rig.peer.abandon(Q, uid)
        wait_until(lambda uid=uid: rig.row(uid).outcome == "abandoned")  # type: ignore[misc]
    wait_until(lambda: rig.queue().get("abandoned_today") == "2")
    with rig.db.session(readonly=True) as session:
        callbacks = list(session.scalars(select(CallbackRequest)))
    assert len(callbacks) == 1
    (callback,) = callbacks
    assert (callback.number, callback.reason, callback.language, callback.queue) == (
        "0907654321",
        "abandoned",
        "zh",
        Q,
    )
    assert callback.call_id == "1700000002.1" and callback.status == "pending"
    assert rig.queue()["waiting"] == "0"


@both_databases
def test_a_caller_who_times_out_has_left(rig: Rig) -> None:
    rig.peer.join(Q, "1700000003.1", "0901111222")
    assert rig.row("1700000003.1").outcome == "waiting"
    rig.clock.advance(300)
    rig.peer.leave(Q, "1700000003.1")
    wait_until(lambda: rig.row("1700000003.1").outcome == "left")
    assert rig.row("1700000003.1").hold_s == 300
    assert rig.queue()["abandoned_today"] == "0" and rig.queue()["answered_today"] == "0"


@both_databases
def test_drop_mid_stream_rebuilds_state_and_duplicates_nothing(rig: Rig) -> None:
    peer = rig.peer
    peer.join(Q, "A", "0901000001")
    peer.join(Q, "B", "0901000002")
    join_c = peer.join(Q, "C", "0901000003")
    peer.connect(Q, "A", "agent1", hold_s=20)
    complete_a = peer.complete(Q, "A", talk_s=60)
    wait_until(lambda: rig.row("A").talk_s == 60 and rig.queue().get("waiting") == "2")

    peer.refusing = True  # Asterisk unreachable for a while; the drop cuts a message in two
    peer.drop(partial=complete_a)
    wait_until(lambda: not rig.client.connected)
    peer.connect(Q, "B", "agent2", hold_s=25)  # nobody hears these
    peer.join(Q, "D", "0901000004")
    peer.add_member(Q, "agent3")
    peer.pause(Q, "agent1", True, "lunch")
    rig.clock.advance(10)
    peer.refusing = False
    wait_until(lambda: rig.client.sessions == 2 and rig.queue().get("agents_logged_in") == "3")

    peer.emit(complete_a)  # the same events again: nothing may count twice
    peer.emit(join_c)
    rig.client.action("Ping")  # after its reply, the repeated events have been handled
    assert sorted((r.call_id, r.outcome) for r in rig.rows()) == [
        ("A", "answered"),
        ("B", "left"),
        ("C", "waiting"),
        ("D", "waiting"),
    ]
    info = rig.queue()
    assert (info["waiting"], info["answered_today"], info["avg_talk_s"]) == ("2", "1", "60.0")
    assert (info["agents_free"], info["agents_busy"], info["agents_paused"]) == ("1", "1", "1")
    callers = {
        u: json.loads(v)["position"]
        for u, v in rig.monitor.state.hgetall(f"queue:{Q}:callers").items()
    }
    assert callers == {"C": 1, "D": 2}
    assert rig.agent("agent1")["paused"] is True and rig.agent("agent1")["pause_reason"] == "lunch"
    assert sorted(rig.agent_events()) == [("agent1", "pause", "lunch"), ("agent3", "login", "")]

    peer.complete(Q, "B", talk_s=30)  # the call answered while we were away still counts
    wait_until(lambda: rig.row("B").outcome == "answered")
    assert (rig.row("B").hold_s, rig.row("B").talk_s) == (25, 30)
    wait_until(lambda: rig.queue().get("answered_today") == "2")


@both_databases
def test_agent_login_pause_unpause_logout_are_recorded_once(rig: Rig) -> None:
    client = rig.client
    client.action("QueueAdd", Queue=Q, Interface="PJSIP/agent9", MemberName="agent9")
    client.action("QueuePause", Queue=Q, Interface="PJSIP/agent9", Paused="true", Reason="training")
    wait_until(lambda: rig.agent("agent9").get("paused") is True)
    rig.peer.pause(Q, "agent9", True, "training")  # Asterisk repeats itself: still one row
    client.action("QueuePause", Queue=Q, Interface="PJSIP/agent9", Paused="false")
    client.action("QueueRemove", Queue=Q, Interface="PJSIP/agent9")
    wait_until(lambda: len(rig.agent_events()) == 4)
    client.action("Ping")
    assert rig.agent_events() == [
        ("agent9", "login", ""),
        ("agent9", "pause", "training"),
        ("agent9", "unpause", ""),
        ("agent9", "logout", ""),
    ]
    assert rig.agent("agent9") == {} and rig.queue()["agents_logged_in"] == "2"


@both_databases
def test_estimated_wait_follows_agents_and_talk_time(rig: Rig) -> None:
    peer = rig.peer
    peer.join(Q, "X", "0902000001")
    peer.connect(Q, "X", "agent1", hold_s=5)
    peer.complete(Q, "X", talk_s=120)
    for uid, agent in (("Y", "agent1"), ("Z", "agent2")):
        peer.join(Q, uid, "0902000002")
        peer.connect(Q, uid, agent, hold_s=5)
    for uid in ("W1", "W2", "W3"):
        peer.join(Q, uid, "0902000003")
    wait_until(lambda: rig.queue().get("waiting") == "3" and rig.queue().get("agents_busy") == "2")
    # 3 waiting + the new caller, 2 agents each freeing up every 120 s
    assert rig.monitor.estimated_wait(Q) == 240.0
    peer.pause(Q, "agent1", True)
    peer.pause(Q, "agent2", True)
    wait_until(lambda: rig.queue().get("agents_paused") == "2")
    assert rig.monitor.estimated_wait(Q) == math.inf
    assert rig.monitor.estimated_wait("no-such-queue") is None
