"""Test helpers: a running FastAGI + media server with test scripts, and leak counting."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ivr.agi.registry import Script
from ivr.agi.server import FastAgiServer
from ivr.core.media_clock import MediaClock
from ivr.voice.media_server import MediaServer

# The rate of the servers agi_server starts: set per test by conftest's media_rate fixture.
media_rate = 1.0


@contextmanager
def agi_server(
    scripts: dict[str, Callable[[Any], None]],
    services: Any = None,
    rate: float | None = None,
    **options: Any,
) -> Iterator[FastAgiServer]:
    """``rate``: call time per real second (default: the test's, see conftest); ``options``:
    FastAgiServer's limits (max_calls, header_timeout, reply_timeout)."""
    media = MediaServer(port=0, clock=MediaClock(rate or media_rate)).start()
    server = FastAgiServer(
        {n: Script(n, f) for n, f in scripts.items()}, services, media, port=0, **options
    ).start()
    try:
        yield server
    finally:
        server.stop()
        media.stop()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@contextmanager
def no_leaks(settle: float = 3.0) -> Iterator[None]:
    """Threads and file descriptors after the block return to what they were before it."""
    threads, fds = threading.active_count(), open_fds()
    yield
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        if threading.active_count() <= threads and open_fds() <= fds:
            return
        time.sleep(0.05)
    raise AssertionError(
        f"leak: threads {threads} -> {threading.active_count()}, fds {fds} -> {open_fds()}"
    )


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def start_serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], tuple[str, int]]:
    """``ivr serve`` in a process of its own with ``env``, and the FastAGI address it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"FastAGI on ([\d.]+):(\d+)", line)
    assert found, f"ivr serve printed {line!r}"
    return process, (found.group(1), int(found.group(2)))
