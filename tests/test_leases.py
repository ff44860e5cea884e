"""Leases in the shared database: one holder at a time, taken over when the holder stops
renewing, given back at a clean stop; on SQLite and PostgreSQL (two ``ivr serve`` nodes on one
PostgreSQL are in tests/test_nodes.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import OperationalError

from ivr.core.db import Database, migrate
from ivr.core.leases import SMS_OUTBOX, Leases
from tests.conftest_postgres import both_databases
from tests.wire_helpers import wait_until


class Wall:
    """The nodes' epoch clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    migrate(db_url)
    database = Database(db_url)
    yield database
    database.close()


@both_databases
def test_one_holder_until_it_stops_renewing_then_the_next_node(db: Database) -> None:
    wall = Wall()
    a = Leases(db, "node-a", (SMS_OUTBOX,), ttl_s=6.0, wall=wall)
    b = Leases(db, "node-b", (SMS_OUTBOX,), ttl_s=6.0, wall=wall)
    assert a.take(SMS_OUTBOX) == 1
    assert b.take(SMS_OUTBOX) is None
    wall.now += 5.9
    assert a.take(SMS_OUTBOX) == 1  # renewed: its own, same generation
    wall.now += 5.9
    assert b.take(SMS_OUTBOX) is None  # 5.9 s after the renewal: still a's
    wall.now += 0.2  # a stopped renewing 6.1 s ago
    assert b.take(SMS_OUTBOX) == 2
    assert a.take(SMS_OUTBOX) is None  # a woke up: too late, b holds it
    assert b.holders()[SMS_OUTBOX][0] == b.holder and b.holder.startswith("node-b/")


@both_databases
def test_a_clean_stop_gives_the_lease_back_at_once(db: Database) -> None:
    a = Leases(db, "node-a", (SMS_OUTBOX,), ttl_s=30.0).start()
    b = Leases(db, "node-b", (SMS_OUTBOX,), ttl_s=30.0)
    assert a[SMS_OUTBOX].held and b.take(SMS_OUTBOX) is None
    a.stop()
    assert not a[SMS_OUTBOX].held
    assert b.take(SMS_OUTBOX) == 2  # not 30 s later


@both_databases
def test_nodes_racing_for_a_free_lease_get_one_holder(db: Database) -> None:
    nodes = [Leases(db, f"node-{n}", (SMS_OUTBOX,), ttl_s=6.0) for n in range(12)]
    start = threading.Barrier(len(nodes))
    won: list[str] = []

    def race(node: Leases) -> None:
        start.wait()
        for _ in range(5):  # the free row, then renewals and takeovers racing each other
            if node.take(SMS_OUTBOX) is not None:
                won.append(node.holder)

    threads = [threading.Thread(target=race, args=(node,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(won)) == 1, won


def test_a_holder_cut_off_from_the_database_stops_working_before_anyone_may_take_over(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(db_url)
    db = Database(db_url)
    seen: list[bool] = []
    a = Leases(db, "node-a", (SMS_OUTBOX,), ttl_s=1.2)
    a[SMS_OUTBOX].listeners.append(seen.append)
    a.start()
    try:
        assert a[SMS_OUTBOX].held and seen == [True]
        took = time.monotonic()

        def away(name: str) -> int | None:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

        monkeypatch.setattr(a, "take", away)
        assert wait_until(lambda: not a[SMS_OUTBOX].held, 3)
        # the lease ends for this node a margin before it ends for the others (ttl_s)
        assert time.monotonic() - took < 1.2
        assert wait_until(lambda: seen == [True, False], 2)  # told at its next renewal
        monkeypatch.undo()
        assert wait_until(lambda: a[SMS_OUTBOX].held, 3) and seen == [True, False, True]
    finally:
        a.stop()
        db.close()
