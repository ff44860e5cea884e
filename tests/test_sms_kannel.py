"""SMS through a real Kannel: texts arrive exactly, reports come back, outages are waited out.

Each test sends to numbers of its own, so one Kannel chain serves the whole session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ivr.core.db import Database, migrate
from ivr.core.settings import Settings
from ivr.sms.encoding import segments
from ivr.sms.gateways import make_gateway
from ivr.sms.outbox import Outbox, SmsStatus, retry_delay
from ivr.sms.worker import SmsWorker
from ivr.web import WebServer, make_app
from tests.conftest_kannel import KannelChain, wait_until

VIETNAMESE = "Số dư tài khoản BHXH: 1.250.000 ₫. Thẻ BHYT có giá trị đến 31/12/2026."
CHINESE = "社保账户余额：1,250,000越南盾。医保有效期至2026年12月31日。"
ENGLISH = "Social insurance balance: 1,250,000 VND. Fees {new}: 5€ [info] ~ ^ | \\ end"
LONG_VIETNAMESE = (
    "Số dư tài khoản bảo hiểm xã hội của quý vị tính đến ngày 22/11/2026 là 1.250.000 ₫. "
    "Lần đóng gần nhất: 15/11/2026, số tiền 350.000 ₫. Thẻ bảo hiểm y tế có giá trị đến "
    "31/12/2026. Xin cảm ơn."
)
RETRY_BASE_S = 0.2


@dataclass
class SmsSide:
    """Our side of the chain: database, web endpoint for reports, and a running worker."""

    settings: Settings
    database: Database
    outbox: Outbox
    web: WebServer
    worker: SmsWorker

    def wait_status(
        self, message_id: int, *wanted: str, reports: int = 0, timeout: float = 15
    ) -> SmsStatus:
        """The message's status once it is one of ``wanted`` with ``reports`` reports."""
        found: list[SmsStatus] = []

        def reached() -> bool:
            status = self.outbox.status(message_id)
            assert status is not None
            found[:] = [status]
            return status.status in wanted and len(status.reports) >= reports

        what = f"sms {message_id} to become {' or '.join(wanted)} with {reports} reports"
        wait_until(reached, what, timeout)
        return found[0]


def start_side(chain: KannelChain, folder: Path) -> SmsSide:
    url = f"sqlite:///{folder / 'ivr.db'}"
    migrate(url)
    database = Database(url)
    web = WebServer(make_app(database)).start()
    base = replace(Settings(), public_url=web.url, sms_retry_base_s=RETRY_BASE_S)
    settings = chain.settings(base)
    worker = SmsWorker(settings, database, make_gateway(settings, timeout_s=5), poll_s=0.05)
    return SmsSide(settings, database, Outbox(database), web, worker.start())


@pytest.fixture
def sms(kannel: KannelChain, tmp_path: Path) -> Iterator[SmsSide]:
    side = start_side(kannel, tmp_path)
    yield side
    side.worker.stop()
    side.web.stop()
    side.database.close()


def test_vietnamese_and_chinese_arrive_as_ucs2_and_english_as_gsm_text(
    kannel: KannelChain, sms: SmsSide
) -> None:
    sms.outbox.enqueue("84900000101", VIETNAMESE, "t1:vi", "balance", "vi")
    sms.outbox.enqueue("84900000102", CHINESE, "t1:zh", "balance", "zh")
    sms.outbox.enqueue("84900000103", ENGLISH, "t1:en", "balance", "en")
    [vietnamese] = kannel.wait_for("84900000101")
    [chinese] = kannel.wait_for("84900000102")
    [english] = kannel.wait_for("84900000103")
    assert (vietnamese.kind, vietnamese.text) == ("ucs-2", VIETNAMESE)
    assert (chinese.kind, chinese.text) == ("ucs-2", CHINESE)
    assert (english.kind, english.text) == ("text", ENGLISH)
    assert vietnamese.sender == sms.settings.sms_sender


def test_a_long_vietnamese_text_arrives_in_concatenated_parts_that_join_up(
    kannel: KannelChain, sms: SmsSide
) -> None:
    expected_parts = segments(LONG_VIETNAMESE).count
    assert expected_parts == 3
    sms.outbox.enqueue("84900000201", LONG_VIETNAMESE, "t2:vi", "balance", "vi")
    parts = kannel.wait_for("84900000201", count=expected_parts)
    assert [part.kind for part in parts] == ["udh"] * expected_parts
    assert sorted(part.udh[5] for part in parts) == [1, 2, 3]
    assert all(len(part.body) <= 134 for part in parts)  # 67 UCS-2 characters each
    assert kannel.texts("84900000201") == [LONG_VIETNAMESE]


