"""The AMI client against the fake Asterisk over real TCP: login, actions, lists, reconnects."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from ivr.ami.client import ActionFailed, AmiClient, Backoff, NotConnected
from ivr.simulator.ami_peer import FakeAmi
from ivr.wire.ami import Message
from tests.ami_fixtures import client_for, wait_until


@pytest.fixture
def peer() -> Iterator[FakeAmi]:
    fake = FakeAmi().start()
    yield fake
    fake.stop()


@pytest.fixture
def events() -> list[Message]:
    return []


@pytest.fixture
def client(peer: FakeAmi, events: list[Message]) -> Iterator[AmiClient]:
    ami = client_for(peer, events.append).start()
    assert ami.wait_connected(5)
    yield ami
    ami.stop()


def test_login_then_events_and_fully_booted(
    client: AmiClient, peer: FakeAmi, events: list[Message]
) -> None:
    assert client.banner == "Asterisk Call Manager/11.0.0"
    peer.join("insurance", "1700000001.1", "0901234567")
    wait_until(lambda: any(e.event == "QueueCallerJoin" for e in events))
    join = next(e for e in events if e.event == "QueueCallerJoin")
    assert (join["Queue"], join["Position"], join["Count"]) == ("insurance", "1", "1")
    assert events[0].event == "FullyBooted"
    login = peer.actions[0]
    assert login["Action"] == "Login" and login["Username"] == "ivr" and login.action_id


def test_wrong_secret_is_reported_without_the_secret_and_retried(
    peer: FakeAmi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ami = client_for(peer, lambda e: None, secret="wrong-secret-value").start()
    try:
        peer.wait_for_action("Login", count=3)  # refused, backed off, tried again
        assert not ami.connected and peer.logins == 0
        with pytest.raises(NotConnected):
            ami.action("Ping")
    finally:
        ami.stop()
    assert "Authentication failed" in caplog.text
    assert "wrong-secret-value" not in caplog.text


def test_error_response_raises_with_asterisks_message(client: AmiClient) -> None:
    with pytest.raises(ActionFailed) as failed:
        client.action("QueueRemove", Queue="insurance", Interface="PJSIP/nobody")
    assert failed.value.reason == "Unable to remove interface: Not there"
    with pytest.raises(ActionFailed, match="Invalid/unknown command"):
        client.action("NoSuchAction")


def test_event_before_the_response_is_dispatched_first(
    client: AmiClient, peer: FakeAmi, events: list[Message]
) -> None:
    early = Message(
        [("Event", "QueueMemberStatus"), ("Queue", "insurance"), ("MemberName", "agent1")]
    )
    peer.before_response.append(early)
    reply = client.action("Ping")
    assert reply["Ping"] == "Pong"
    assert any(e.event == "QueueMemberStatus" for e in events)  # handled before action returned


def test_queue_status_is_gathered_as_one_list(client: AmiClient, peer: FakeAmi) -> None:
    peer.add_member("insurance", "agent1")
    peer.join("insurance", "1700000001.1", "0901234567")
    items = client.actions_list("QueueStatus")
    assert [i.event for i in items] == ["QueueParams", "QueueMember", "QueueEntry"]
    assert items[1]["Name"] == "agent1" and items[1]["Location"] == "PJSIP/agent1"
    assert items[2]["Uniqueid"] == "1700000001.1"
    assert len({i.action_id for i in items}) == 1


def test_originate_sends_repeated_variables_in_order(client: AmiClient, peer: FakeAmi) -> None:
    reply = client.action(
        "Originate",
        Channel="Local/0901234567@ivr-callback/n",
        Async="true",
        Variable=["A=1", "B=2"],
    )
    assert reply["Message"] == "Originate successfully queued"
    sent = peer.wait_for_action("Originate")[0]
    assert sent.getall("Variable") == ["A=1", "B=2"] and sent["Async"] == "true"


def test_drop_mid_message_reconnects_and_runs_on_connect_again(peer: FakeAmi) -> None:
    events: list[Message] = []
    connects: list[int] = []
    ami = client_for(peer, events.append, lambda c: connects.append(c.sessions)).start()
    try:
        wait_until(lambda: connects == [1])
        half = Message([("Event", "AgentComplete"), ("Queue", "insurance"), ("Uniqueid", "1.1")])
        peer.drop(partial=half)
        wait_until(lambda: connects == [1, 2])
        assert ami.connected and peer.logins == 2
        assert not any(e.event == "AgentComplete" for e in events)  # half a message is no message
        assert ami.action("Ping")["Ping"] == "Pong"
    finally:
        ami.stop()
    assert peer.wait_for_action("Logoff")


def test_backoff_doubles_up_to_the_cap_with_bounded_jitter() -> None:
    backoff = Backoff(first=0.5, cap=30.0, jitter=0.2)
    middle = [backoff.delay(n, rand=lambda: 0.5) for n in range(8)]
    assert middle == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff.delay(3, rand=lambda: 0.0) == pytest.approx(3.2)
    assert backoff.delay(3, rand=lambda: 1.0) == pytest.approx(4.8)
