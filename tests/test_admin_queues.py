"""Admin web: the queues and agents page (pause, log in, log out through AMI) and the queue
settings form (check, write the YAML, render queues.conf, reload Asterisk over AMI).

Every test works on a copy of queues/ and asterisk/etc in tmp_path, never the repository's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from ivr.core.settings import PROJECT_ROOT
from ivr.simulator.ami_peer import FakeAmi
from tests.admin_client import HTML, add_users, signed_in, users_of
from tests.ami_fixtures import wait_until

Q = "insurance"
REPO_QUEUE = PROJECT_ROOT / "queues" / "insurance.yaml"


def _site(tmp_path: Path) -> Path:
    """queues/ and asterisk/etc copied: the settings page writes there (default_etc)."""
    site = tmp_path / "site"
    shutil.copytree(PROJECT_ROOT / "queues", site / "queues")
    etc = site / "asterisk" / "etc"
    etc.mkdir(parents=True)
    for name in ("pjsip.conf", "queues.conf", "extensions_queues.conf"):
        shutil.copyfile(PROJECT_ROOT / "asterisk" / "etc" / name, etc / name)
    return site


def _start(make_ivr: Any, tmp_path: Path, peer: FakeAmi | None) -> Any:
    ami: dict[str, Any] = {}
    if peer is not None:
        ami = {"ami_host": peer.host, "ami_port": peer.port}
        ami |= {"ami_user": peer.user, "ami_secret": peer.secret}
    ivr = make_ivr(queues_dir=_site(tmp_path) / "queues", **ami)
    add_users(ivr)
    if peer is not None:
        wait_until(lambda: ivr.ami.client.connected)
        wait_until(lambda: "agent1001" in ivr.services.state.hgetall(f"queue:{Q}:members"))
    return ivr


def _peer() -> FakeAmi:
    peer = FakeAmi().start()
    peer.add_member(Q, "agent1001")
    peer.add_member(Q, "agent1002")
    return peer


def _row(page: str, agent: str) -> str:
    found = re.search(rf'<tr id="member-{Q}-{agent}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {agent}"
    return found.group(1)


def test_supervisor_pauses_unpauses_logs_out_and_in(make_ivr: Any, tmp_path: Path) -> None:
    peer = _peer()
    try:
        ivr = _start(make_ivr, tmp_path, peer)
        supervisor = signed_in(ivr, "supervisor")
        page = supervisor.get("/admin/queues")
        assert page.status_code == 200 and "available" in _row(page.text, "agent1001")

        reply = supervisor.post(
            f"/admin/queues/{Q}/pause",
            {"interface": "PJSIP/agent1001", "paused": "1", "reason": "lunch\r\nAction: Logoff"},
        )
        assert reply.status_code == 200, reply.text
        (pause,) = peer.wait_for_action("QueuePause")
        assert (pause["Queue"], pause["Interface"], pause["Paused"]) == (
            Q,
            "PJSIP/agent1001",
            "true",
        )
        assert pause["Reason"] == "lunch Action: Logoff"  # one line: nothing forged
        assert "Interface paused successfully" in reply.text and "Success" in reply.text
        assert "paused (lunch Action: Logoff)" in _row(reply.text, "agent1001")

        reply = supervisor.post(
            f"/admin/queues/{Q}/pause", {"interface": "PJSIP/agent1001", "paused": "0"}
        )
        unpause = peer.wait_for_action("QueuePause", count=2)[1]
        assert unpause["Paused"] == "false"
        assert "Interface unpaused successfully" in reply.text
        assert '<td class="paused">no</td>' in _row(reply.text, "agent1001")

        reply = supervisor.post(f"/admin/queues/{Q}/logout", {"interface": "PJSIP/agent1002"})
        (remove,) = peer.wait_for_action("QueueRemove")
        assert (remove["Queue"], remove["Interface"]) == (Q, "PJSIP/agent1002")
        assert "Removed interface from queue" in reply.text
        assert "logged out" in _row(reply.text, "agent1002")
        assert "agent1002" not in peer.queue(Q).members

        reply = supervisor.post(f"/admin/queues/{Q}/login", {"agent": "agent1004", "paused": "1"})
        (add,) = peer.wait_for_action("QueueAdd")
        assert (add["Queue"], add["Interface"], add["MemberName"], add["Paused"]) == (
            Q,
            "PJSIP/agent1004",
            "agent1004",
            "true",
        )
        assert "Added interface to queue" in reply.text
        assert "paused" in _row(reply.text, "agent1004")

        audit = [(e.by, e.action, e.subject) for e in users_of(ivr).audit_log()]
        for action in ("QueuePause", "QueueRemove", "QueueAdd"):
            assert ("supervisor", action, Q) in audit
    finally:
        peer.stop()


def test_roles_csrf_and_form_problems(make_ivr: Any, tmp_path: Path) -> None:
    peer = _peer()
    try:
        ivr = _start(make_ivr, tmp_path, peer)
        viewer, supervisor = signed_in(ivr, "viewer"), signed_in(ivr, "supervisor")
        page = viewer.get("/admin/queues")
        assert page.status_code == 200 and "agent1001" in page.text
        assert "/pause" not in page.text  # no buttons for viewers
        pause = {"interface": "PJSIP/agent1001", "paused": "1"}
        refused = viewer.post(f"/admin/queues/{Q}/pause", pause)
        assert refused.status_code == 403 and "supervisor role" in refused.text
        forged = supervisor.post(f"/admin/queues/{Q}/pause", {**pause, "csrf_token": "forged"})
        assert forged.status_code == 403 and "security token" in forged.text
        assert peer.wait_for_action("QueuePause", timeout=0.3) == []

        stranger = supervisor.post(f"/admin/queues/{Q}/login", {"agent": "agent9999"})
        assert stranger.status_code == 422
        assert "agent9999 is not an agent of insurance" in stranger.text
        twice = supervisor.post(f"/admin/queues/{Q}/login", {"agent": "agent1001"})
        assert twice.status_code == 422 and "already logged in" in twice.text
        absent = supervisor.post(f"/admin/queues/{Q}/logout", {"interface": "PJSIP/agent1004"})
        assert absent.status_code == 422 and "is not logged in to insurance" in absent.text
        unknown = supervisor.api("POST", "/admin/queues/nosuch/pause", data=pause)
        assert unknown.status_code == 404 and unknown.json() == {
            "error": "There is no queue 'nosuch'."
        }
        assert peer.wait_for_action("QueueAdd", timeout=0.2) == []

        # Asterisk itself says no: its Response and Message are shown, nothing pretended
        del peer.queue(Q).members["agent1001"]  # gone in Asterisk, no event told the IVR
        failed = supervisor.post(f"/admin/queues/{Q}/pause", pause)
        assert failed.status_code == 502
        assert "Asterisk answered QueuePause: Error (Interface not found)" in failed.text
        assert "Traceback" not in failed.text
    finally:
        peer.stop()


def test_ami_missing_or_down_is_a_clear_error(make_ivr: Any, tmp_path: Path) -> None:
    ivr = _start(make_ivr, tmp_path, None)
    supervisor = signed_in(ivr, "supervisor")
    page = supervisor.get("/admin/queues")
    assert page.status_code == 200 and "IVR_AMI_HOST" in page.text and "agent1001" in page.text
    reply = supervisor.post(f"/admin/queues/{Q}/login", {"agent": "agent1004"})
    assert reply.status_code == 503 and "Nothing was sent" in reply.text
    assert "IVR_AMI_HOST" in reply.text

    peer = _peer()
    try:
        ivr = _start(make_ivr, tmp_path / "down", peer)
        supervisor = signed_in(ivr, "supervisor")
        peer.refusing = True
        peer.drop()
        wait_until(lambda: not ivr.ami.client.connected)
        reply = supervisor.post(
            f"/admin/queues/{Q}/pause", {"interface": "PJSIP/agent1001", "paused": "1"}
        )
        assert reply.status_code == 503
        assert "Not connected to Asterisk's manager right now" in reply.text
        audit = [(e.action, e.detail) for e in users_of(ivr).audit_log()]
        assert any(a == "QueuePause" and "Not connected" in d for a, d in audit)
    finally:
        peer.stop()


# -- queue settings ------------------------------------------------------------------------------


def _form(page: str) -> dict[str, Any]:
    """The settings form's fields as the browser would post them."""
    form: dict[str, Any] = {}
    for name, value in re.findall(r'<input name="([^"]+)" value="([^"]*)"', page):
        form[name] = value
    form["version"] = re.search(r'name="version" value="([^"]*)"', page).group(1)  # type: ignore[union-attr]
    for name in re.findall(r'<select name="([^"]+)">', page):
        block = page.split(f'<select name="{name}">', 1)[1].split("</select>", 1)[0]
        form[name] = re.search(r"<option selected>([^<]*)</option>", block).group(1)  # type: ignore[union-attr]
    for name, text in re.findall(r'<textarea name="([^"]+)" rows="2">([^<]*)</textarea>', page):
        form[name] = text
    form["overflow.to_ai_agent"] = re.findall(
        r'name="overflow.to_ai_agent" value="([A-Z]+)" checked', page
    )
    return form