def test_delivery_reports_come_back_through_the_web_endpoint(
    kannel: KannelChain, sms: SmsSide
) -> None:
    short = sms.outbox.enqueue("84900000301", VIETNAMESE, "t3:short", "balance", "vi")
    long = sms.outbox.enqueue("84900000302", LONG_VIETNAMESE, "t3:long", "balance", "vi")
    for message_id in (short, long):
        # fakesmsc's "accepted by the SMSC" (8) and "delivered" (1) come in either order
        status = sms.wait_status(message_id, "delivered", reports=2)
        assert status.delivered_at is not None
        assert sorted((r.status, r.code) for r in status.reports) == [
            ("accepted", "8"),
            ("delivered", "1"),
        ]
        assert status.attempts == 1 and status.gateway == "kannel"


def test_enqueueing_twice_with_one_key_sends_once(kannel: KannelChain, sms: SmsSide) -> None:
    first = sms.outbox.enqueue("84900000401", VIETNAMESE, "call-7:balance", "balance", "vi")
    second = sms.outbox.enqueue("84900000401", VIETNAMESE, "call-7:balance", "balance", "vi")
    assert first == second
    sms.wait_status(first, "delivered")
    assert len(kannel.received("84900000401")) == 1
    assert sms.outbox.counts() == {"delivered": 1}


def test_messages_wait_with_growing_backoff_while_kannel_is_down(
    new_kannel: KannelChain, tmp_path: Path
) -> None:
    side = start_side(new_kannel, tmp_path)  # Kannel not started yet: connection refused
    try:
        message_id = side.outbox.enqueue("84900000501", VIETNAMESE, "t5", "balance", "vi")
        seen: dict[int, SmsStatus] = {}

        def attempts_seen() -> bool:
            status = side.outbox.status(message_id)
            assert status is not None
            if status.status == "queued" and status.attempts:
                seen.setdefault(status.attempts, status)
            return len(seen) >= 4

        wait_until(attempts_seen, "four failed attempts", timeout=10)
        for attempts in (1, 2, 3, 4):
            assert "Kannel unreachable" in (seen[attempts].last_error or "")
        for attempts in (2, 3, 4):  # each wait is the previous one doubled (plus a poll)
            gap = seen[attempts].next_attempt_at - seen[attempts - 1].next_attempt_at
            expected = retry_delay(attempts, RETRY_BASE_S)
            assert expected <= gap.total_seconds() < expected + 0.5
        new_kannel.start()
        status = side.wait_status(message_id, "delivered", timeout=20)
        assert status.attempts >= 5 and status.last_error is None
        [line] = new_kannel.received("84900000501")
        assert line.text == VIETNAMESE
    finally:
        side.worker.stop()
        side.web.stop()
        side.database.close()


def test_a_message_kannel_refuses_fails_and_bad_credentials_are_retried(
    kannel: KannelChain, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.db'}"
    migrate(url)
    database = Database(url)
    outbox = Outbox(database)
    no_sender = replace(kannel.settings(), sms_sender="", sms_retry_base_s=RETRY_BASE_S)
    wrong_password = replace(kannel.settings(), kannel_password="wrong")
    refused = outbox.enqueue("84900000701", VIETNAMESE, "t7:refused", "balance", "vi")
    SmsWorker(no_sender, database, make_gateway(no_sender)).run_once()
    status = outbox.status(refused)
    assert status is not None and (status.status, status.attempts) == ("failed", 1)
    assert status.last_error == "Kannel answered 400: Sender missing and no global set, rejected"
    retried = outbox.enqueue("84900000702", VIETNAMESE, "t7:password", "balance", "vi")
    SmsWorker(wrong_password, database, make_gateway(wrong_password)).run_once()
    status = outbox.status(retried)
    assert status is not None and (status.status, status.attempts) == ("queued", 1)
    assert status.last_error == "Kannel answered 403: Authorization failed for sendsms"
    assert kannel.received("84900000701") == kannel.received("84900000702") == []
    database.close()
