"""`ivr evaluate`: recordings played through a local IVR's real call path, counted by verdict."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from ivr.evaluation.cases import Case, CaseError, Outcome, read_cases
from ivr.evaluation.noise import add_noise, speech_power
from ivr.simulator.caller import speech
from tests.conftest import OPEN

DIGITS = Path("/usr/share/asterisk/sounds/en/digits")


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(pcm)


def digit_string(digits: str) -> bytes:
    """Asterisk's own recordings of a person reading digits, with short pauses."""
    pause = b"\0\0" * 2400
    parts = []
    for digit in digits:
        with wave.open(str(DIGITS / f"{digit}.wav")) as recording:
            parts.append(recording.readframes(recording.getnframes()))
    return pause.join(parts)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_wav(tmp_path / "number.wav", digit_string("4072"))
    write_wav(tmp_path / "balance.wav", speech("I would like to know my balance please"))
    write_wav(tmp_path / "weather.wav", speech("what will the weather be like tomorrow"))
    rows = [
        "file\tlanguage\tkind\texpected\tcontext",
        "number.wav\ten\tdigits\t4072\t",
        "balance.wav\ten\tmenu\t2\thealth_hotline:main_menu",
        "weather.wav\ten\tmenu\tnone\thealth_hotline:main_menu",
    ]
    (tmp_path / "expected.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path


@pytest.mark.slow
def test_recordings_are_counted_per_language_kind_and_line(
    folder: Path, tmp_path: Path, prompts_dir: Path
) -> None:
    env = {
        **os.environ,
        "IVR_DATA_DIR": str(tmp_path / "var"),
        "IVR_PROMPTS_DIR": str(prompts_dir),
        "IVR_CLOCK": OPEN.isoformat(),
        "IVR_ASR": "en=whisper",
    }
    done = subprocess.run(
        [sys.executable, "-m", "ivr.cli", "evaluate", str(folder), "--verbose"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "number.wav\tclean\t4072\t4072\tright" in lines
    assert "balance.wav\tclean\t2\t2\tright" in lines
    assert "weather.wav\tclean\tnone\tnone\tright" in lines
    header = next(line for line in lines if line.startswith("language"))
    assert header.split()[:4] == ["language", "kind", "line", "n"]
    menu = next(line for line in lines if line.startswith("en       menu"))
    assert menu.split()[:5] == ["en", "menu", "clean", "2", "2"]  # 2 cases, 2 right


def test_a_bad_table_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "expected.tsv").write_text(
        "file\tlanguage\tkind\texpected\nmissing.wav\ten\tdigits\t12\n", encoding="utf-8"
    )
    with pytest.raises(CaseError, match=r"expected.tsv:2: no file 'missing.wav'"):
        read_cases(tmp_path)
    write_wav(tmp_path / "a.wav", b"\0\0" * 800)
    (tmp_path / "expected.tsv").write_text(
        "file\tlanguage\tkind\texpected\na.wav\ten\tmenu\t1\n", encoding="utf-8"
    )
    with pytest.raises(CaseError, match="expected.tsv:2: a menu row names its flow and node"):
        read_cases(tmp_path)


def test_verdicts() -> None:
    case = Case(Path("a.wav"), "en", "menu", "2", "f:m")
    none = Case(Path("b.wav"), "en", "menu", "none", "f:m")
    assert Outcome(case, "2").verdict == "right"
    assert Outcome(case, "3").verdict == "wrong"
    assert Outcome(case, "none").verdict == "rejected"
    assert Outcome(case, "confirm:2").verdict == "confirm"
    assert Outcome(none, "none").verdict == "right"
    assert Outcome(none, "1").verdict == "accepted"


def test_noise_is_mixed_at_the_asked_ratio() -> None:
    import numpy as np

    clean = speech("balance")
    noisy = add_noise(clean, 12.0)
    signal = np.frombuffer(clean, dtype="<i2").astype(np.float64)
    noise = np.frombuffer(noisy, dtype="<i2").astype(np.float64) - signal
    snr = 10 * np.log10(speech_power(signal) / np.mean(noise**2))
    assert 11.0 < snr < 13.0
