"""The outbox: idempotent enqueue, claims under a lease, backoff, reports in any order."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ivr.core.db import Database, migrate
from ivr.core.models import SmsMessage
from ivr.core.settings import Settings
from ivr.sms.encoding import segments
from ivr.sms.gateway import OutgoingSms, PermanentFailure, Receipt
from ivr.sms.outbox import RETRY_CAP_S, Outbox, retry_delay
from ivr.sms.worker import SmsWorker
from tests.conftest_postgres import both_databases

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TO = "84901234567"
TEXT = "Số dư tài khoản BHXH: 1.250.000 ₫."


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    migrate(db_url)
    database = Database(db_url)
    yield database
    database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(db: Database, clock: Clock) -> Outbox:
    return Outbox(db, clock)


def rows(db: Database) -> int:
    with db.session(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(SmsMessage)) or 0)


@both_databases
def test_the_same_key_gives_the_same_message(outbox: Outbox, db: Database) -> None:
    first = outbox.enqueue(TO, TEXT, "call-1:balance", "balance", "vi", call_id="call-1")
    again = outbox.enqueue(TO, "another text", "call-1:balance", "balance", "vi")
    other = outbox.enqueue(TO, TEXT, "call-2:balance", "balance", "vi", call_id="call-2")
    assert first == again != other
    assert rows(db) == 2
    status = outbox.status(first)
    assert status is not None and status.status == "queued" and status.attempts == 0


@both_databases
def test_enqueue_from_many_threads_with_one_key_stores_one_message(
    outbox: Outbox, db: Database
) -> None:
    ids: list[int] = []
    barrier = threading.Barrier(8)

    def enqueue() -> None:
        barrier.wait()
        ids.append(outbox.enqueue(TO, TEXT, "call-9:balance", "balance", "vi"))

    threads = [threading.Thread(target=enqueue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    assert rows(db) == 1


@pytest.mark.parametrize(
    ("to", "text", "problem"),
    [
        ("09O1234567", TEXT, "not a mobile number"),
        ("123", TEXT, "not a mobile number"),
        (TO, " ", "empty"),
        (TO, "ư" * 67 * 8 + "ư", "at most 8 parts"),
    ],
)
@both_databases
def test_enqueue_refuses_what_cannot_be_sent(
    outbox: Outbox, to: str, text: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        outbox.enqueue(to, text, "k", "balance", "vi")


@both_databases
def test_numbers_are_stored_in_gateway_form_and_never_logged_whole(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    message_id = outbox.enqueue("+84 90-123 4567", TEXT, "k", "balance", "vi")
    claim = outbox.claim(lease_s=30, max_attempts=3)
    assert claim is not None and claim.id == message_id and claim.to == "+84901234567"
    assert "84901234567" not in caplog.text and "4567" in caplog.text
    assert "1.250.000" not in caplog.text


@both_databases
def test_a_claim_holds_the_message_until_its_lease_runs_out(outbox: Outbox, clock: Clock) -> None:
    message_id = outbox.enqueue(TO, TEXT, "k", "balance", "vi")
    first = outbox.claim(lease_s=30, max_attempts=5)
    assert first is not None and first.id == message_id and first.attempts == 1
    assert outbox.claim(lease_s=30, max_attempts=5) is None  # leased
    clock.advance(29)
    assert outbox.claim(lease_s=30, max_attempts=5) is None
    clock.advance(1)  # the worker died: the lease has run out
    second = outbox.claim(lease_s=30, max_attempts=5)
    assert second is not None and second.id == message_id and second.attempts == 2
    status = outbox.status(message_id)
    assert status is not None and status.status == "sending"


@both_databases
def test_a_worker_whose_lease_was_taken_over_changes_nothing(
    outbox: Outbox, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = outbox.enqueue(TO, TEXT, "k", "balance", "vi")
    slow = outbox.claim(lease_s=10, max_attempts=5)
    clock.advance(11)
    fast = outbox.claim(lease_s=10, max_attempts=5)
    assert slow is not None and fast is not None
    outbox.mark_sent(fast, "kannel", "ref-fast")
    outbox.mark_sent(slow, "kannel", "ref-slow")
    assert "may be sent twice" in caplog.text
    status = outbox.status(message_id)
    assert status is not None and status.gateway_reference == "ref-fast"


@both_databases
def test_failed_attempts_back_off_doubling_then_give_up(outbox: Outbox, clock: Clock) -> None:
    message_id = outbox.enqueue(TO, TEXT, "k", "balance", "vi")
    waits = []
    for attempt in range(1, 5):
        claim = outbox.claim(lease_s=30, max_attempts=4)
        assert claim is not None and claim.attempts == attempt
        new_status = outbox.mark_failed_attempt(claim, "Kannel unreachable", False, 4, 30.0)
        status = outbox.status(message_id)
        assert status is not None and status.status == new_status
        if new_status == "failed":
            break
        waits.append((status.next_attempt_at - clock.now).total_seconds())
        assert outbox.claim(lease_s=30, max_attempts=4) is None  # not due yet
        clock.now = status.next_attempt_at
    assert waits == [30.0, 60.0, 120.0]
    status = outbox.status(message_id)
    assert status is not None
    assert (status.status, status.attempts, status.last_error) == (
        "failed",
        4,
        "Kannel unreachable",
    )
    assert outbox.claim(lease_s=30, max_attempts=4) is None


def test_the_backoff_is_capped() -> None:
    assert [retry_delay(n, 30.0) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
    assert retry_delay(20, 30.0) == RETRY_CAP_S
    assert retry_delay(3, 5000.0) == 5000.0  # a base above the cap is not cut down


@both_databases
def test_a_permanent_failure_is_not_retried(outbox: Outbox) -> None:
    message_id = outbox.enqueue(TO, TEXT, "k", "balance", "vi")
    claim = outbox.claim(lease_s=30, max_attempts=8)
    assert claim is not None
    assert outbox.mark_failed_attempt(claim, "Kannel answered 400", True, 8, 30.0) == "failed"
    status = outbox.status(message_id)
    assert status is not None and (status.status, status.attempts) == ("failed", 1)


@both_databases
def test_a_lease_that_ran_out_on_the_last_attempt_fails_the_message(
    outbox: Outbox, clock: Clock
) -> None:
    message_id = outbox.enqueue(TO, TEXT, "k", "balance", "vi")
    assert outbox.claim(lease_s=10, max_attempts=1) is not None
    clock.advance(11)
    assert outbox.claim(lease_s=10, max_attempts=1) is None
    status = outbox.status(message_id)
    assert status is not None and status.status == "failed"
    assert "no result from the last attempt" in (status.last_error or "")


@both_databases
def test_reports_in_any_order_keep_the_final_status(outbox: Outbox, clock: Clock) -> None:
    message_id = outbox.enqueue(TO, TEXT, "k", "balance", "vi")
    claim = outbox.claim(lease_s=30, max_attempts=8)
    assert claim is not None
    # The report came before the worker's own commit (Kannel is that quick)...
    assert outbox.record_report(message_id, "delivered", "1", "", "smsc-7")
    clock.advance(1)
    outbox.mark_sent(claim, "kannel", None)
    assert outbox.record_report(message_id, "accepted", "8", "reply=ACK/")
    status = outbox.status(message_id)
    assert status is not None
    assert status.status == "delivered" and status.delivered_at == START
    assert status.gateway_reference == "smsc-7" and status.sent_at == START
    assert [r.status for r in status.reports] == ["delivered", "accepted"]


@both_databases
def test_a_report_for_a_message_still_sending_means_the_gateway_had_it(
    outbox: Outbox, clock: Clock
) -> None:
    message_id = outbox.enqueue(TO, TEXT, "k", "balance", "vi")
    assert outbox.claim(lease_s=10, max_attempts=8) is not None
    # The worker died after the gateway took it; the SMSC's "accepted" report still came.
    assert outbox.record_report(message_id, "accepted", "8")
    clock.advance(60)
    assert outbox.claim(lease_s=10, max_attempts=8) is None  # not sent a second time
    status = outbox.status(message_id)
    assert status is not None and status.status == "sent"


@both_databases
def test_a_failure_report_fails_the_message_and_unknown_ids_are_refused(outbox: Outbox) -> None:
    message_id = outbox.enqueue(TO, TEXT, "k", "balance", "vi")
    claim = outbox.claim(lease_s=10, max_attempts=8)
    assert claim is not None
    outbox.mark_sent(claim, "kannel", None)
    assert outbox.record_report(message_id, "failed", "2", "reply=UNDELIV 0901234567")
    status = outbox.status(message_id)
    assert status is not None and status.status == "failed"
    assert "0901234567" not in (status.last_error or "") + status.reports[0].detail
    assert not outbox.record_report(message_id + 1, "delivered", "1")


@both_databases
def test_concurrent_workers_claim_each_message_once(db: Database) -> None:
    outbox = Outbox(db)
    ids = {outbox.enqueue(TO, f"message {n}", f"k{n}", "balance", "en") for n in range(40)}
    claimed: Counter[int] = Counter()
    lock = threading.Lock()

    def work() -> None:
        mine = Outbox(db)
        while (claim := mine.claim(lease_s=60, max_attempts=3)) is not None:
            with lock:
                claimed[claim.id] += 1
            mine.mark_sent(claim, "test", None)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(claimed) == ids
    assert set(claimed.values()) == {1}
    assert outbox.counts() == {"sent": 40}


class RecordingGateway:
    """A gateway that takes every message (or refuses every one) and keeps what it got."""

    name = "fake"
    timeout_s = 1.0

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.got: list[OutgoingSms] = []

    def send(self, message: OutgoingSms) -> str | None:
        self.got.append(message)
        if self.refuse:
            raise PermanentFailure("number barred")
        return f"ref-{message.id}"

    def receipts(self) -> list[Receipt]:
        return []

    def close(self) -> None:
        pass


def stored_text(db: Database, message_id: int) -> str:
    with db.session(readonly=True) as session:
        return str(session.scalar(select(SmsMessage.text).where(SmsMessage.id == message_id)))


@both_databases
def test_a_text_loses_its_digits_once_it_cannot_be_sent_again(db: Database, clock: Clock) -> None:
    """The caller's balance is in the row only while the message may still be sent: the
    gateway gets the whole text, the row keeps its words, length and parts, not the figures."""
    outbox = Outbox(db, clock)
    long_text = (
        TEXT + " Lần đóng gần nhất 01/11/2026: 320.000 ₫. Thẻ BHYT có giá trị đến 31/12/2026."
    )
    sent = outbox.enqueue(TO, long_text, "call-1:balance", "balance", "vi", call_id="call-1")
    english = outbox.enqueue(TO, "Balance: 1,250,000 VND.", "call-2:balance", "balance", "en")
    assert stored_text(db, sent) == long_text  # queued: kept in clear until it is sent
    gateway = RecordingGateway()
    worker = SmsWorker(Settings(), db, gateway, clock=clock)
    assert worker.run_once() and worker.run_once() and not worker.run_once()
    assert [m.text for m in gateway.got] == [long_text, "Balance: 1,250,000 VND."]
    redacted = stored_text(db, sent)
    assert "1.250.000" not in redacted and "320.000" not in redacted and "2026" not in redacted
    assert redacted.startswith("Số dư tài khoản BHXH: #.###.### ₫. Lần đóng gần nhất ##/##/####")
    assert len(redacted) == len(long_text)
    assert segments(redacted) == segments(long_text)  # still two UCS-2 parts for reports
    assert stored_text(db, english) == "Balance: #,###,### VND."
    assert segments("Balance: #,###,### VND.").coding == "gsm7"
    assert outbox.record_report(sent, "delivered", "1")
    assert stored_text(db, sent) == redacted

    refused = outbox.enqueue(TO, TEXT, "call-3:balance", "balance", "vi")
    SmsWorker(Settings(), db, RecordingGateway(refuse=True), clock=clock).run_once()
    status = outbox.status(refused)
    assert status is not None and status.status == "failed"
    assert stored_text(db, refused) == "Số dư tài khoản BHXH: #.###.### ₫."
