"""Admin web, emergency announcement: supervisors switch it on and off, every caller hears it
first (then in the language they choose), it ends on time, and every worker sees a change."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from ivr.flow.loader import load_flow
from ivr.flow.model import LanguageNode, MenuNode
from ivr.records.announcements import Announcements
from ivr.simulator.caller import HangUp, Listen, Press
from ivr.simulator.simulator import CallResult, SimulatedCall
from tests.admin_client import HTML, add_users, signed_in, users_of
from tests.conftest import OPEN, SAMPLE_FLOWS

FLOW = load_flow(SAMPLE_FLOWS / "health_hotline.yaml")
LANGUAGE = FLOW.node(FLOW.start)
assert isinstance(LANGUAGE, LanguageNode)
MAIN = FLOW.node(LANGUAGE.next)
assert isinstance(MAIN, MenuNode)
EN_KEY = next(key for key, lang in LANGUAGE.options.items() if lang == "en")
VI = "Hệ thống thanh toán đang gián đoạn, vui lòng gọi lại sau."
EN = "Our payment system is down. Please call again later."


def dial(ivr: Any, actions: list[Any]) -> CallResult:
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port), FLOW.numbers[0], actions, rate=ivr.media.clock.rate
    )
    return call.run(timeout=120)


def said(result: CallResult) -> list[str]:
    return [t[len('ivr: say "') : -1] for t in result.kinds("ivr") if t.startswith("ivr: say")]


def form_defaults(client: Any) -> dict[str, str]:
    page = client.get("/admin/announcement").text
    return {
        name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)  # type: ignore[union-attr]
        for name in ("starts_at", "ends_at")
    }


def test_callers_hear_it_first_then_in_their_language_until_it_ends(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor = signed_in(ivr, "supervisor")
    defaults = form_defaults(supervisor)
    assert defaults == {"starts_at": "2026-11-23T09:00", "ends_at": "2026-11-23T09:30"}
    assert "Asia/Ho_Chi_Minh" in supervisor.get("/admin/announcement").text
    on = supervisor.post("/admin/announcement", {"text_vi": VI, "text_en": EN, **defaults})
    assert on.status_code == 303, on.text
    page = supervisor.get("/admin/announcement").text
    assert "An announcement is on" in page and "until 2026-11-23 09:30" in page and EN in page

    # vi (the flow's default) first, then the language menu, then English once chosen.
    heard = dial(ivr, [Listen(), Press(EN_KEY), Listen(), HangUp()])
    spoken = said(heard)
    assert spoken[0] == VI, heard.transcript()
    assert spoken[1 : 1 + len(FLOW.languages)] == [LANGUAGE.prompt[x] for x in FLOW.languages]
    assert spoken[1 + len(FLOW.languages)] == EN
    assert MAIN.prompt["en"] in spoken[2 + len(FLOW.languages) :]
    assert heard.route[:2] == [LANGUAGE.id, MAIN.id]
    vi_audio = ivr.services.prompts.audio(VI, "vi")
    assert heard.played[0][:8000] == vi_audio[:8000]

    ivr.services.clock = lambda: OPEN + timedelta(minutes=31)  # past its end
    later = dial(ivr, [Press(EN_KEY), HangUp()])
    assert said(later)[0] == LANGUAGE.prompt[FLOW.languages[0]], later.transcript()
    assert VI not in said(later) and EN not in said(later)
    assert "No announcement is on" in supervisor.get("/admin/announcement").text


def test_switched_off_it_is_not_heard_and_every_worker_sees_changes(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor = signed_in(ivr, "supervisor")
    other_worker = Announcements(
        ivr.services.outbox.database, lambda: ivr.services.clock(), ivr.services.state
    )
    assert other_worker.current() is None  # cached now
    on = supervisor.post("/admin/announcement", {"text_en": EN})  # start now, end in 30 min
    assert on.status_code == 303
    assert other_worker.current() == {"en": EN}  # the version key, not the 2 s cache
    heard = dial(ivr, [Listen(), Press(EN_KEY), HangUp()])
    assert said(heard)[0] == EN  # no vi text: the English one, in the English voice
    assert said(heard).count(EN) == 1  # not again after choosing English

    off = supervisor.post("/admin/announcement/off")
    assert off.status_code == 303
    assert other_worker.current() is None
    quiet = dial(ivr, [Press(EN_KEY), HangUp()])
    assert EN not in said(quiet)
    page = supervisor.get("/admin/announcement").text
    assert "No announcement is on" in page and EN in page  # in the history
    actions = [e.action for e in users_of(ivr).audit_log(10)]
    assert "announcement-on" in actions and "announcement-off" in actions


def test_viewers_read_supervisors_switch_and_csrf_is_checked(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    viewer, supervisor = signed_in(ivr, "viewer"), signed_in(ivr, "supervisor")
    page = viewer.get("/admin/announcement")
    assert page.status_code == 200 and "Switch an announcement on" not in page.text
    refused = viewer.post("/admin/announcement", {"text_en": EN})
    assert refused.status_code == 403 and "This needs the supervisor role" in refused.text
    assert viewer.post("/admin/announcement/off").status_code == 403
    no_token = supervisor.http.post("/admin/announcement", data={"text_en": EN}, headers=HTML)
    assert no_token.status_code == 403 and "security token" in no_token.text
    forged = supervisor.post("/admin/announcement", {"text_en": EN, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert ivr.services.announcements.current() is None
    assert supervisor.post("/admin/announcement", {"text_en": EN}).status_code == 303
    assert "An announcement is on" in viewer.get("/admin/announcement").text


def test_invalid_announcements_are_refused_with_clear_messages(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor = signed_in(ivr, "supervisor")
    start = "2026-11-23T09:00"
    cases = [
        ({"text_vi": "  "}, "Write the announcement in at least one language."),
        ({"text_en": EN, "starts_at": start, "ends_at": "2026-11-23T08:30"}, "after the start"),
        ({"text_en": EN, "ends_at": "2026-11-23 nine"}, "not a date and time like"),
        ({"text_en": EN, "starts_at": "2026-11-23T07:00"}, "already past"),
        ({"text_en": EN, "starts_at": start, "ends_at": "2026-11-23T11:00"}, "lasts 2 h 00 min"),
        (
            {"text_en": EN, "ends_at": "2026-11-25T09:00", "longer": "1"},
            "at most 24 hours",
        ),
        ({"text_en": "x" * 601}, "at most 600"),
    ]
    for form, message in cases:
        reply = supervisor.post("/admin/announcement", form)
        assert reply.status_code == 422, (form, reply.text[:300])
        assert message in reply.text, message
        assert "Traceback" not in reply.text
    assert (
        "incident rule"
        in supervisor.post(
            "/admin/announcement", {"text_en": EN, "ends_at": "2026-11-23T11:00"}
        ).text
    )
    assert ivr.services.announcements.current() is None
    longer = {"text_en": EN, "starts_at": start, "ends_at": "2026-11-23T11:00", "longer": "1"}
    assert supervisor.post("/admin/announcement", longer).status_code == 303
    ivr.services.clock = lambda: OPEN + timedelta(minutes=90)
    assert ivr.services.announcements.current() == {"en": EN}
    assert "until 2026-11-23 11:00" in supervisor.get("/admin/announcement").text
