"""start_ami as ``ivr serve`` will call it: abandoned call -> one callback -> Originate when
an agent is free, all through the fake Asterisk over TCP."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from ivr.core.live_state import MemoryState
from ivr.core.models import CallbackRequest
from ivr.core.settings import Settings
from ivr.queues.ami_runtime import start_ami
from ivr.records.callbacks import CallbackList
from ivr.simulator.ami_peer import FakeAmi
from tests.ami_fixtures import Clock, database, wait_until

Q = "insurance"


def test_no_ami_host_means_no_client(tmp_path: Path) -> None:
    db = database(tmp_path)
    callbacks = CallbackList(db, Clock())
    assert start_ami(replace(Settings(), ami_host=""), MemoryState(), callbacks, Clock()) is None


def test_abandoned_caller_is_called_back_once_when_an_agent_is_free(tmp_path: Path) -> None:
    peer = FakeAmi(secret="s3cret").start()
    peer.add_member(Q, "agent1")
    peer.pause(Q, "agent1", True, "meeting")
    db, clock = database(tmp_path), Clock()
    callbacks = CallbackList(db, clock)
    settings = replace(
        Settings(), ami_host=peer.host, ami_port=peer.port, ami_user="ivr", ami_secret="s3cret"
    )
    runtime = start_ami(settings, MemoryState(), callbacks, clock, poll_s=0.05)
    assert runtime is not None
    try:
        wait_until(lambda: runtime.monitor.queue(Q).get("agents_paused") == "1")
        for uid in ("1700000020.1", "1700000020.2"):  # the same caller gives up twice
            peer.join(Q, uid, "0912345678")
            peer.abandon(Q, uid)
        wait_until(lambda: runtime.monitor.queue(Q).get("abandoned_today") == "2")
        with db.session(readonly=True) as session:
            (callback,) = session.scalars(select(CallbackRequest))
        assert callback.reason == "abandoned" and callback.status == "pending"
        assert peer.wait_for_action("Originate", timeout=0.2) == []  # the agent is paused

        peer.pause(Q, "agent1", False)
        (originate,) = peer.wait_for_action("Originate")
        assert originate["Channel"] == "Local/0912345678@ivr-callback/n"
        wait_until(lambda: callbacks.get(callback.id).status == "done")
    finally:
        runtime.stop()
        peer.stop()
