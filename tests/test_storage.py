"""Database migrations, call records under concurrency, and masking of personal numbers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from ivr.core.db import Database, alembic_config, make_engine, migrate
from ivr.core.models import Base, CallRecord
from ivr.core.privacy import mask_digits_in, mask_number
from ivr.records.calls import CallRecords
from tests.conftest_postgres import both_databases


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    migrate(db_url)
    database = Database(db_url)
    yield database
    database.close()


@both_databases
def test_migrations_match_the_models(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini around: the configuration is built in code
    url = db_url.replace("ivr.db", "new/folder/ivr.db")  # SQLite makes the folders
    migrate(url)
    migrate(url)  # a second upgrade is a no-op
    db = Database(url)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == "0009"
        assert compare_metadata(context, Base.metadata) == []
    db.close()


@both_databases
def test_migrations_go_down_and_up_again(db_url: str) -> None:
    url = db_url
    migrate(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert "call_records" not in inspect(engine).get_table_names()
    migrate(url)
    assert "call_records" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


@both_databases
def test_a_failed_session_is_rolled_back(db: Database) -> None:
    started = datetime.now(UTC)
    row = CallRecord(
        call_id="1.1", started_at=started, flow="f", number_dialled="1", caller="2", entry="new"
    )
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(row)
        session.flush()
        raise RuntimeError("boom")
    with db.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(CallRecord)) == 0


@both_databases
def test_times_are_utc_aware_and_naive_ones_are_refused(db: Database) -> None:
    records = CallRecords(db)
    before = datetime.now(UTC)
    records.start("1.1", "health", "19001234", "0901234567", "new")
    records.finish("1.1", "hangup")
    row = records.get("1.1")
    assert row is not None
    assert row["started_at"].tzinfo == UTC and row["ended_at"].tzinfo == UTC
    assert before <= row["started_at"] <= row["ended_at"] <= datetime.now(UTC)
    with pytest.raises(Exception, match="naive datetime"), db.session() as session:
        session.add(
            CallRecord(
                call_id="1.2",
                started_at=datetime.now(),
                flow="f",
                number_dialled="1",
                caller="2",
                entry="new",
            )
        )


@both_databases
def test_a_call_record_from_start_to_finish(db: Database) -> None:
    records = CallRecords(db)
    records.start("1.1", "health", "19001234", "0901234567", "new")
    first = records.get("1.1")
    assert first is not None
    assert first["path"] == [] and first["ended_at"] is None and first["outcome"] is None
    records.visit("1.1", "choose_language")
    records.set_language("1.1", "vi")
    records.visit("1.1", "agent")
    records.finish("1.1", "queue", queue="insurance")
    # Back from Queue(): the same row goes on.
    records.start("1.1", "health", "19001234", "0901234567", "queue-result")
    resumed = records.get("1.1")
    assert resumed is not None and resumed["ended_at"] is None and resumed["outcome"] is None
    records.visit("1.1", "busy_message")
    records.finish("1.1", "hangup", queue_status="TIMEOUT")
    row = records.get("1.1")
    assert row is not None
    assert row["started_at"] == first["started_at"]
    assert {k: v for k, v in row.items() if k not in ("id", "started_at", "ended_at")} == {
        "call_id": "1.1",
        "flow": "health",
        "number_dialled": "19001234",
        "caller": "0901234567",  # in full in the database
        "language": "vi",
        "path": ["choose_language", "agent", "busy_message"],
        "entry": "new",
        "outcome": "hangup",
        "queue": "insurance",
        "queue_status": "TIMEOUT",
        # filled in by the steps that know them (AI agent, self-service, queue events)
        "handled_by": None,
        "tags": [],
        "self_service": [],
        "category": None,
        "wait_s": None,
        "talk_s": None,
        "node": None,  # no IVR_NODE_ID given
    }
    with db.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(CallRecord)) == 1


def test_updates_of_an_unknown_call_are_logged_without_numbers(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    records = CallRecords(db)
    with caplog.at_level(logging.WARNING):
        records.visit("9.9", "menu")
        records.finish("9.9", "hangup")
    assert records.get("9.9") is None
    assert "call 9.9: no call record to update" in caplog.text


@both_databases
def test_call_records_from_many_threads(db: Database) -> None:
    records = CallRecords(db)

    def call(i: int) -> None:
        call_id = f"100.{i}"
        records.start(call_id, "health", "19001234", f"09{i:08d}", "new")
        for node in ("choose_language", "main_menu", "agent"):
            records.visit(call_id, node)
        records.set_language(call_id, "vi")
        records.finish(call_id, "queue", queue="insurance")
        records.start(call_id, "health", "19001234", f"09{i:08d}", "queue-result")
        records.visit(call_id, "busy_message")
        records.finish(call_id, "hangup", queue_status="TIMEOUT")

    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(call, range(150)))
    for i in range(150):
        row = records.get(f"100.{i}")
        assert row is not None
        assert row["path"] == ["choose_language", "main_menu", "agent", "busy_message"]
        assert (row["outcome"], row["queue"], row["queue_status"]) == (
            "hangup",
            "insurance",
            "TIMEOUT",
        )
        assert row["caller"] == f"09{i:08d}" and row["language"] == "vi"
        assert row["entry"] == "new" and row["ended_at"] is not None
    with db.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(CallRecord)) == 150


@both_databases
def test_two_hundred_calls_writing_at_once(db: Database) -> None:
    records = CallRecords(db)
    barrier = threading.Barrier(200)
    errors: list[BaseException] = []

    def call(i: int) -> None:
        try:
            barrier.wait()
            records.start(f"200.{i}", "health", "19001234", "0901234567", "new")
            records.visit(f"200.{i}", "menu")
            records.finish(f"200.{i}", "hangup")
        except BaseException as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert records.writer.flush(30)  # written by the records thread, in order
    with db.session(readonly=True) as session:
        done = session.scalar(
            select(func.count()).where(CallRecord.outcome == "hangup", CallRecord.path.isnot(None))
        )
        assert done == 200


@both_databases
def test_simultaneous_starts_of_one_call_make_one_row(db: Database) -> None:
    records = CallRecords(db)
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(lambda _: records.start("7.7", "f", "1", "2", "new"), range(20)))
    assert records.writer.flush(10)
    with db.session(readonly=True) as session:
        assert session.scalar(text("SELECT count(*) FROM call_records")) == 1


def test_mask_number() -> None:
    assert mask_number("0901234567") == "******4567"
    assert mask_number("+84901234567") == "********4567"
    assert mask_number("12345") == "*2345"
    assert mask_number("1234") == mask_number("123") == mask_number("1") == "****"
    assert mask_number(None) == "-" and mask_number("") == "-" and mask_number("  ") == "-"


def test_mask_digits_in_free_text() -> None:
    assert mask_digits_in("ID 012345678901 ext 1234 call 0901234567") == (
        "ID ********8901 ext 1234 call ******4567"
    )
    assert mask_digits_in("số tài khoản 12345, PIN 9876") == "số tài khoản *2345, PIN 9876"
    assert mask_digits_in("電話０９０１２３４５６７") == "電話******４５６７"
    assert mask_digits_in("no digits here") == "no digits here"
