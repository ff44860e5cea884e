"""Shared pieces of the AMI tests: a hand-moved clock, a database, a fake Asterisk, waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ivr.ami.client import AmiClient, Backoff
from ivr.core.db import Database, migrate
from ivr.simulator.ami_peer import FakeAmi
from ivr.wire.ami import Message

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 in Ho Chi Minh City
FAST = Backoff(first=0.02, cap=0.2, jitter=0.2)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def database(where: Path | str) -> Database:
    """A migrated database: SQLite in the folder ``where``, or the URL ``where``."""
    url = where if isinstance(where, str) else f"sqlite:///{where / 'ivr.db'}"
    migrate(url)
    return Database(url)


def wait_until(check: Callable[[], object], timeout: float = 5.0) -> None:
    """Poll until ``check()`` is true: the client and peer run in their own threads."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s: {check}")
        time.sleep(0.01)


def client_for(
    peer: FakeAmi,
    on_event: Callable[[Message], None],
    on_connect: Callable[[AmiClient], None] | None = None,
    secret: str | None = None,
) -> AmiClient:
    return AmiClient(
        peer.host,
        peer.port,
        peer.user,
        peer.secret if secret is None else secret,
        on_event,
        on_connect,
        timeout=3.0,
        ping_every=30.0,
        backoff=FAST,
    )
