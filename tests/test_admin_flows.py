"""Admin web, call flows: drafts checked on every save, publish in force for the next call,
history with who and diff, rollback; roles and CSRF. Through HTTP, on a copy of dialplans/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from ivr.simulator.caller import HangUp, Press
from ivr.simulator.simulator import SimulatedCall
from tests.admin_client import HTML, add_users, signed_in
from tests.conftest import SAMPLE_FLOWS
from tests.conftest_postgres import both_databases

FILE = "health_hotline.yaml"
PAGE = f"/admin/flows/{FILE}"
NUMBER = "19001234"
# English (key 3), then key 1 of the main menu; the caller leaves in the next prompt.
KEYS = [Press("3"), Press("1"), HangUp()]


def flows_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "dialplans"
    shutil.copytree(SAMPLE_FLOWS, folder)
    return folder


def route_of(ivr: Any) -> list[str]:
    result = SimulatedCall(
        ("127.0.0.1", ivr.agi.port), NUMBER, list(KEYS), rate=ivr.media.clock.rate
    ).run(timeout=60)
    return result.route


def node_form(page: str, node_id: str) -> dict[str, str]:
    """The fields of a node form as the browser would send them (selected options, values)."""
    found = re.search(rf'<form[^>]*id="node-{node_id}".*?</form>', page, re.S)
    assert found, f"no form for {node_id}"
    form = found.group(0)
    fields: dict[str, str] = {}
    for name, value in re.findall(r'<input name="([^"]+)"[^>]*?value="([^"]*)"', form):
        fields[name] = value
    for name in re.findall(r'<input name="([^"]+)"', form):
        fields.setdefault(name, "")
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option(?: value="([^"]*)")? selected>([^<]*)<', body)
        fields[name] = "" if not chosen else chosen.group(1) or chosen.group(2)  # value or text
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields[name] = body
    return {k: v.replace("&amp;", "&") for k, v in fields.items() if k != "csrf_token"}


def test_viewer_reads_but_cannot_change_and_csrf_is_required(make_ivr: Any, tmp_path: Path) -> None:
    folder = flows_copy(tmp_path)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    viewer, admin = signed_in(ivr, "viewer"), signed_in(ivr, "admin")
    listing = viewer.get("/admin/flows")
    assert (
        listing.status_code == 200 and "health_hotline" in listing.text and NUMBER in listing.text
    )
    page = viewer.get(PAGE)
    assert page.status_code == 200 and 'id="node-main_menu"' in page.text
    assert "only admins change them" in page.text and 'id="publish"' not in page.text
    text = (folder / FILE).read_text()
    for path, data in [
        (f"{PAGE}/save", {"text": text}),
        (f"{PAGE}/nodes/main_menu", {"target-1": "card_info"}),
        (f"{PAGE}/publish", {}),
        (f"{PAGE}/rollback", {"version": "1"}),
    ]:
        refused = viewer.post(path, data)
        assert refused.status_code == 403, path
        assert "This needs the admin role" in refused.text
    no_token = admin.http.post(f"{PAGE}/save", data={"text": text}, headers=HTML)
    assert no_token.status_code == 403 and "security token" in no_token.text
    assert admin.post(f"{PAGE}/save", {"text": text, "csrf_token": "forged"}).status_code == 403
    assert admin.get("/admin/flows/nothing.yaml").status_code == 404
    assert admin.get("/admin/flows/..%2Fsecrets").status_code == 404
    assert (folder / FILE).read_text() == text


def test_a_broken_draft_is_kept_shown_by_line_and_refused_at_publish(
    make_ivr: Any, tmp_path: Path
) -> None:
    folder = flows_copy(tmp_path)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    before = (folder / FILE).read_text()
    broken = before.replace('"3": agent_hours}', '"3": agent_hourz}')
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "agent_hourz" in t)
    saved = admin.post(f"{PAGE}/save", {"text": broken})
    assert saved.status_code == 422
    problems = re.search(r'<div class="error" id="problems">(.*?)</div>', saved.text, re.S)
    assert problems, saved.text
    assert f"line {line}" in problems.group(1)
    assert (
        "unknown node &#39;agent_hourz&#39;; did you mean &#39;agent_hours&#39;?"
        in problems.group(1)
    )
    assert "The draft is saved" in saved.text
    assert re.search(r'id="publish" disabled', saved.text)
    refused = admin.post(f"{PAGE}/publish", {"note": "try"})
    assert refused.status_code == 422 and "was not published" in refused.text
    assert (folder / FILE).read_text() == before
    api = admin.api("GET", PAGE).json()  # the draft survives, problems and all
    assert api["draft"] and "agent_hourz" in api["text"]
    assert api["problems"][0]["line"] == line
    assert admin.api("POST", f"{PAGE}/publish", json={}).status_code == 422
    # a number another published file already serves is a problem of the draft too
    other = before.replace("flow: health_hotline", "flow: other_line")
    other = other.replace('numbers: ["19001234", "02838001234"]', 'numbers: ["19009999"]')
    (folder / "other.yaml").write_text(other)
    clash = before.replace('"02838001234"', '"19009999"')
    result = admin.api("POST", f"{PAGE}/save", json={"text": clash})
    assert result.status_code == 422
    assert any("19009999" in p["message"] for p in result.json()["problems"])
    audit = [(e.action, e.subject) for e in _audit(ivr)]
    assert ("flow-save", FILE) in audit


def _audit(ivr: Any) -> list[Any]:
    from tests.admin_client import users_of

    return users_of(ivr).audit_log(50)


@both_databases
def test_edit_publish_history_diff_and_rollback_take_effect_on_the_next_call(
    make_ivr: Any, tmp_path: Path, backing: dict[str, str]
) -> None:
    folder = flows_copy(tmp_path)
    ivr = make_ivr(dialplans=folder, **backing)
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    original = (folder / FILE).read_text()
    assert route_of(ivr)[:3] == ["choose_language", "main_menu", "policy_menu"]

    form = node_form(admin.get(PAGE).text, "main_menu")
    assert form["target-1"] == "policy_menu" and form["target-3"] == "agent_hours"
    assert form["speech-1-en"] == "insurance, health insurance, questions, one"
    edited = admin.post(f"{PAGE}/nodes/main_menu", {**form, "target-1": "card_info"})
    assert edited.status_code == 200, edited.text
    assert "The draft is saved and valid" in edited.text
    assert (folder / FILE).read_text() == original  # a draft is not in force
    assert route_of(ivr)[2] == "policy_menu"

    published = admin.post(f"{PAGE}/publish", {"note": "key 1 reads the card info"})
    assert published.status_code == 200
    assert "in force for the next call" in published.text
    on_disk = (folder / FILE).read_text()
    assert on_disk != original and '"1": card_info' in on_disk.replace("'1'", '"1"')
    assert route_of(ivr)[:3] == ["choose_language", "main_menu", "card_info"]

    history = re.search(r'<table id="history">(.*?)</table>', admin.get(PAGE).text, re.S)
    assert history
    rows = re.findall(r'<tr id="version-(\d+)">(.*?)</tr>', history.group(1), re.S)
    assert [v for v, _ in rows] == ["2", "1"]
    assert "admin" in rows[0][1] and "key 1 reads the card info" in rows[0][1]
    assert "files" in rows[1][1]
    diff = admin.get(f"{PAGE}/diff?a=1&b=2")
    assert diff.status_code == 200
    assert re.search(r'<span class="del">-.*policy_menu', diff.text)
    assert re.search(r'<span class="add">\+.*card_info', diff.text)
    assert "card_info" in admin.api("GET", f"{PAGE}/diff?a=1&b=2").json()["diff"]

    rolled = admin.post(f"{PAGE}/rollback", {"version": "1"})
    assert rolled.status_code == 200 and "Rolled back to version 1" in rolled.text
    assert (folder / FILE).read_text() == original  # comments and all
    assert route_of(ivr)[:3] == ["choose_language", "main_menu", "policy_menu"]
    versions = admin.api("GET", "/admin/flows").json()[0]
    assert versions["version"] == 3 and versions["draft"] is False
    actions = [(e.action, e.by) for e in _audit(ivr)]
    for action in ("flow-node-edit", "flow-publish", "flow-rollback"):
        assert (action, "admin") in actions


def test_node_forms_add_delete_hours_and_raw_text(make_ivr: Any, tmp_path: Path) -> None:
    folder = flows_copy(tmp_path)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    hours = node_form(admin.get(PAGE).text, "agent_hours")
    assert hours["open-days-0"] == "mon-fri" and hours["open-times-0"] == "07:30-11:30, 13:00-17:00"
    hours.update({"open-days-2": "sun", "open-times-2": "08:00-10:00", "holidays": "2026-12-25"})
    saved = admin.api("POST", f"{PAGE}/nodes/agent_hours", data=hours)
    assert saved.status_code == 200, saved.text
    text = admin.api("GET", PAGE).json()["text"]
    # written like its siblings (sat: ["07:30-11:30"]), comments kept
    assert '      sat: ["07:30-11:30"]\n      sun: ["08:00-10:00"]\n' in text
    assert '    holidays:\n      - "2026-12-25"\n    if_open' in text and "2026-01-01" not in text
    assert "Check the government's calendar every year." in text
    bad = admin.post(f"{PAGE}/nodes/agent_hours", {**hours, "open-times-2": "8 to 10"})
    assert bad.status_code == 422 and "8 to 10" in bad.text
    added = admin.post(f"{PAGE}/nodes", {"node_id": "covid_info", "type": "prompt"})
    assert added.status_code == 422 and "covid_info" in added.text
    assert "cannot be reached from start" in added.text
    again = admin.post(f"{PAGE}/nodes", {"node_id": "covid_info", "type": "prompt"})
    assert again.status_code == 422 and "There is already a node" in again.text
    deleted = admin.post(f"{PAGE}/nodes/card_info", {"action": "delete"})
    assert deleted.status_code == 422 and "unknown node &#39;card_info&#39;" in deleted.text
    discarded = admin.post(f"{PAGE}/discard")
    assert discarded.status_code == 200 and "No draft" in discarded.text
    not_yaml = admin.post(f"{PAGE}/save", {"text": "flow: [unclosed"})
    assert not_yaml.status_code == 422 and "YAML syntax error" in not_yaml.text
    assert "the forms cannot change it" in not_yaml.text


def test_a_file_edited_on_disk_since_the_draft_is_flagged(make_ivr: Any, tmp_path: Path) -> None:
    folder = flows_copy(tmp_path)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    text = (folder / FILE).read_text()
    assert admin.post(f"{PAGE}/save", {"text": text.replace("timeout: 5", "timeout: 6", 1)})
    by_hand = text.replace("Goodbye.", "Bye.")
    (folder / FILE).write_text(by_hand)
    page = admin.get(PAGE)
    assert 'id="conflict"' in page.text and "edited on disk" in page.text
    refused = admin.post(f"{PAGE}/publish", {"note": "mine"})
    assert refused.status_code == 409 and (folder / FILE).read_text() == by_hand
    forced = admin.post(f"{PAGE}/publish", {"note": "mine", "overwrite": "1"})
    assert forced.status_code == 200 and "timeout: 6" in (folder / FILE).read_text()
    rows = re.findall(r'<tr id="version-(\d+)">(.*?)</tr>', admin.get(PAGE).text, re.S)
    assert [v for v, _ in rows] == ["3", "2", "1"]
    assert "edited on disk" in rows[1][1] and "mine" in rows[0][1]
