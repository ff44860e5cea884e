"""SMS throughput: messages per second from the outbox through Kannel (and direct SMPP).

Starts a private Kannel chain (bearerbox, smsbox, fakesmsc, as the tests do) on loopback and a
fake SMPP SMSC, queues N messages (half Vietnamese UCS-2, half English GSM) in a SQLite outbox
and times: enqueueing, the last message reaching the SMSC, and the last delivery report
recorded. Usage:
    python bench/sms.py [--messages 200] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.core.db import Database, migrate  # noqa: E402
from ivr.core.settings import Settings  # noqa: E402
from ivr.simulator.smsc import FakeSmsc  # noqa: E402
from ivr.sms.gateway import Gateway  # noqa: E402
from ivr.sms.gateways import make_gateway  # noqa: E402
from ivr.sms.outbox import Outbox  # noqa: E402
from ivr.sms.worker import SmsWorker  # noqa: E402
from ivr.web import WebServer, make_app  # noqa: E402
from tests.conftest_kannel import KannelChain  # noqa: E402

TEXTS = (
    "Số dư tài khoản BHXH: 1.250.000 ₫. Thẻ BHYT có giá trị đến 31/12/2026.",
    "Social insurance balance: 1,250,000 VND. Health cover valid until 31 Dec 2026.",
)


def _wait(done: object, limit_s: float = 120.0) -> float:
    start = time.perf_counter()
    while not done():  # type: ignore[operator]
        if time.perf_counter() - start > limit_s:
            raise SystemExit("timed out")
        time.sleep(0.005)
    return time.perf_counter()


def _run(
    label: str,
    folder: Path,
    settings: Settings,
    workers: int,
    messages: int,
    arrived: object,
    gateway: Callable[[Settings], Gateway | None] = make_gateway,
) -> None:
    url = f"sqlite:///{folder / f'{label}.db'}"
    migrate(url)
    database = Database(url)
    web = WebServer(make_app(database)).start()
    settings = replace(settings, public_url=web.url)
    outbox = Outbox(database)
    start = time.perf_counter()
    for n in range(messages):
        outbox.enqueue(f"8491{n:07d}", TEXTS[n % 2], f"{label}:{n}", "bench", "vi")
    queued = time.perf_counter()
    running = [
        SmsWorker(settings, database, gateway(settings), poll_s=0.01).start()
        for _ in range(workers)
    ]
    at_smsc = _wait(lambda: arrived() >= messages)  # type: ignore[operator]
    reported = _wait(lambda: outbox.counts().get("delivered", 0) >= messages)
    for worker in running:
        worker.stop()
    web.stop()
    sending = at_smsc - queued
    print(
        f"{label:<22} enqueue {messages / (queued - start):7.0f}/s   "
        f"to SMSC {messages / sending:6.1f} msg/s ({sending:5.2f} s)   "
        f"all reports {reported - queued:5.2f} s"
    )
    database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    (folder / "kannel").mkdir()
    chain = KannelChain(folder / "kannel").start()
    try:
        for count in args.workers:
            before = len(chain.lines)
            _run(
                f"kannel, {count} worker(s)",
                folder,
                chain.settings(),
                count,
                args.messages,
                lambda before=before: len(chain.lines) - before,
            )
    finally:
        chain.stop()
    for count in args.workers:
        smsc = FakeSmsc().start()
        settings = replace(Settings(), sms_gateway="smpp", smpp_port=smsc.port)
        settings = replace(settings, smpp_password=smsc.password)
        _run(
            f"smpp, {count} worker(s)",
            folder,
            settings,
            count,
            args.messages,
            lambda smsc=smsc: len(smsc.submitted),
        )
        smsc.stop()


if __name__ == "__main__":
    main()
