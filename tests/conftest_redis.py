"""A real redis-server on a free loopback port, for the tests of shared live state.

A pytest plugin module: tests/conftest.py loads it with ``pytest_plugins``. No skipping: when
redis-server is missing the tests fail and say so (.ci/run installs it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

START_TIMEOUT_S = 10.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(binary: str, folder: Path, fixed: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    """Start redis-server and wait until it answers PING; a port taken meanwhile is retried
    (with ``fixed``, that port only)."""
    log_file = folder / "redis.log"
    for _ in range(1 if fixed else 3):
        port = fixed or _free_port()
        command = [binary, "--port", str(port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
        command += ["--logfile", str(log_file)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    client.ping()
                    return process, url
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        _stop(process)
    log = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
    pytest.fail(f"redis-server did not start (log in {log_file}):\n{log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a private, empty, non-persistent Redis for the whole test session."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).is_file():
        pytest.fail(
            "redis-server is not installed; the live-state tests need a real one "
            "(apt-get install redis-server, as .ci/run does)"
        )
    process, url = _start(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        _stop(process)


class StoppableRedis:
    """A private redis-server a test may stop and start again on the same port, its data
    kept (saved on the way down, loaded on the way up), as after a network outage."""

    def __init__(self, folder: Path) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.process, self.url = _start(self.binary, folder)
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    def stop(self) -> None:
        if self.process.poll() is None:
            client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
            try:
                client.shutdown(save=True)
            except redis.ConnectionError:
                pass  # it closes the connection as it exits
            finally:
                client.close()
        _stop(self.process)

    def start(self) -> None:
        self.process, _ = _start(self.binary, self.folder, self.port)


@pytest.fixture
def stoppable_redis(tmp_path: Path) -> Iterator[StoppableRedis]:
    server = StoppableRedis(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()
