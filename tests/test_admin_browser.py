"""The admin web in a real browser (headless Chromium via Playwright): sign in, edit a menu
option, see a validation error for a broken flow, publish, run a test call that takes the new
route, roll back, and watch the wallboard change while simulated calls run. Screenshots of each
step go to tests/artifacts/browser/."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from ivr.simulator.ami_peer import FakeAmi
from ivr.simulator.caller import HangUp, Listen, Press
from ivr.simulator.simulator import SimulatedCall
from tests.admin_client import PASSWORD, add_users
from tests.browser import screenshot
from tests.conftest import SAMPLE_FLOWS

pytestmark = pytest.mark.slow
FILE = "health_hotline.yaml"
NUMBER = "19001234"


def route_of(ivr: Any) -> list[str]:
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        [Press("3"), Press("1"), HangUp()],
        rate=ivr.media.clock.rate,
    )
    return call.run(timeout=60).route


def sign_in(
    page: Any,
    ivr: Any,
    target: str,
    role: str = "admin",
) -> None:
    page.goto(f"{ivr.web.url}{target}")
    assert "/admin/login" in page.url  # not signed in yet: the form, then back to the target
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{target}")


def test_edit_validate_publish_try_and_roll_back_a_flow(
    make_ivr: Any,
    tmp_path: Path,
    page: Any,
) -> None:
    folder = tmp_path / "dialplans"
    shutil.copytree(SAMPLE_FLOWS, folder)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    sign_in(page, ivr, f"/admin/flows/{FILE}")
    screenshot(page, "01-flow-editor")

    # Key 1 of the main menu goes to the card information instead of the policy menu.
    page.select_option("#node-main_menu-target-1", "card_info")
    page.click("#save-main_menu")
    page.wait_for_selector("#problems-none")
    edited = page.input_value("#raw-text")
    sample = (SAMPLE_FLOWS / FILE).read_text()
    assert edited == sample.replace('"1": policy_menu', '"1": card_info')  # that line only

    # A broken draft: the menu's failure route names a node that does not exist.
    broken = edited.replace("on_failure: goodbye", "on_failure: goodby", 1)
    page.fill("#raw-text", broken)
    page.click("#raw-save")
    problems = page.wait_for_selector("#problems")
    assert "goodby" in problems.inner_text()
    assert page.is_disabled("#publish")
    screenshot(page, "02-validation-error")

    page.fill("#raw-text", edited)
    page.click("#raw-save")
    page.wait_for_selector("#problems-none")
    assert route_of(ivr)[:3] == ["choose_language", "main_menu", "policy_menu"]  # not yet
    page.fill("#publish-note", "key 1: card information")
    page.click("#publish")
    assert "next call" in page.wait_for_selector("#message").inner_text()
    screenshot(page, "03-published")
    assert route_of(ivr)[:3] == ["choose_language", "main_menu", "card_info"]
    assert (folder / FILE).read_text() == edited  # the text box's text, as it was

    # The test call panel: English, key 1 -> the new route, and what the caller hears.
    page.fill("#test-steps", "press 3\npress 1")
    page.click("#test-run")
    route = page.wait_for_selector("#test-route", timeout=90_000).inner_text()
    assert "card_info" in route and "policy_menu" not in route
    assert "pay before your card expires" in page.inner_text("#test-heard")
    screenshot(page, "04-test-call")

    page.click("#rollback-1")
    assert "Rolled back to version 1" in page.wait_for_selector("#message").inner_text()
    screenshot(page, "05-rolled-back")
    assert route_of(ivr)[:3] == ["choose_language", "main_menu", "policy_menu"]
    assert (folder / FILE).read_text() == (SAMPLE_FLOWS / FILE).read_text()


# The page sees the calls through the 0.5 s event stream: they play in real time to be seen.
@pytest.mark.realtime
def test_the_wallboard_follows_simulated_calls_live(make_ivr: Any, page: Any) -> None:
    peer = FakeAmi().start()
    try:
        peer.add_member("insurance", "agent1001")
        peer.add_member("insurance", "agent1002")
        ivr = make_ivr(
            ami_host=peer.host, ami_port=peer.port, ami_user=peer.user, ami_secret=peer.secret
        )
        add_users(ivr)
        sign_in(page, ivr, "/admin/wallboard", role="viewer")
        page.wait_for_function("document.getElementById('wallboard-link').innerText == 'live'")
        assert page.inner_text("#calls-in-ivr") == "0"
        assert page.inner_text("#waiting-insurance") == "0"
        assert page.inner_text("#agents-available") == "2"
        screenshot(page, "06-wallboard-idle")

        calls = []
        for _ in range(2):  # two callers listening to the language prompt
            call = SimulatedCall(
                ("127.0.0.1", ivr.agi.port), NUMBER, [Listen(), HangUp()], rate=ivr.media.clock.rate
            )
            thread = threading.Thread(target=call.run, kwargs={"timeout": 60}, daemon=True)
            thread.start()
            calls.append(thread)
        page.wait_for_function("document.getElementById('calls-in-ivr').innerText == '2'")
        peer.join("insurance", "1700000001.1", "0912345678")
        peer.pause("insurance", "agent1002", True, "lunch")
        page.wait_for_function("document.getElementById('waiting-insurance').innerText == '1'")
        page.wait_for_function("document.getElementById('agents-paused').innerText == '1'")
        assert page.inner_text("#agents-available") == "1"
        screenshot(page, "07-wallboard-busy")

        for thread in calls:
            thread.join(60)
        page.wait_for_function("document.getElementById('calls-in-ivr').innerText == '0'")
        peer.connect("insurance", "1700000001.1", "agent1001", hold_s=12)
        page.wait_for_function("document.getElementById('waiting-insurance').innerText == '0'")
        page.wait_for_function("document.getElementById('agents-on-call').innerText == '1'")
        screenshot(page, "08-wallboard-after")
    finally:
        peer.stop()
