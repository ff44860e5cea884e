"""Shared fixtures: a real IVR (FastAGI + AudioSocket) on loopback, with a chosen clock.

Simulated calls run faster than real time (``ivr.core.media_clock``): the IVR of ``make_ivr`` and
of ``wire_helpers.agi_server`` runs at ``TEST_MEDIA_RATE``, and every simulated call passes
the rate of the server it calls. A test whose subject is real time is marked ``realtime`` and
gets rate 1. ``IVR_TEST_MEDIA_RATE`` runs the suite at another rate (1: all in real time).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.app import RunningIvr, build_services, start
from ivr.core.media_clock import SIMULATION_RATE
from ivr.core.settings import PROJECT_ROOT, Settings
from tests import wire_helpers

pytest_plugins = [
    "tests.conftest_redis",
    "tests.conftest_postgres",
    "tests.conftest_kannel",
    "tests.browser",
]

# Monday 2026-11-23 09:00 and Sunday 2026-11-22 10:00 in Asia/Ho_Chi_Minh (UTC+7).
OPEN = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CLOSED = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SAMPLE_FLOWS = PROJECT_ROOT / "dialplans"
TEST_MEDIA_RATE = float(os.environ.get("IVR_TEST_MEDIA_RATE", SIMULATION_RATE))


@pytest.fixture(autouse=True)
def media_rate(request: pytest.FixtureRequest) -> Iterator[float]:
    """Call time per real second of this test's IVRs: 1 for a ``realtime`` test."""
    rate = 1.0 if request.node.get_closest_marker("realtime") else TEST_MEDIA_RATE
    wire_helpers.media_rate = rate
    yield rate
    wire_helpers.media_rate = 1.0


@pytest.fixture(scope="session")
def prompts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prompt cache for the whole run: each prompt is synthesized once."""
    return tmp_path_factory.mktemp("audio_prompts")


@pytest.fixture
def make_ivr(
    tmp_path: Path, prompts_dir: Path, media_rate: float
) -> Iterator[Callable[..., RunningIvr]]:
    started: list[RunningIvr] = []

    def _make(
        clock: datetime = OPEN,
        dialplans: Path = SAMPLE_FLOWS,
        redis_url: str = "",
        **overrides: object,
    ) -> RunningIvr:
        values: dict[str, object] = {
            "agi_port": 0,
            "media_port": 0,
            "http_port": 0,
            "sms_gateway": "none",  # messages stay in the outbox unless a test sends them
            "data_dir": tmp_path / f"var{len(started)}",
            "dialplans_dir": dialplans,
            "prompts_dir": prompts_dir,
            "redis_url": redis_url,
            "media_rate": media_rate,
        }
        settings = replace(Settings(), **{**values, **overrides})  # type: ignore[arg-type]
        services = build_services(settings)
        # the dense index is built in the background (from the shipped vectors: about a second
        # the first time in a process, for the encoders); a test decides with it, not racing it
        services.kb.wait_ready(120)
        services.clock = lambda: clock
        running = start(settings, services)
        started.append(running)
        return running

    yield _make
    for running in started:
        running.stop()
