"""``ivr sms send`` and ``ivr sms status``: an admin queues a message and looks it up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ivr.core.settings import PROJECT_ROOT


def ivr_sms(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IVR_DATA_DIR": str(data_dir), "IVR_SMS_GATEWAY": "none"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", "sms", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=PROJECT_ROOT,
    )


def test_an_admin_queues_a_message_and_reads_its_status(tmp_path: Path) -> None:
    text = "Thử nghiệm: tổng đài 1900"
    sent = ivr_sms("send", "--to", "84901234567", "--text", text, "--key", "t1", data_dir=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "sms 1 queued for *******4567 (key t1)"
    again = ivr_sms("send", "--to", "84901234567", "--text", text, "--key", "t1", data_dir=tmp_path)
    assert again.stdout.startswith("sms 1 queued")  # the same key: the same message
    status = ivr_sms("status", "1", data_dir=tmp_path)
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[0] == "sms 1 (admin): queued, 0 attempt(s)"
    assert ivr_sms("status", "2", data_dir=tmp_path).returncode == 1


def test_a_bad_number_is_refused_and_a_worker_without_gateway_does_not_start(
    tmp_path: Path,
) -> None:
    bad = ivr_sms("send", "--to", "not-a-number", "--text", "hi", data_dir=tmp_path)
    assert bad.returncode == 2 and "not a mobile number" in bad.stderr
    worker = ivr_sms("worker", data_dir=tmp_path)
    assert worker.returncode == 2 and "IVR_SMS_GATEWAY=none" in worker.stderr
