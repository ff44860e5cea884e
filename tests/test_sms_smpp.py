"""The SMPP gateway against a fake SMSC that speaks SMPP 3.4 on the wire (ivr.simulator.smsc)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ivr.core.db import Database, migrate
from ivr.core.settings import Settings
from ivr.simulator.smsc import FakeSmsc, Submitted
from ivr.sms.encoding import gsm_encode, segments
from ivr.sms.outbox import Outbox, SmsStatus
from ivr.sms.smpp import SmppGateway, parse_receipt
from ivr.sms.worker import SmsWorker
from tests.conftest_kannel import wait_until

VIETNAMESE = "Số dư tài khoản BHXH: 1.250.000 ₫. Thẻ BHYT có giá trị đến 31/12/2026."
CHINESE_LONG = "社保账户余额：1,250,000越南盾。最近一次缴费：2026年11月15日，350,000越南盾。" * 2
ENGLISH = "Balance: 1,250,000 VND. Fees {new}: 5€ [info]"

Running = Callable[..., tuple[Outbox, FakeSmsc]]


@pytest.fixture
def smpp(tmp_path: Path) -> Iterator[Running]:
    """Start a fake SMSC and a worker with the SMPP gateway bound to it."""
    stoppers: list[Callable[[], None]] = []

    def run(smsc: FakeSmsc | None = None, password: str = "secret") -> tuple[Outbox, FakeSmsc]:
        smsc = smsc or FakeSmsc()
        if not smsc.port:
            smsc.start()
        url = f"sqlite:///{tmp_path / 'ivr.db'}"
        migrate(url)
        database = Database(url)
        settings = replace(Settings(), sms_gateway="smpp", sms_retry_base_s=0.1)
        gateway = SmppGateway("127.0.0.1", smsc.port, "ivr", password, "1900", timeout_s=2)
        worker = SmsWorker(settings, database, gateway, poll_s=0.05).start()
        stoppers.extend([worker.stop, smsc.stop, database.close])
        return Outbox(database), smsc

    yield run
    for stop in stoppers:
        stop()


def wait_status(outbox: Outbox, message_id: int, wanted: str) -> SmsStatus:
    wait_until(
        lambda: getattr(outbox.status(message_id), "status", "") == wanted,
        f"sms {message_id} to become {wanted}",
        timeout=10,
    )
    status = outbox.status(message_id)
    assert status is not None
    return status


def test_vietnamese_goes_as_ucs2_and_its_receipt_is_recorded(smpp: Running) -> None:
    outbox, smsc = smpp()
    message_id = outbox.enqueue("84901234567", VIETNAMESE, "k1", "balance", "vi")
    [part] = smsc.wait_for(1)
    assert (part.data_coding, part.esm_class, part.udh) == (0x08, 0, b"")
    assert part.text == VIETNAMESE and part.destination == "84901234567"
    assert part.source == "1900" and part.registered_delivery & 1
    status = wait_status(outbox, message_id, "delivered")
    assert status.gateway == "smpp" and status.gateway_reference == part.message_id
    assert [(r.status, r.code) for r in status.reports] == [("delivered", "DELIVRD")]
    assert smsc.binds == ["ivr"]


def test_gsm_text_goes_as_data_coding_0_with_extension_escapes(smpp: Running) -> None:
    outbox, smsc = smpp()
    outbox.enqueue("84901234567", ENGLISH, "k1", "balance", "en")
    [part] = smsc.wait_for(1)
    assert part.data_coding == 0x00
    assert part.payload == gsm_encode(ENGLISH) and b"\x1b\x65" in part.payload  # € escaped
    assert part.text == ENGLISH


def test_a_long_text_goes_in_udh_parts_and_is_delivered_when_every_part_is(
    smpp: Running,
) -> None:
    outbox, smsc = smpp()
    count = segments(CHINESE_LONG).count
    assert count == 2
    message_id = outbox.enqueue("84901234567", CHINESE_LONG, "k1", "balance", "zh")
    parts = smsc.wait_for(count)
    assert [p.esm_class & 0x40 for p in parts] == [0x40] * count
    assert [p.concatenation for p in parts] == [(message_id, count, n + 1) for n in range(count)]
    assert all(p.data_coding == 0x08 and len(p.payload) <= 134 for p in parts)
    assert smsc.messages() == [("84901234567", CHINESE_LONG)]
    status = wait_status(outbox, message_id, "delivered")
    assert len(status.reports) == 1  # one report for the message, after the last part


def test_a_refusal_by_the_smsc_fails_the_message_at_once(smpp: Running) -> None:
    def invalid_destination(part: Submitted) -> int:
        return 0x0B  # ESME_RINVDSTADR

    outbox, _ = smpp(FakeSmsc(submit_status=invalid_destination))
    message_id = outbox.enqueue("84901234567", VIETNAMESE, "k1", "balance", "vi")
    status = wait_status(outbox, message_id, "failed")
    assert status.attempts == 1 and "status 0x0B" in (status.last_error or "")


def test_throttling_is_retried_until_the_smsc_takes_it(smpp: Running) -> None:
    answers = iter([0x58, 0x58])  # ESME_RTHROTTLED twice, then accepted

    def throttle(part: Submitted) -> int:
        return next(answers, 0)

    outbox, smsc = smpp(FakeSmsc(submit_status=throttle))
    message_id = outbox.enqueue("84901234567", VIETNAMESE, "k1", "balance", "vi")
    status = wait_status(outbox, message_id, "delivered")
    assert status.attempts == 3 and len(smsc.submitted) == 1


def test_a_wrong_password_keeps_the_message_queued_for_retries(smpp: Running) -> None:
    outbox, smsc = smpp(password="wrong")
    message_id = outbox.enqueue("84901234567", VIETNAMESE, "k1", "balance", "vi")
    wait_until(lambda: getattr(outbox.status(message_id), "attempts", 0) >= 2, "two attempts")
    status = outbox.status(message_id)
    assert status is not None and status.status in ("queued", "sending")
    assert "bind" in (status.last_error or "") and smsc.submitted == []


def test_the_gateway_binds_again_after_the_smsc_restarts(smpp: Running) -> None:
    outbox, smsc = smpp()
    first = outbox.enqueue("84901234567", VIETNAMESE, "k1", "balance", "vi")
    wait_status(outbox, first, "delivered")
    smsc.stop()
    restarted = FakeSmsc(port=smsc.port).start()
    try:
        second = outbox.enqueue("84901234568", VIETNAMESE, "k2", "balance", "vi")
        status = wait_status(outbox, second, "delivered")
        assert [p.destination for p in restarted.submitted] == ["84901234568"]
        assert status.attempts >= 1 and restarted.binds == ["ivr"]
    finally:
        restarted.stop()


def test_receipt_text_is_read_field_by_field() -> None:
    text = (
        "id:7f3a sub:001 dlvrd:001 submit date:2611221015 done date:2611221016 "
        "stat:DELIVRD err:000 text:So du tai khoan"
    )
    fields = parse_receipt(text)
    assert fields["id"] == "7f3a" and fields["stat"] == "DELIVRD" and fields["err"] == "000"
    assert fields["submit date"] == "2611221015"


def test_a_pdu_declaring_gigabytes_drops_the_connection_unread() -> None:
    """smpplib reads the length a PDU's header declares and keeps all of it: an SMSC (or
    something posing as one) sending a 2 GB header grew the IVR by what it streamed."""
    import socket
    import struct
    import threading

    from ivr.sms.gateway import OutgoingSms, TemporaryFailure

    server = socket.create_server(("127.0.0.1", 0))
    streamed = [0]

    def smsc() -> None:
        conn, _ = server.accept()
        with conn:
            bind = conn.recv(4096)
            sequence = struct.unpack(">I", bind[12:16])[0]
            body = b"fake\0"
            conn.sendall(struct.pack(">IIII", 16 + len(body), 0x80000009, 0, sequence) + body)
            conn.recv(4096)  # submit_sm
            conn.sendall(struct.pack(">IIII", 0x7FFFFFFF, 0x80000004, 0, 2))
            chunk = b"\0" * 65536
            try:
                for _ in range(320):  # 20 MB, unless the gateway closes first
                    conn.sendall(chunk)
                    streamed[0] += len(chunk)
            except OSError:
                pass

    thread = threading.Thread(target=smsc, daemon=True)
    thread.start()
    gateway = SmppGateway("127.0.0.1", server.getsockname()[1], "ivr", "pw", "1900", timeout_s=5)
    message = OutgoingSms(id=1, to="+84901234567", text="hello")
    with pytest.raises(TemporaryFailure):
        gateway.send(message)
    thread.join(timeout=30)
    server.close()
    assert streamed[0] < 8 << 20, f"the gateway read {streamed[0]} bytes of one PDU"
