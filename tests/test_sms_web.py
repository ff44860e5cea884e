"""The web side: /sms/dlr as Kannel calls it (GET or POST), /healthz, and the server thread."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.core.db import Database, migrate
from ivr.sms.outbox import Outbox
from ivr.web import WebServer, make_app


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'ivr.db'}"
    migrate(url)
    database = Database(url)
    yield database
    database.close()


@pytest.fixture
def web(database: Database) -> Iterator[WebServer]:
    server = WebServer(make_app(database)).start()
    yield server
    server.stop()


def fetch(url: str, body: bytes | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, data=body, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def sent_message(database: Database) -> int:
    outbox = Outbox(database)
    message_id = outbox.enqueue("84901234567", "Số dư: 1.250.000 ₫", "k", "balance", "vi")
    claim = outbox.claim(lease_s=30, max_attempts=3)
    assert claim is not None
    outbox.mark_sent(claim, "kannel", None)
    return message_id


def test_a_report_by_get_is_recorded(web: WebServer, database: Database) -> None:
    message_id = sent_message(database)
    query = f"id={message_id}&type=8&ts=1795399163&reply=ACK%2F&fid="
    assert fetch(f"{web.url}/sms/dlr?{query}") == (200, "ok\n")
    status = Outbox(database).status(message_id)
    assert status is not None and status.status == "sent"
    [report] = status.reports
    assert (report.status, report.code, report.detail) == (
        "accepted",
        "8",
        "reply=ACK/ at 2026-11-23 01:59:23Z",
    )


def test_a_report_by_post_form_is_recorded(web: WebServer, database: Database) -> None:
    message_id = sent_message(database)
    body = f"id={message_id}&type=1&fid=smsc-42".encode()
    assert fetch(f"{web.url}/sms/dlr", body) == (200, "ok\n")
    status = Outbox(database).status(message_id)
    assert status is not None
    assert (status.status, status.gateway_reference) == ("delivered", "smsc-42")


def test_bad_and_unknown_reports_are_refused(web: WebServer, database: Database) -> None:
    message_id = sent_message(database)
    assert fetch(f"{web.url}/sms/dlr?id={message_id}")[0] == 400
    assert fetch(f"{web.url}/sms/dlr?id=abc&type=1")[0] == 400
    assert fetch(f"{web.url}/sms/dlr?id={message_id + 1}&type=1")[0] == 404
    status = Outbox(database).status(message_id)
    assert status is not None and status.reports == ()


def test_healthz_says_the_database_answers(web: WebServer) -> None:
    assert fetch(f"{web.url}/healthz") == (200, '{"status":"ok"}')


def test_port_zero_gives_a_real_port_that_is_freed_on_stop(database: Database) -> None:
    server = WebServer(make_app(database), port=0).start()
    port = server.port
    assert port > 0 and fetch(f"{server.url}/healthz")[0] == 200
    server.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nobody listens any more