def _section(conf: str, name: str) -> str:
    return conf.split(f"[{name}](hotline-queue)", 1)[1].split("\n[", 1)[0]


def test_admin_edits_a_queue_renders_queues_conf_and_reloads(make_ivr: Any, tmp_path: Path) -> None:
    before = REPO_QUEUE.read_text(encoding="utf-8")
    peer = _peer()
    try:
        ivr = _start(make_ivr, tmp_path, peer)
        site = tmp_path / "site"
        admin = signed_in(ivr, "admin")
        page = admin.get(f"/admin/queues/{Q}/settings")
        assert page.status_code == 200
        form = _form(page.text)
        assert form["ring_timeout"] == "20" and form["strategy"] == "rrmemory"

        form |= {"ring_timeout": "25", "strategy": "leastrecent", "max_wait": "150"}
        saved = admin.post(f"/admin/queues/{Q}/settings", form)
        assert saved.status_code == 200, saved.text
        conf = (site / "asterisk" / "etc" / "queues.conf").read_text(encoding="utf-8")
        assert "timeout = 25" in _section(conf, Q) and "strategy = leastrecent" in _section(conf, Q)
        assert "timeout = 20" in _section(conf, "insurance-en")
        written = (site / "queues" / "insurance.yaml").read_text(encoding="utf-8")
        assert "ring_timeout: 25" in written and written.startswith("# The Vietnamese")
        (reload,) = peer.wait_for_action("Reload")
        assert reload["Module"] == "app_queue.so"
        assert "Reload app_queue.so: <strong>Success</strong> — Module Reloaded" in saved.text
        assert ivr.services.queues[Q].max_wait == 150  # the next call waits up to 150 s
        assert 'value="25"' in saved.text

        # a new dynamic member changes only the dialplan (*45): pbx_config reloads
        form = _form(saved.text) | {"dynamic_members": "agent1004, agent1003"}
        saved = admin.post(f"/admin/queues/{Q}/settings", form)
        assert saved.status_code == 200, saved.text
        modules = [a["Module"] for a in peer.wait_for_action("Reload", count=2)]
        assert modules == ["app_queue.so", "pbx_config.so"]
        assert "Reload pbx_config.so: <strong>Success</strong>" in saved.text
        extensions = (site / "asterisk" / "etc" / "extensions_queues.conf").read_text()
        assert "exten => agent1003,1,Return(insurance&insurance-en)" in extensions

        audit = [(e.action, e.subject, e.detail) for e in users_of(ivr).audit_log()]
        assert any(a == "queue-settings" and "ring_timeout: 20 -> 25" in d for a, _, d in audit)
        assert REPO_QUEUE.read_text(encoding="utf-8") == before
    finally:
        peer.stop()


