"""Tickets on a real SQLite file: references, life-cycle, escalation, SMS; the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ivr.core.db import Database, migrate
from ivr.core.models import SmsMessage
from ivr.sms.outbox import Outbox
from ivr.tickets import TicketError, Tickets
from ivr.tickets import reference as references
from ivr.tickets.categories import load_categories
from tests.conftest_postgres import both_databases

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = load_categories(ROOT / "knowledge" / "categories.yaml")
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 in Ho Chi Minh City


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def url(db_url: str) -> str:
    migrate(db_url)
    return db_url


def make(url: str, clock: Any = None) -> Tickets:
    database = Database(url)
    return Tickets(database, clock or Clock(), CATEGORIES, 48.0, Outbox(database))


def test_references_carry_the_day_a_sequence_and_a_check_digit() -> None:
    ref = references.make(date(2026, 11, 23), 7)
    assert ref[:9] == "261123007" and references.is_valid(ref)
    for i in range(10):  # every single wrong digit is caught
        wrong = ref[:i] + str((int(ref[i]) + 3) % 10) + ref[i + 1 :]
        assert not references.is_valid(wrong)
    swapped = ref[:7] + ref[8] + ref[7] + ref[9:]  # "07" typed as "70"
    assert not references.is_valid(swapped)
    with pytest.raises(ValueError):
        references.make(date(2026, 11, 23), 1000)


@both_databases
def test_concurrent_workers_get_distinct_references_and_one_ticket_per_call(url: str) -> None:
    workers = [make(url) for _ in range(4)]

    def open_one(i: int) -> str:
        return workers[i % 4].open("84912345678", "vi", f"message {i}", call_id=f"c{i}").reference

    with ThreadPoolExecutor(max_workers=8) as pool:
        refs = list(pool.map(open_one, range(24)))
    assert len(set(refs)) == 24 and all(references.is_valid(r) for r in refs)
    assert sorted(int(r[6:9]) for r in refs) == list(range(1, 25))
    again = workers[0].open("84912345678", "vi", "asked twice", call_id="c3")
    assert not again.new and again.reference == refs[3]


@both_databases
def test_category_sets_level1_and_unknown_falls_back_to_general(url: str) -> None:
    tickets = make(url)
    pension = tickets.find(tickets.open("84900000001", "en", "x", category="pension").reference)
    other = tickets.find(tickets.open("84900000002", "en", "y", category="no-such").reference)
    assert pension is not None and (pension.level1, pension.category) == ("policy", "pension")
    assert other is not None and (other.level1, other.category) == ("policy", "general")


@both_databases
def test_life_cycle_allows_only_its_steps_and_records_each(url: str) -> None:
    tickets = make(url)
    ref = tickets.open("84912345678", "vi", "thẻ sai ngày sinh").reference
    with pytest.raises(TicketError, match="is open: cannot be answered"):
        tickets.answer(ref, "called back", by="lan")
    tickets.assign(ref, to="lan", by="supervisor")
    with pytest.raises(TicketError, match="needs a note"):
        tickets.answer(ref, "  ", by="lan")
    tickets.answer(ref, "card corrected at the office", by="lan")
    tickets.close(ref, by="lan")
    with pytest.raises(TicketError, match="is closed: cannot be assigned"):
        tickets.assign(ref, to="minh", by="supervisor")
    with pytest.raises(TicketError, match="no ticket"):
        tickets.close("2611239990", by="x")
    ticket = tickets.find(ref)
    assert ticket is not None and (ticket.status, ticket.assignee) == ("closed", "lan")
    actions = [(e.action, e.by) for e in tickets.events(ref)]
    assert actions == [
        ("created", ""),
        ("assigned", "supervisor"),
        ("answered", "lan"),
        ("closed", "lan"),
    ]


@both_databases
def test_overdue_tickets_escalate_once_per_period(url: str) -> None:
    clock = Clock()
    tickets = make(url, clock)
    late = tickets.open("84912345678", "vi", "a").reference
    done = tickets.open("84912345679", "vi", "b").reference
    tickets.assign(done, to="lan", by="s")
    tickets.answer(done, "told", by="lan")
    clock.now = START + timedelta(hours=49)
    assert tickets.escalate_overdue() == [late]  # the answered one is not overdue
    assert tickets.escalate_overdue() == []  # the same check again: nothing new
    clock.now = START + timedelta(hours=49 + 25)  # half a period later: again
    assert tickets.escalate_overdue() == [late]
    ticket = tickets.find(late)
    assert ticket is not None and ticket.escalation == 2


@both_databases
def test_the_sms_holds_the_reference_and_topic_never_the_message(url: str) -> None:
    tickets = make(url)
    opened = tickets.open("84912345678", "vi", "số thẻ của tôi là 0123456789", category="pension")
    first = tickets.send_sms(opened.reference, "84912345678")
    assert tickets.send_sms(opened.reference, "84912345678") == first  # once per ticket
    with tickets.database.session(readonly=True) as session:
        (sms,) = session.scalars(select(SmsMessage))
        assert sms.key == f"ticket:{opened.reference}" and sms.to_number == "84912345678"
        assert opened.reference in sms.text and "lương hưu" in sms.text
        assert "0123456789" not in sms.text and "25/11/2026" in sms.text


def ivr(url: str, *args: str, at: datetime = START) -> subprocess.CompletedProcess[str]:
    """``ivr tickets ...`` in a process whose clock reads ``at`` (the tests' calendar, not
    today's)."""
    env = dict(os.environ, DATABASE_URL=url, IVR_LOG_LEVEL="WARNING", IVR_CLOCK=at.isoformat())
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", "tickets", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_cli_lists_moves_and_refuses_bad_steps(url: str) -> None:
    ref = make(url).open("84912345678", "en", "please call me", category="pension").reference
    listed = ivr(url, "list", "--status", "open")
    assert listed.returncode == 0 and ref in listed.stdout and "1 ticket(s)" in listed.stdout
    moved = ivr(url, "assign", ref, "--to", "lan", "--by", "supervisor")
    assert moved.returncode == 0 and f"ticket {ref}: assigned" in moved.stdout
    bad = ivr(url, "assign", "2611231234", "--to", "lan")
    assert bad.returncode == 1 and "no ticket 2611231234" in bad.stderr
    wrong = ivr(url, "answer", ref, "--note", "")
    assert wrong.returncode == 1 and "needs a note" in wrong.stderr
    shown = ivr(url, "show", ref)
    assert shown.returncode == 0 and "assignee: lan" in shown.stdout
    assert "assigned supervisor lan" in shown.stdout
    escalated = ivr(url, "escalate", at=START + timedelta(hours=47))
    assert escalated.returncode == 0 and "0 overdue ticket(s) escalated" in escalated.stdout
    late = ivr(url, "escalate", at=START + timedelta(hours=49))
    assert late.returncode == 0 and "1 overdue ticket(s) escalated" in late.stdout
