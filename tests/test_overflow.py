"""Overflow routing of the sample flow through the real sockets: every QUEUESTATUS Queue() can
come back with, and a wait the live queue state (from a fake AMI peer) predicts too long."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ivr.ai_agent.texts import SAY
from ivr.core.models import CallRecord
from ivr.simulator.ami_peer import FakeAmi
from ivr.simulator.caller import HangUp, Listen, Press
from ivr.simulator.simulator import SimulatedCall
from tests.conftest import OPEN
from tests.test_sample_flow import KEY_OF, NUMBER, QUEUE, said
from tests.wire_helpers import wait_until

NO_AGENTS = {"JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"}


def record(ivr: Any, call_id: str) -> CallRecord:
    with ivr.services.outbox.database.session(readonly=True) as session:
        row = session.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
        assert row is not None
        return row


@pytest.mark.parametrize(
    "status", ["TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"]
)
def test_every_overflow_status_reaches_the_ai_agent(make_ivr: Any, status: str) -> None:
    ivr = make_ivr(clock=OPEN)
    actions = [Press(KEY_OF["vi"]), Press("3"), Listen(), Listen(), HangUp()]
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        actions,
        queue_outcomes=[status],
        rate=ivr.media.clock.rate,
    )
    result = call.run(timeout=120)
    assert result.route[-2:] == [QUEUE.id, "ai_agent"], result.transcript()
    assert f"ivr: queue {QUEUE.queue} returned {status}" in result.kinds("ivr")
    spoken = " ".join(said(result))
    # an agent is offered only when agents work but were busy (TIMEOUT, FULL)
    assert (SAY["no_agent_now"]["vi"] in spoken) == (status in NO_AGENTS)
    assert (SAY["offer_options_open"]["vi"] in spoken) == (status not in NO_AGENTS)
    row = record(ivr, call.uniqueid)
    assert "overflow" in row.tags and row.handled_by == "ai"


def test_a_predicted_wait_above_the_threshold_skips_the_queue(make_ivr: Any) -> None:
    peer = FakeAmi().start()
    try:
        peer.add_member(QUEUE.queue, "agent1001")
        peer.queue(QUEUE.queue).talktime = 600  # app_queue's average talk time, seconds
        peer.join(QUEUE.queue, "1700000000.1", "0901111111")
        peer.connect(QUEUE.queue, "1700000000.1", "agent1001", hold_s=10)  # the one agent busy
        ivr = make_ivr(
            clock=OPEN,
            ami_host=peer.host,
            ami_port=peer.port,
            ami_user=peer.user,
            ami_secret=peer.secret,
        )
        monitor = ivr.services.queue_monitor
        assert wait_until(lambda: (monitor.estimated_wait(QUEUE.queue) or 0) > 300, timeout=10)
        actions = [Press(KEY_OF["vi"]), Press("3"), Listen(), HangUp()]
        call = SimulatedCall(
            ("127.0.0.1", ivr.agi.port), NUMBER, actions, rate=ivr.media.clock.rate
        )
        result = call.run(timeout=120)
        assert result.route[-2:] == [QUEUE.id, "ai_agent"], result.transcript()
        assert not any(e.startswith("Queue(") for e in result.kinds("dialplan"))
        assert "overflow" in record(ivr, call.uniqueid).tags
        # once the agent is free again, the next caller queues as usual
        peer.complete(QUEUE.queue, "1700000000.1", talk_s=600)
        assert wait_until(lambda: monitor.estimated_wait(QUEUE.queue) == 0.0, timeout=10)
        again = SimulatedCall(
            ("127.0.0.1", ivr.agi.port),
            NUMBER,
            [Press(KEY_OF["vi"]), Press("3")],
            rate=ivr.media.clock.rate,
        )
        assert any(e.startswith("Queue(") for e in again.run(timeout=120).kinds("dialplan"))
    finally:
        peer.stop()
