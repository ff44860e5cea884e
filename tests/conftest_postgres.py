"""A real PostgreSQL (Debian's postgresql) with a data directory of its own, for the tests that
must pass on the production database as well as on SQLite.

A pytest plugin module: tests/conftest.py loads it with ``pytest_plugins``. One server for the
whole session (``initdb`` and ``pg_ctl`` into a temporary folder, on a free loopback port, with
its socket in that folder); each test that asks for it gets a database of its own, dropped
afterwards. PostgreSQL refuses to run as root: as root (CI) the server runs as the ``postgres``
user the Debian package creates (``runuser``), in a folder that user owns.

``db_url`` is the database URL fixture the database tests share: SQLite in the test's folder by
default; a test parametrized with ``both_databases`` runs once on each: the embedded defaults,
and the production configuration, where ``live_state`` is a real Redis too (in-process state
beside SQLite). No skipping: when PostgreSQL is missing those tests fail and say so (.ci/run
installs it).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ivr.core.live_state import LiveState, MemoryState, RedisState

START_TIMEOUT_S = 30.0
DRIVER = "postgresql+psycopg"  # psycopg 3 (pyproject: the postgres extra)
# Durability buys nothing in a test run and costs seconds: no fsync, no full pages.
SERVER_OPTIONS = [
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=300",
    "shared_buffers=64MB",
    "log_min_messages=warning",
    "timezone=UTC",
]

# Parametrize ``db_url`` (indirectly): the test runs on SQLite and on PostgreSQL.
both_databases = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def _binaries() -> Path:
    """The folder of pg_ctl and initdb: Debian keeps them per version, off PATH."""
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if versions:
        return Path(versions[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    pytest.fail(
        "PostgreSQL is not installed; the database tests need a real one "
        "(apt-get install postgresql, as .ci/run does)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A private PostgreSQL: ``start()``, ``url(name)``, ``create()``, ``stop()``."""

    def __init__(self) -> None:
        self.bin = _binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="ivr-postgres-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = 0
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # "initdb: cannot be run as root"
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres", "postgres")
        self._names = itertools.count(1)

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self.as_user, *command], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}\n{log}")

    def start(self) -> PostgresServer:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        for _ in range(3):  # a port taken between choosing it and binding it: another one
            self.port = _free_port()
            options = f"-p {self.port} -h 127.0.0.1 -k {self.folder} "
            options += " ".join(f"-c {option}" for option in SERVER_OPTIONS)
            done = subprocess.run(
                [
                    *self.as_user,
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(START_TIMEOUT_S)),
                    "start",
                ],
                capture_output=True,
                text=True,
            )
            if done.returncode == 0:
                return self
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        pytest.fail(f"PostgreSQL did not start (log in {self.log}):\n{done.stderr}\n{log}")

    def url(self, database: str = "postgres") -> str:
        return f"{DRIVER}://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def create(self) -> str:
        """A new empty database; its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate"]
            + ["stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database on the session's PostgreSQL, dropped after the test."""
    url = postgres_server.create()
    try:
        yield url
    finally:
        postgres_server.drop(url)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite in the test's folder, or (``both_databases``) PostgreSQL."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ivr.db'}"
        return
    assert kind == "postgresql", kind
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create()
    try:
        yield url
    finally:
        started = time.monotonic()
        while True:  # a test's engine may still be closing its connections
            try:
                server.drop(url)
                break
            except Exception:
                if time.monotonic() - started > 10:
                    raise
                time.sleep(0.2)


@pytest.fixture
def live_state(request: pytest.FixtureRequest, db_url: str) -> Iterator[LiveState]:
    """The live state that goes with ``db_url``: in-process beside SQLite, a real Redis (keys
    of this test only) beside PostgreSQL, as in production."""
    if db_url.startswith("sqlite"):
        yield MemoryState()
        return
    url = request.getfixturevalue("redis_server")
    state = RedisState(url, prefix=f"test-{time.monotonic_ns()}:")
    try:
        yield state
    finally:
        state.close()


@pytest.fixture
def backing(request: pytest.FixtureRequest, db_url: str) -> dict[str, str]:
    """``make_ivr`` settings for ``db_url``: none beside SQLite (the embedded defaults);
    PostgreSQL and a real, emptied Redis otherwise (the production configuration)."""
    if db_url.startswith("sqlite"):
        return {}
    import redis

    url = request.getfixturevalue("redis_server")
    redis.Redis.from_url(url).flushdb()
    return {"database_url": db_url, "redis_url": url}
