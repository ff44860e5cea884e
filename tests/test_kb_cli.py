"""``ivr kb ...`` as an admin runs it: a real process, a real (temporary) database."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from ivr.core.settings import PROJECT_ROOT
from tests.kb_samples import write_base


def ivr_kb(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IVR_DATA_DIR": str(data_dir), "IVR_KNOWLEDGE_DIR": str(data_dir / "kb")}
    for name in ("DATABASE_URL", "REDIS_URL", "IVR_KB_THRESHOLD"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", "kb", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=PROJECT_ROOT,
    )


def test_an_admin_loads_searches_edits_and_rolls_back(tmp_path: Path) -> None:
    write_base(tmp_path / "kb")
    loaded = ivr_kb("load", data_dir=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("30 entries new or changed")
    assert ivr_kb("load", data_dir=tmp_path).stdout.startswith("0 entries new or changed")

    found = ivr_kb("search", "the bao hiem bi mat", "--language", "vi", data_dir=tmp_path)
    assert found.returncode == 0, found.stderr
    first = found.stdout.splitlines()[0].split("  ")
    assert first[1:] == ["card-lost", "Tôi bị mất thẻ bảo hiểm y tế thì phải làm gì?"]
    assert 0.35 <= float(first[0]) <= 1
    off = ivr_kb(
        "search", "giá vàng hôm nay", "--language", "vi", "--limit", "1", data_dir=tmp_path
    )
    assert off.stdout.splitlines()[-1].startswith("the agent is not sure: does not answer (fused")

    sheet = tmp_path / "kb.csv"
    exported = ivr_kb("export", str(sheet), data_dir=tmp_path)
    assert exported.stdout.strip() == f"30 entries written to {sheet}"
    with sheet.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        if (row["key"], row["language"]) == ("hotline-hours", "en"):
            row["answer"] = "Operators answer from 8:00 to 17:00."
    with sheet.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    imported = ivr_kb("import", str(sheet), "--by", "lan", data_dir=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == f"1 entries new or changed from {sheet}"

    history = ivr_kb("history", "hotline-hours", "--language", "en", data_dir=tmp_path)
    lines = history.stdout.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["v1", "v2"]
    assert "lan" in lines[1] and lines[1].endswith("Operators answer from 8:00 to 17:00.")

    back = ivr_kb(
        "rollback", "hotline-hours", "--language", "en", "--version", "1", data_dir=tmp_path
    )
    assert back.returncode == 0, back.stderr
    assert back.stdout.strip() == "hotline-hours (en): version 3, as version 1"
    again = ivr_kb("history", "hotline-hours", "--language", "en", data_dir=tmp_path)
    assert again.stdout.splitlines()[2].endswith("7:00 to 17:00, Monday to Friday.")


def test_bad_input_exits_1_with_the_reason(tmp_path: Path) -> None:
    write_base(tmp_path / "kb")
    assert ivr_kb("load", data_dir=tmp_path).returncode == 0
    bad_sheet = tmp_path / "bad.csv"
    bad_sheet.write_text(
        "key,language,category,tags,question,alternates,answer,active\n"
        "new-one,en,hotline,,Fine?,,Yes,1\n"
        "Bad Key,en,hotline,,Why?,,Because,1\n",
        encoding="utf-8",
    )
    cases = [
        (("search", "hello", "--language", "fr"), "language 'fr': one of vi, zh, en"),
        (("search", "  ", "--language", "en"), "nothing to search for"),
        (("import", str(bad_sheet)), "line 3: key 'Bad Key'"),
        (("import", str(tmp_path / "missing.csv")), "No such file"),
        (("history", "no-such-key", "--language", "vi"), "no entry no-such-key (vi)"),
        (("rollback", "card-lost", "--language", "vi", "--version", "7"), "has no version 7"),
        (("load", str(tmp_path / "nowhere")), "no such folder"),
    ]
    for args, reason in cases:
        result = ivr_kb(*args, data_dir=tmp_path)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert reason in result.stderr, (args, result.stderr)
    search = ivr_kb("search", "Fine?", "--language", "en", data_dir=tmp_path)
    assert "new-one" not in search.stdout  # the good row of the bad file was not imported
