"""Notification campaigns: loading, the paced dialer over AMI, retries then SMS, the calling
window and holidays, opt-outs, and the notify script through FastAGI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ivr.ami.client import AmiClient
from ivr.campaigns.dialer import CampaignDialer, Pacing, Window
from ivr.campaigns.messages import spoken, written
from ivr.campaigns.store import Campaigns, Row
from ivr.core.models import SmsMessage
from ivr.simulator.ami_peer import FakeAmi
from ivr.simulator.caller import Listen, Press
from ivr.simulator.simulator import SimulatedCall
from ivr.sms.outbox import Outbox
from ivr.wire.ami import Message
from tests.admin_client import add_users, signed_in, users_of
from tests.ami_fixtures import START, Clock, client_for, database, wait_until

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = {
    "vi": "Kính gửi {name}, khoản đóng bảo hiểm {amount:money} đến hạn ngày {due:date}.",
    "en": "Dear {name}, your contribution of {amount:money} is due on {due:date}.",
}
BUSY, NO_ANSWER = 5, 3


def rows(*numbers: str, language: str = "vi", timezone: str = "Asia/Ho_Chi_Minh") -> list[Row]:
    fields = {"name": "Lan", "amount": "1250000", "due": "2027-01-15"}
    return [Row(i + 2, n, language, timezone, fields) for i, n in enumerate(numbers)]


@dataclass
class Rig:
    peer: FakeAmi
    clock: Clock
    campaigns: Campaigns
    outbox: Outbox
    client: AmiClient
    holidays: set[date]
    _dialers: list[CampaignDialer]

    def dialer(self, **pacing: Any) -> CampaignDialer:
        options = {"max_channels": 2, "max_cps": 100.0, "max_attempts": 2, "retry_first_s": 60}
        dialer = CampaignDialer(
            self.campaigns,
            self.client,
            self.outbox,
            Window.parse("08:00-20:00"),
            lambda: frozenset(self.holidays),
            Pacing(**{**options, **pacing}),
        )
        self._dialers.append(dialer)
        return dialer

    def status(self, number: str) -> str:
        (row,) = [t for c in self.campaigns.all() for t in self.campaigns.targets(c.id)
                  if t.number == number]  # fmt: skip
        return row.status


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    peer = FakeAmi().start()
    db, clock = database(tmp_path), Clock()
    campaigns = Campaigns(db, clock)
    dialers: list[CampaignDialer] = []

    def on_event(event: Message) -> None:
        for dialer in dialers:
            dialer.on_event(event)

    client = client_for(peer, on_event).start()
    wait_until(lambda: client.connected)
    yield Rig(peer, clock, campaigns, Outbox(db, clock), client, set(), dialers)
    client.stop()
    peer.stop()


def test_calls_are_paced_by_free_channels_and_calls_per_second(rig: Rig) -> None:
    rig.campaigns.create("reminders", TEMPLATES, rows(*(f"090123450{i}" for i in range(5))), "t")
    rig.peer.hold_originates = True
    dialer = rig.dialer(max_channels=2, max_cps=1.0)
    assert dialer.run_once() == 1  # one call per second
    assert dialer.run_once() == 0  # the same instant: no token left
    rig.clock.advance(1.0)
    assert dialer.run_once() == 1
    rig.clock.advance(5.0)
    assert dialer.run_once() == 0  # both channels busy: tokens are not enough
    originates = rig.peer.wait_for_action("Originate", count=2)
    assert [o["Channel"] for o in originates] == [
        "Local/84901234500@ivr-notify-dial/n",
        "Local/84901234501@ivr-notify-dial/n",
    ]
    first = originates[0]
    assert (first["Context"], first["Exten"], first["Priority"]) == ("ivr-notify", "s", "1")
    assert first["Async"] == "true"
    rig.peer.release_originate(BUSY)  # a channel is free again
    wait_until(lambda: rig.status("84901234500") == "pending")
    assert dialer.run_once() == 1
    assert rig.status("84901234502") == "calling"


def test_busy_and_no_answer_are_tried_again_then_the_message_goes_by_sms(rig: Rig) -> None:
    rig.campaigns.create("reminders", TEMPLATES, rows("0901234567", "0241234567"), "t")
    rig.peer.originate_reasons = [BUSY, BUSY, NO_ANSWER, NO_ANSWER]
    dialer = rig.dialer(max_attempts=2, retry_first_s=60)
    assert dialer.run_once() == 2
    wait_until(lambda: rig.status("84901234567") == "pending")
    wait_until(lambda: rig.status("84241234567") == "pending")
    assert dialer.run_once() == 0  # the retry waits 60 s
    rig.clock.advance(61)
    assert dialer.run_once() == 2
    wait_until(lambda: rig.status("84901234567") == "give-up")
    wait_until(lambda: rig.status("84241234567") == "give-up")
    dialer.run_once()
    assert rig.status("84901234567") == "sms"  # a mobile: texted
    assert rig.status("84241234567") == "failed"  # a landline cannot take an SMS
    with rig.outbox.database.session(readonly=True) as session:
        (sms,) = session.scalars(select(SmsMessage))
    assert sms.to_number == "84901234567" and sms.purpose == "campaign"
    assert "1.250.000 ₫" in sms.text and "15/01/2027" in sms.text
    dialer.run_once()  # never a second SMS, never another call
    assert rig.peer.wait_for_action("Originate", count=5, timeout=0.3)[4:] == []
    with rig.outbox.database.session(readonly=True) as session:
        assert len(list(session.scalars(select(SmsMessage)))) == 1


def test_nobody_is_called_at_night_in_their_own_zone_or_on_a_holiday(rig: Rig) -> None:
    # 09:00 in Ho Chi Minh City is 02:00 in Paris (winter) and 20:00 in Honolulu the day before
    rig.campaigns.create("paris", TEMPLATES, rows("0901234567", timezone="Europe/Paris"), "t")
    rig.peer.hold_originates = True
    dialer = rig.dialer()
    assert dialer.run_once() == 0
    rig.campaigns.create("home", TEMPLATES, rows("0901234568"), "t")
    rig.holidays.add(START.date())  # 23 Nov in Ho Chi Minh City
    assert dialer.run_once() == 0
    rig.holidays.clear()
    assert dialer.run_once() == 1
    assert rig.status("84901234568") == "calling"
    rig.clock.advance(7 * 3600)  # 16:00 here, 09:00 in Paris
    assert dialer.run_once() == 1
    assert rig.status("84901234567") == "calling"


def test_opted_out_numbers_and_repeated_lines_are_never_called_twice(rig: Rig) -> None:
    rig.campaigns.opt_out("0901234567", "test")
    loaded = rig.campaigns.create(
        "reminders", TEMPLATES, rows("0901234567", "0901234568", "+84 901 234 568"), "t"
    )
    assert (loaded.added, loaded.duplicates, loaded.opted_out) == (2, 1, 1)
    dialer = rig.dialer()
    assert dialer.run_once() == 1
    (originate,) = rig.peer.wait_for_action("Originate")
    assert originate["Channel"] == "Local/84901234568@ivr-notify-dial/n"
    wait_until(lambda: rig.status("84901234568") == "answered")
    rig.clock.advance(3600)
    assert dialer.run_once() == 0  # answered is final for the dialer
    # the same message to the same number in another campaign is another message
    with pytest.raises(ValueError, match="exists already"):
        rig.campaigns.create("reminders", TEMPLATES, rows("0901234569"), "t")


def test_a_try_whose_response_was_lost_is_closed_and_tried_again_once(rig: Rig) -> None:
    rig.campaigns.create("reminders", TEMPLATES, rows("0901234567"), "t")
    rig.peer.hold_originates = True
    dialer = rig.dialer(attempt_timeout_s=300, max_attempts=3, retry_first_s=60)
    assert dialer.run_once() == 1
    rig.clock.advance(301)  # no OriginateResponse (as after a restart)
    assert dialer.run_once() == 0
    assert rig.status("84901234567") == "pending"
    rig.clock.advance(61)
    assert dialer.run_once() == 1
    rig.peer.release_originate(BUSY)  # the late response of the lost try: ignored
    rig.peer.release_originate()  # the second try is answered
    wait_until(lambda: rig.status("84901234567") == "answered")
    (target,) = rig.campaigns.targets(rig.campaigns.all()[0].id)
    assert target.attempts == 2


def spoken_text(template: str, language: str) -> str:
    return spoken(
        template, {"name": "Lan", "amount": "1250000", "due": "2027-01-15"}, language, "VND"
    )


def test_money_and_dates_are_said_in_words_and_written_as_usual() -> None:
    fields = {"name": "Lan", "amount": "1250000", "due": "2027-01-15"}
    assert spoken_text(TEMPLATES["en"], "en") == (
        "Dear Lan, your contribution of one million two hundred and fifty thousand dong is due"
        " on January fifteenth, twenty twenty-seven."
    )
    assert "một triệu hai trăm năm mươi nghìn đồng" in spoken_text(TEMPLATES["vi"], "vi")
    assert written(TEMPLATES["vi"], fields, "vi", "VND") == (
        "Kính gửi Lan, khoản đóng bảo hiểm 1.250.000 ₫ đến hạn ngày 15/01/2027."
    )
    zh = "尊敬的{name}，您的缴费{amount:money}将于{due:date}到期。"
    assert (
        written(zh, fields, "zh", "CNY")
        == "尊敬的Lan，您的缴费1,250,000.00元将于2027年1月15日到期。"
    )


def test_bad_lines_load_nothing_and_name_the_line() -> None:
    campaigns_rows = rows("0901234567") + [
        Row(3, "0901234568", "vi", "Asia/Ho_Chi_Minh", {"name": "Minh", "amount": "x", "due": "d"})
    ]
    store = Campaigns.__new__(Campaigns)  # only the checks run before the database
    with pytest.raises(ValueError, match="line 3: field 'amount'"):
        store.create("c", TEMPLATES, campaigns_rows, "t")
    bad = [
        (Row(2, "12", "vi", "Asia/Ho_Chi_Minh", {}), "line 2: '12' is not a phone number"),
        (Row(2, "0901234567", "fr", "Asia/Ho_Chi_Minh", {}), "line 2: unknown language"),
        (Row(2, "0901234567", "zh", "Asia/Ho_Chi_Minh", {}), "no zh template"),
        (Row(2, "0901234567", "vi", "Mars/Base", {}), "unknown time zone"),
        (Row(2, "0901234567", "vi", "Asia/Ho_Chi_Minh", {"name": "A"}), "no value for amount"),
    ]
    for row, message in bad:
        with pytest.raises(ValueError, match=message):
            store.create("c", TEMPLATES, [row], "t")
    with pytest.raises(ValueError, match="brace that is not a field"):
        store.create("c", {"en": "Pay {amount:euros} now"}, rows("0901234567"), "t")


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IVR_DATA_DIR": str(tmp_path / "var"), "IVR_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", "campaigns", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def test_the_cli_loads_a_csv_all_or_nothing_and_shows_results(tmp_path: Path) -> None:
    templates = tmp_path / "t.yaml"
    templates.write_text(
        "vi: 'Kính gửi {name}, khoản đóng {amount:money} đến hạn ngày {due:date}.'\n"
        "en: 'Dear {name}, your contribution of {amount:money} is due on {due:date}.'\n",
        encoding="utf-8",
    )
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    header = "number,language,name,amount,due\n"
    bad.write_text(
        header + "0901234567,vi,Lan,1250000,2027-01-15\n0901234568,en,Minh,abc,2027-01-15\n"
    )
    good.write_text(
        header + "0901234567,vi,Lan,1250000,2027-01-15\n0901234568,en,Minh,300000,2027-01-15\n"
    )
    failed = run_cli(tmp_path, "create", "r1", "--csv", str(bad), "--templates", str(templates))
    assert failed.returncode == 1
    assert "line 3: field 'amount' must be an amount" in failed.stderr
    assert run_cli(tmp_path, "list").stdout == ""  # nothing stored
    made = run_cli(tmp_path, "create", "r1", "--csv", str(good), "--templates", str(templates))
    assert made.returncode == 0, made.stderr
    assert "2 numbers" in made.stdout
    assert run_cli(tmp_path, "opt-out", "0901234568").returncode == 0
    results = run_cli(tmp_path, "results", "r1", "--csv")
    assert results.stdout.splitlines() == [
        "number,language,status,attempts,outcome,answered,listened,pressed,sms",
        "84901234567,vi,pending,0,,no,no,,no",
        "84901234568,en,opted-out,0,,no,no,,no",
    ]
    missing = run_cli(tmp_path, "pause", "r2")
    assert missing.returncode == 1 and "no campaign named 'r2'" in missing.stderr


def notice(ivr: Any, number: str, actions: list[Any], language: str = "en") -> Any:
    campaigns = ivr.services.campaigns
    campaigns.create(f"c-{number}", TEMPLATES, rows(number, language=language), "t")
    (target,) = [t for c in campaigns.all() for t in campaigns.targets(c.id)
                 if t.number == "84" + number[1:]]  # fmt: skip
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port), "s", actions, callerid="notify", rate=ivr.media.clock.rate
    )
    return call.run_notice(str(target.id), language), campaigns.target(target.id)


def test_the_notice_is_heard_and_9_stops_every_campaign(make_ivr: Any) -> None:
    ivr = make_ivr()
    actions = [Listen(), Press("1"), Listen(), Press("9")]
    result, target = notice(ivr, "0901234567", actions, language="en")
    spoken = " ".join(result.kinds("ivr"))
    # the message is the caller's own data: logged by what it is, never its words
    assert spoken.count("say (campaign message)") == 2 and "Dear Lan" not in spoken  # 1: again
    # the message was played to its end twice (a first, streamed render may start late)
    message = ivr.services.prompts.audio(spoken_text(TEMPLATES["en"], "en"), "en")
    assert len([p for p in result.played if len(p) >= len(message)]) == 2
    assert "We will not call you with these notices again" in spoken
    target = ivr.services.campaigns.target(target.id)
    assert (target.status, target.listened, target.pressed) == ("done", True, "19")
    assert ivr.services.campaigns.opted_out(["84901234567"]) == {"84901234567"}
    assert result.agi_status == ["SUCCESS"]


def test_2_puts_the_person_through_to_an_agent_and_a_hangup_is_recorded(make_ivr: Any) -> None:
    ivr = make_ivr()
    result, _ = notice(ivr, "0901234568", [Listen(), Press("2")], language="vi")
    assert result.variables["IVR_QUEUE"] == "insurance"
    assert "Goto(ivr-queue,insurance,1): an agent answered" in result.kinds("dialplan")
    (target,) = ivr.services.campaigns.targets(ivr.services.campaigns.all()[0].id)
    assert (target.status, target.listened, target.pressed) == ("done", True, "2")


def test_supervisors_load_pause_and_read_results_on_the_admin_page(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor, viewer = signed_in(ivr, "supervisor"), signed_in(ivr, "viewer")
    form = {"name": "jan", "template_en": TEMPLATES["en"], "template_vi": TEMPLATES["vi"]}
    lines = ["number,language,name,amount,due"]
    lines += [
        f"09012{i:05d},{'vi' if i % 2 else 'en'},Lan,{1000 * i},2027-01-15" for i in range(1000)
    ]
    csv_file = ("due.csv", ("\n".join(lines) + "\n").encode())
    assert viewer.post("/admin/campaigns", form, files={"file": csv_file}).status_code == 403
    bad = lines[:5] + ["0901299999,vi,Lan,lots,2027-01-15"]
    refused = supervisor.post(
        "/admin/campaigns", form, files={"file": ("bad.csv", "\n".join(bad).encode())}
    )
    assert refused.status_code == 422 and "line 6: field &#39;amount&#39;" in refused.text
    assert "Nothing was loaded" in refused.text
    loaded = supervisor.post("/admin/campaigns", form, files={"file": csv_file})
    assert loaded.status_code == 200, loaded.text
    assert "Campaign jan loaded: 1000 numbers" in loaded.text
    (campaign,) = ivr.services.campaigns.all()
    assert supervisor.post(f"/admin/campaigns/{campaign.id}/pause").status_code == 303
    assert ivr.services.campaigns.campaign(campaign.id).status == "paused"
    assert ivr.services.campaigns.due(limit=5) == []  # a paused campaign is not dialled
    page = viewer.get("/admin/campaigns")
    assert "jan" in page.text and "paused" in page.text and "Load a campaign" not in page.text
    results = viewer.get(f"/admin/campaigns/{campaign.id}/results.csv")
    assert results.headers["content-type"].startswith("text/csv")
    assert len(results.text.splitlines()) == 1001
    assert viewer.get("/admin/campaigns/x²/results.csv").status_code == 404
    assert supervisor.post("/admin/campaigns-opt-out", {"number": "0901200001"}).status_code == 200
    assert ivr.services.campaigns.counts(campaign.id)["opted-out"] == 1
    audit = [(e.action, e.subject) for e in users_of(ivr).audit_log()]
    assert ("campaign-create", "jan") in audit and ("campaign-pause", "jan") in audit


def test_the_api_takes_a_campaign_with_the_token_and_refuses_without(make_ivr: Any) -> None:
    ivr = make_ivr(campaign_token="s3cret-token")
    url = f"http://127.0.0.1:{ivr.web.port}/api/campaigns"
    good = {"Authorization": "Bearer s3cret-token"}
    body = {
        "name": "results",
        "templates": {"en": "Dear {name}, your assessment result is ready: {code:digits}."},
        "numbers": [
            {"number": "0901234567", "language": "en", "fields": {"name": "Lan", "code": 42}},
            {"number": "0901234568", "language": "en", "fields": {"name": "Minh", "code": "7"}},
        ],
    }
    with httpx.Client(timeout=10) as client:
        assert client.post(url, json=body).status_code == 401
        assert client.post(url, json=body, headers={"Authorization": "Bearer x"}).status_code == 401
        bad = {**body, "numbers": [*body["numbers"], {"number": "1", "language": "en"}]}
        refused = client.post(url, json=bad, headers=good)
        assert refused.status_code == 422
        assert refused.json() == {"error": "line 4: '1' is not a phone number"}
        assert ivr.services.campaigns.all() == []
        made = client.post(url, json=body, headers=good)
        assert made.status_code == 201
        assert made.json() == {"id": 1, "added": 2, "duplicates": 0, "opted_out": 0}
        status = client.get(f"{url}/results", headers=good).json()
        assert status["status"] == "active" and status["counts"]["pending"] == 2
        assert client.get(f"{url}/other", headers=good).status_code == 404
        assert client.post(url, content=b"{", headers=good).status_code == 422


def test_without_a_token_setting_the_api_is_off(make_ivr: Any) -> None:
    ivr = make_ivr()
    url = f"http://127.0.0.1:{ivr.web.port}/api/campaigns"
    response = httpx.post(url, json={}, headers={"Authorization": "Bearer x"}, timeout=10)
    assert response.status_code == 404