def test_settings_problems_roles_and_conflicts(make_ivr: Any, tmp_path: Path) -> None:
    ivr = _start(make_ivr, tmp_path, None)
    site = tmp_path / "site"
    original = (site / "queues" / "insurance.yaml").read_text(encoding="utf-8")
    conf = (site / "asterisk" / "etc" / "queues.conf").read_text(encoding="utf-8")
    admin, supervisor = signed_in(ivr, "admin"), signed_in(ivr, "supervisor")
    assert supervisor.get(f"/admin/queues/{Q}/settings").status_code == 403
    form = _form(admin.get(f"/admin/queues/{Q}/settings").text)
    assert supervisor.post(f"/admin/queues/{Q}/settings", form).status_code == 403
    no_token = admin.http.post(f"/admin/queues/{Q}/settings", data=form, headers=HTML)
    assert no_token.status_code == 403

    bad = form | {"ring_timeout": "soon", "members": "agent1001, agent7777"}
    reply = admin.post(f"/admin/queues/{Q}/settings", bad)
    assert reply.status_code == 422
    assert "ring_timeout: must be a whole number of seconds, not &#39;soon&#39;" in reply.text
    assert re.search(r"insurance\.yaml:\d+: ring_timeout", reply.text)
    assert "&#39;agent7777&#39; is not an agent endpoint" in reply.text
    assert 'value="soon"' in reply.text  # the form keeps what was typed
    assert (site / "queues" / "insurance.yaml").read_text(encoding="utf-8") == original
    assert (site / "asterisk" / "etc" / "queues.conf").read_text(encoding="utf-8") == conf

    stale = admin.post(f"/admin/queues/{Q}/settings", form | {"version": "0" * 16})
    assert stale.status_code == 409 and "was changed since you opened this form" in stale.text

    # without AMI the files are written and the page says to reload Asterisk by hand
    saved = admin.post(f"/admin/queues/{Q}/settings", form | {"wrapup": "15"})
    assert saved.status_code == 200
    assert "wrapuptime = 15" in _section(
        (site / "asterisk" / "etc" / "queues.conf").read_text(encoding="utf-8"), Q
    )
    assert 'asterisk -rx "module reload app_queue.so"' in saved.text
    same = admin.post(f"/admin/queues/{Q}/settings", _form(saved.text))
    assert same.status_code == 200 and "Nothing changed" in same.text
    assert admin.get("/admin/queues/nosuch/settings").status_code == 404
