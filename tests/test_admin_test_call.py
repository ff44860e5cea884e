"""Admin web, the test call: the simulator dials the draft (never the flows in force) and the
page shows what the caller hears and the route; steps are checked with clear messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.admin_client import HTML, add_users, signed_in
from tests.test_admin_flows import FILE, NUMBER, PAGE, flows_copy, route_of

STEPS = "press 3\npress 1"  # English, then key 1 of the main menu


def test_a_test_call_follows_the_draft_while_calls_follow_the_published_flow(
    make_ivr: Any, tmp_path: Path
) -> None:
    folder = flows_copy(tmp_path)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    admin, viewer = signed_in(ivr, "admin"), signed_in(ivr, "viewer")
    original = (folder / FILE).read_text()
    draft = original.replace('{"1": policy_menu, "2": balance', '{"1": card_info, "2": balance')
    assert draft != original
    assert admin.post(f"{PAGE}/save", {"text": draft}).status_code == 200

    form = {"number": NUMBER, "steps": STEPS, "language": "en", "queue_outcome": "ANSWERED"}
    page = viewer.post(f"{PAGE}/test-call", form)  # viewers may run test calls
    assert page.status_code == 200, page.text
    route = re.search(r'<p id="test-route">(.*?)</p>', page.text, re.S)
    assert route and "choose_language → main_menu → card_info" in route.group(1)
    heard = re.findall(r"<li>(.*?)</li>", page.text.split('id="test-heard"')[1].split("</ol>")[0])
    assert heard[0].startswith("Tổng đài bảo hiểm y tế xin chào")
    assert any(line.startswith("For questions about your health insurance") for line in heard)
    assert any(line.startswith("To renew, pay before your card expires") for line in heard)

    assert (folder / FILE).read_text() == original
    assert route_of(ivr)[:3] == ["choose_language", "main_menu", "policy_menu"]

    if ivr.services.recognizers.get("en") is not None:  # said, not pressed: the same option
        spoken = {**form, "steps": "press 3\nsay insurance"}
        api = admin.api("POST", f"{PAGE}/test-call", json=spoken)
        assert api.status_code == 200, api.text
        assert api.json()["test"]["route"][:3] == ["choose_language", "main_menu", "card_info"]


def test_test_call_steps_are_checked_and_csrf_is_required(make_ivr: Any, tmp_path: Path) -> None:
    ivr = make_ivr(dialplans=flows_copy(tmp_path))
    add_users(ivr)
    viewer = signed_in(ivr, "viewer")
    form = {"number": NUMBER, "steps": STEPS, "language": "en", "queue_outcome": "ANSWERED"}
    no_token = viewer.http.post(f"{PAGE}/test-call", data=form, headers=HTML)
    assert no_token.status_code == 403 and "security token" in no_token.text
    bad = viewer.post(f"{PAGE}/test-call", {**form, "steps": "press 3\njump to 5"})
    assert bad.status_code == 422
    assert "line 2: &#39;jump to 5&#39; is not a step" in bad.text
    outcome = viewer.post(f"{PAGE}/test-call", {**form, "queue_outcome": "MAYBE"})
    assert outcome.status_code == 422 and "queue outcome: choose one of" in outcome.text
    no_asr = [lang for lang in ("vi", "zh", "en") if ivr.services.recognizers.get(lang) is None]
    if no_asr:
        speech = viewer.post(
            f"{PAGE}/test-call", {**form, "steps": "say xin chào", "language": no_asr[0]}
        )
        assert speech.status_code == 422 and "keys only" in speech.text
    nobody = viewer.post(f"{PAGE}/test-call", {**form, "number": "123"})
    assert nobody.status_code == 422
    assert "number: choose one of the numbers of health_hotline.yaml: 19001234" in nobody.text
