"""Admin web: the live wallboard (page, JSON and server-sent events) with and without AMI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ivr.simulator.ami_peer import FakeAmi
from ivr.simulator.caller import HangUp, Listen, Press
from ivr.simulator.simulator import SimulatedCall
from tests.admin_client import AdminClient, add_users, signed_in
from tests.ami_fixtures import wait_until
from tests.test_sample_flow import KEY_OF, NUMBER

Q = "insurance"


def _ami(peer: FakeAmi) -> dict[str, Any]:
    return {
        "ami_host": peer.host,
        "ami_port": peer.port,
        "ami_user": peer.user,
        "ami_secret": peer.secret,
    }


def _call_in_background(ivr: Any) -> threading.Thread:
    actions = [Listen(), Press(KEY_OF["en"]), HangUp(delay=0.5)]
    call = SimulatedCall(("127.0.0.1", ivr.agi.port), NUMBER, actions, rate=ivr.media.clock.rate)
    thread = threading.Thread(target=call.run, kwargs={"timeout": 60}, daemon=True)
    thread.start()
    return thread


def _events(reply: httpx.Response) -> Iterator[dict[str, Any]]:
    """The ``wallboard`` events of an open stream, as JSON."""
    kind = ""
    for line in reply.iter_lines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and kind == "wallboard":
            yield json.loads(line.split(":", 1)[1])


# The wallboard is looked at in real time (the event stream every 0.5 s): the call it must
# show has to last that long, so it plays in real time.
@pytest.mark.realtime
def test_without_ami_the_wallboard_shows_calls_in_the_ivr(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    anonymous = AdminClient(ivr)
    assert anonymous.api("GET", "/admin/wallboard.json").status_code == 401
    assert anonymous.api("GET", "/admin/wallboard/events").status_code == 401
    viewer = signed_in(ivr, "viewer")
    page = viewer.get("/admin/wallboard")
    assert page.status_code == 200
    assert 'id="calls-in-ivr">0<' in page.text
    assert "IVR_AMI_HOST" in page.text and "/admin/static/wallboard.js" in page.text
    data = viewer.api("GET", "/admin/wallboard.json").json()
    assert data["ami"] is False and data["calls_in_ivr"] == 0 and data["queues"] == []

    call = _call_in_background(ivr)
    seen = []

    def in_ivr() -> bool:
        seen.append(viewer.api("GET", "/admin/wallboard.json").json()["calls_in_ivr"])
        return seen[-1] == 1

    wait_until(in_ivr, timeout=20)
    assert 'id="calls-in-ivr">1<' in viewer.get("/admin/wallboard").text
    call.join(60)
    assert viewer.api("GET", "/admin/wallboard.json").json()["calls_in_ivr"] == 0
    assert (
        viewer.get("/admin/static/wallboard.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )


@pytest.mark.realtime  # a call in the IVR seen by the 0.5 s event stream (see above)
def test_json_and_events_follow_queue_callers_agents_and_ivr_calls(make_ivr: Any) -> None:
    peer = FakeAmi().start()
    try:
        peer.add_member(Q, "agent1001")
        peer.add_member(Q, "agent1002")
        ivr = make_ivr(**_ami(peer))
        add_users(ivr)
        viewer = signed_in(ivr, "viewer")
        wait_until(lambda: viewer.api("GET", "/admin/wallboard.json").json()["ami_connected"])
        data = viewer.api("GET", "/admin/wallboard.json").json()
        queue = next(q for q in data["queues"] if q["name"] == Q)
        assert queue["waiting"] == 0 and queue["agents_free"] == 2
        assert {q["name"] for q in data["queues"]} >= {"insurance", "insurance-en", "insurance-zh"}
        assert data["agents"]["available"] == 2
        assert data["agents"]["logged_out"] == 2  # agent1003 and agent1004 of the YAML files
        page = viewer.get("/admin/wallboard").text
        for element in (
            "waiting-insurance",
            "longest-insurance",
            "agents-available",
            "total-waiting",
        ):
            assert f'id="{element}"' in page

        with viewer.http.stream("GET", "/admin/wallboard/events") as reply:
            assert reply.status_code == 200
            assert reply.headers["content-type"].startswith("text/event-stream")
            events = _events(reply)
            first = next(events)
            assert first["total"]["waiting"] == 0
            # the stream does not hold up the server's other requests
            assert viewer.get("/admin/queues").status_code == 200

            peer.join(Q, "1700000001.1", "0912345678")
            joined = next(events)
            queue = next(q for q in joined["queues"] if q["name"] == Q)
            assert queue["waiting"] == 1 and joined["total"]["waiting"] == 1

            peer.pause(Q, "agent1002", True, "lunch")
            paused = next(e for e in events if e["agents"]["paused"] == 1)
            assert paused["agents"]["available"] == 1

            peer.connect(Q, "1700000001.1", "agent1001", hold_s=12)
            talking = next(e for e in events if e["agents"]["on_call"] == 1)
            assert talking["total"]["waiting"] == 0

            call = _call_in_background(ivr)
            in_ivr = next(e for e in events if e["calls_in_ivr"] == 1)
            assert in_ivr["agents"]["on_call"] == 1
            call.join(60)
            assert next(e for e in events if e["calls_in_ivr"] == 0)

        json_now = viewer.api("GET", "/admin/wallboard.json").json()
        assert next(q for q in json_now["queues"] if q["name"] == Q)["waiting"] == 0
    finally:
        peer.stop()


def test_events_start_with_a_retry_line(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    viewer = signed_in(ivr, "viewer")
    with viewer.http.stream("GET", "/admin/wallboard/events") as reply:
        lines = reply.iter_lines()
        assert next(lines).startswith("retry: ")
        assert next(lines) == ""
        assert next(lines) == "event: wallboard"
        assert json.loads(next(lines).split(":", 1)[1])["calls_in_ivr"] == 0
