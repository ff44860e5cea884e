"""A worker killed with SIGKILL in the middle of a send: the next worker sends it, once.

The kill point is made certain without hooks in the product: the first worker's Kannel URL
points at a socket that accepts the HTTP request and never answers, so the test knows the
worker holds the claim and is inside ``send`` when it kills it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.core.db import Database, migrate
from ivr.core.settings import PROJECT_ROOT
from ivr.sms.outbox import Outbox
from ivr.web import WebServer, make_app
from tests.conftest_kannel import PASSWORD, USER, KannelChain, wait_until

TEXT = "Số dư tài khoản BHXH: 1.250.000 ₫. Thẻ BHYT có giá trị đến 31/12/2026."
NUMBER = "84900000601"


def start_worker(env: dict[str, str], kannel_url: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ivr.cli", "sms", "worker", "--timeout", "1"]
    command += ["--poll", "0.05"]
    return subprocess.Popen(
        command,
        env={**env, "IVR_KANNEL_URL": kannel_url},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def read_request(server: socket.socket) -> bytes:
    """The first HTTP request sent to ``server``, read to its blank line, left unanswered."""
    server.settimeout(15)
    connection, _ = server.accept()
    connection.settimeout(15)
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = connection.recv(4096)
        assert chunk, "the worker closed the connection"
        request += chunk
    return request


@pytest.fixture
def stalled_gateway() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    yield server
    server.close()


def test_a_worker_killed_mid_send_is_replaced_and_the_message_goes_out_once(
    kannel: KannelChain, tmp_path: Path, stalled_gateway: socket.socket
) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.db'}"
    migrate(url)
    database = Database(url)
    web = WebServer(make_app(database)).start()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "IVR_SMS_GATEWAY": "kannel",
        "IVR_KANNEL_USER": USER,
        "IVR_KANNEL_PASSWORD": PASSWORD,
        "IVR_PUBLIC_URL": web.url,
        "IVR_LOG_LEVEL": "INFO",
    }
    outbox = Outbox(database)
    log = tmp_path / "workers.log"
    message_id = outbox.enqueue(NUMBER, TEXT, "call-1:balance", "balance", "vi")
    stalled_url = f"http://127.0.0.1:{stalled_gateway.getsockname()[1]}/cgi-bin/sendsms"
    first = start_worker(env, stalled_url, log)
    second = None
    try:
        request = read_request(stalled_gateway)
        assert request.startswith(b"GET /cgi-bin/sendsms?") and f"to={NUMBER}".encode() in request
        first.send_signal(signal.SIGKILL)  # claimed, inside send, nothing gone to Kannel
        assert first.wait(10) == -signal.SIGKILL
        held = outbox.status(message_id)
        assert held is not None and (held.status, held.attempts) == ("sending", 1)

        second = start_worker(env, kannel.sendsms_url, log)
        wait_until(lambda: kannel.received(NUMBER), "the message at fakesmsc", timeout=20)
        wait_until(
            lambda: getattr(outbox.status(message_id), "status", "") == "delivered",
            "the delivery report",
        )
        status = outbox.status(message_id)
        assert status is not None and status.attempts == 2
        assert [line.text for line in kannel.received(NUMBER)] == [TEXT]  # once, and whole
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, log.read_text()  # a clean stop on SIGTERM
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait()
        web.stop()
        database.close()
    assert NUMBER not in log.read_text()  # the workers' logs mask the number
