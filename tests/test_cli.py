"""The product's commands: `ivr call`, `ivr flows check`, `ivr agi` (classic AGI)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivr.simulator.caller import HangUp, Press
from ivr.simulator.simulator import SimulatedCall
from tests.conftest import OPEN, SAMPLE_FLOWS
from tests.test_sample_flow import KEY_OF, LANGUAGE, MAIN, NUMBER, POLICY


def ivr_command(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``ivr ...`` in a process whose clock reads the tests' Monday morning, not today."""
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "IVR_CLOCK": OPEN.isoformat(), **(env or {})},
    )


@pytest.fixture
def taken_ports() -> Iterator[dict[str, str]]:
    """Three ports something else listens on, as the IVR's port settings would name them."""
    held = [socket.create_server(("127.0.0.1", 0)) for _ in range(3)]
    names = ("IVR_AGI_PORT", "IVR_MEDIA_PORT", "IVR_HTTP_PORT")
    yield {name: str(sock.getsockname()[1]) for name, sock in zip(names, held, strict=True)}
    for sock in held:
        sock.close()


def test_ivr_call_local_prints_the_transcript(
    tmp_path: Path, prompts_dir: Path, taken_ports: dict[str, str]
) -> None:
    # the configured ports are busy (an `ivr serve` runs): a local call uses ports of its own
    env = {"IVR_DATA_DIR": str(tmp_path), "IVR_PROMPTS_DIR": str(prompts_dir), **taken_ports}
    done = ivr_command(
        "call", NUMBER, "--local", "--dtmf", f"{KEY_OF['en']},1,9", "--hangup", "0.5", env=env
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"route: {LANGUAGE.id} > {MAIN.id} > {POLICY.id} > {MAIN.id}" in out
    assert f'ivr: say "{MAIN.prompt["en"]}"' in out
    assert "caller   pressed 1" not in out or "AudioSocket" in out
    assert "AudioSocket: heard" in out and "caller pressed 9" in out
    assert "AGISTATUS: HANGUP" in out


@pytest.mark.parametrize("setting", ["IVR_AGI_PORT", "IVR_MEDIA_PORT", "IVR_HTTP_PORT"])
def test_serve_with_a_port_in_use_says_which_setting_to_change(
    tmp_path: Path, taken_ports: dict[str, str], setting: str
) -> None:
    ports = {name: "0" for name in taken_ports} | {setting: taken_ports[setting]}
    env = {"IVR_DATA_DIR": str(tmp_path), "IVR_ASR": "vi=vosk", **ports}
    done = ivr_command("serve", env=env)
    assert done.returncode == 2, done.stderr
    problem = [line for line in done.stderr.splitlines() if "ivr: cannot start" in line]
    assert problem == [
        f"ivr: cannot start: 127.0.0.1:{taken_ports[setting]} is already in use "
        f"(another `ivr serve`?): set {setting} to a free port"
    ]
    assert "Traceback" not in done.stderr


def test_flows_check_reports_line_numbers(tmp_path: Path) -> None:
    shutil.copy(SAMPLE_FLOWS / "health_hotline.yaml", tmp_path / "a.yaml")
    good = ivr_command("flows", "check", str(tmp_path))
    assert good.returncode == 0 and "ok" in good.stdout
    text = (tmp_path / "a.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(text) if t.strip().startswith("next:"))
    text[line] = text[line].replace("next:", "nxt:")
    (tmp_path / "a.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    bad = ivr_command("flows", "check", str(tmp_path))
    assert bad.returncode == 1
    assert f"a.yaml:{line + 1}:" in bad.stdout and "nxt" in bad.stdout


def test_flows_check_warns_when_the_holidays_ran_out(tmp_path: Path) -> None:
    shutil.copy(SAMPLE_FLOWS / "health_hotline.yaml", tmp_path / "a.yaml")
    now = ivr_command("flows", "check", str(tmp_path))  # the tests' clock: November 2026
    assert now.returncode == 0 and "warning" not in now.stdout
    later = ivr_command("flows", "check", str(tmp_path), env={"IVR_CLOCK": "2028-01-03T09:00Z"})
    assert later.returncode == 0, "a warning is not an error"
    assert (
        f"warning: {tmp_path / 'a.yaml'}: node agent_hours: no holiday in the coming 12 months "
        "(the last is 2027-09-02): add next year's public holidays"
    ) in later.stdout.splitlines()
    wrong = ivr_command("flows", "check", str(tmp_path), env={"IVR_CLOCK": "tomorrow"})
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert wrong.stderr.startswith("ivr: IVR_CLOCK must be a date and time with its offset")


def test_edited_flow_takes_effect_on_the_next_call(make_ivr: Any, tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(SAMPLE_FLOWS / "health_hotline.yaml", flows / "health_hotline.yaml")
    ivr = make_ivr(dialplans=flows)
    before = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        [Press(KEY_OF["en"]), HangUp(delay=0.3)],
        rate=ivr.media.clock.rate,
    ).run()
    assert MAIN.prompt["en"] in " ".join(before.kinds("ivr"))
    path = flows / "health_hotline.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(MAIN.prompt["en"], "Edited main menu."), "utf-8"
    )
    after = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        [Press(KEY_OF["en"]), HangUp(delay=0.3)],
        rate=ivr.media.clock.rate,
    ).run()
    assert 'ivr: say "Edited main menu."' in after.kinds("ivr")
    # a broken edit is refused: calls keep the last valid flows
    path.write_text("flow: [broken\n", encoding="utf-8")
    kept = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        [Press(KEY_OF["en"]), HangUp(delay=0.3)],
        rate=ivr.media.clock.rate,
    ).run()
    assert 'ivr: say "Edited main menu."' in kept.kinds("ivr")


def test_classic_agi_runs_the_same_flow(
    tmp_path: Path, prompts_dir: Path, media_rate: float
) -> None:
    env = {
        "IVR_DATA_DIR": str(tmp_path),
        "IVR_PROMPTS_DIR": str(prompts_dir),
        "IVR_LOG_LEVEL": "WARNING",
        "IVR_MEDIA_RATE": str(media_rate),
    }
    os.environ.update(env)  # the AGI process inherits the simulator's environment
    try:
        classic = [sys.executable, "-m", "ivr.cli", "agi"]
        call = SimulatedCall(
            classic,
            NUMBER,
            [Press(KEY_OF["vi"]), Press("1"), Press("9"), HangUp(delay=0.4)],
            rate=media_rate,
        )
        result = call.run(timeout=60)
    finally:
        for key in env:
            os.environ.pop(key)
    assert result.route == [LANGUAGE.id, MAIN.id, POLICY.id, MAIN.id]
    assert "SIGHUP to the AGI process" in result.kinds("reply")
    assert result.agi_status == ["HANGUP"]
