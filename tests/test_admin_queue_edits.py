"""Admin web, queue settings: a save changes only the lines of the settings the admin changed.
Comments, order, flow-style lists and quotes of queues/*.yaml survive; the form saved unchanged
writes nothing. Through HTTP, on a copy of queues/ and asterisk/etc in tmp_path."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivr.core.settings import PROJECT_ROOT
from ivr.flow import roundtrip
from ivr.queues import saving
from tests.admin_client import signed_in
from tests.test_admin_queues import _form, _start

SETTINGS = "/admin/queues/{}/settings"
VI = (
    "Tất cả tư vấn viên đang bận. Nhấn phím 1 để được trợ lý tự động hỗ trợ ngay, hoặc phím 2 "
    "để chúng tôi gọi lại cho quý khách."
)
STATUSES = ["TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "LONGWAIT"]

# (the form's field, its new value, the lines of queues/insurance.yaml it removes and adds)
ONE_SETTING: list[tuple[str, Any, list[str]]] = [
    (
        "description",
        "Health insurance questions, in Vietnamese",
        [
            "-description: Health and social insurance questions, Vietnamese-speaking callers",
            "+description: Health insurance questions, in Vietnamese",
        ],
    ),
    ("strategy", "leastrecent", ["-strategy: rrmemory", "+strategy: leastrecent"]),
    ("members", "agent1001", ["-members: [agent1001, agent1002]", "+members: [agent1001]"]),
    (
        "dynamic_members",
        "agent1004, agent1003",
        ["-dynamic_members: [agent1004]", "+dynamic_members: [agent1004, agent1003]"],
    ),
    ("ring_timeout", "25", ["-ring_timeout: 20", "+ring_timeout: 25"]),
    ("retry", "6", ["-retry: 5", "+retry: 6"]),
    ("wrapup", "15", ["-wrapup: 10", "+wrapup: 15"]),
    ("max_wait", "150", ["-max_wait: 120", "+max_wait: 150"]),
    ("max_length", "25", ["-max_length: 20", "+max_length: 25"]),
    ("announcements.position", "no", ["-  position: yes", "+  position: no"]),
    ("announcements.hold_time", "no", ["-  hold_time: once", '+  hold_time: "no"']),
    ("announcements.frequency", "90", ["-  frequency: 60", "+  frequency: 90"]),
    ("announcements.periodic.every", "30", ["-    every: 45", "+    every: 30"]),
    (
        "announcements.periodic.text.vi",
        "Xin vui lòng chờ.",
        [f'-      vi: "{VI}"', '+      vi: "Xin vui lòng chờ."'],
    ),
    (
        "announcements.periodic.text.en",
        "All agents are busy: please hold.",
        ['+      en: "All agents are busy: please hold."'],
    ),
    ("overflow.predicted_wait", "420", ["-  predicted_wait: 300", "+  predicted_wait: 420"]),
    (
        "overflow.to_ai_agent",
        STATUSES[:-1],
        [
            f"-  to_ai_agent: [{', '.join(STATUSES)}]",
            f"+  to_ai_agent: [{', '.join(STATUSES[:-1])}]",
        ],
    ),
]


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def _changed(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
    return [x for x in diff if x[:1] in "+-" and not x.startswith(("+++", "---"))]


def test_each_setting_changed_alone_is_a_diff_of_its_line(make_ivr: Any, tmp_path: Path) -> None:
    ivr = _start(make_ivr, tmp_path, None)
    admin = signed_in(ivr, "admin")
    path = tmp_path / "site" / "queues" / "insurance.yaml"
    original = path.read_text(encoding="utf-8")
    for name, value, lines in ONE_SETTING:
        form = _form(admin.get(SETTINGS.format("insurance")).text)
        saved = admin.post(SETTINGS.format("insurance"), form | {name: value})
        assert saved.status_code == 200 and "Nothing changed" not in saved.text, (name, saved.text)
        written = path.read_text(encoding="utf-8")
        assert _changed(original, written) == lines, name
        assert _comments(written) == _comments(original), name
        path.write_text(original, encoding="utf-8")  # the next setting starts from the sample


def test_each_sample_queue_saved_unchanged_is_written_as_it_was(
    make_ivr: Any, tmp_path: Path
) -> None:
    ivr = _start(make_ivr, tmp_path, None)
    admin = signed_in(ivr, "admin")
    for file in sorted((PROJECT_ROOT / "queues").glob("*.yaml")):
        path = tmp_path / "site" / "queues" / file.name
        before = path.read_bytes()
        page = admin.get(SETTINGS.format(file.stem))
        assert page.status_code == 200, file.name
        same = admin.post(SETTINGS.format(file.stem), _form(page.text))
        assert same.status_code == 200 and "Nothing changed" in same.text, file.name
        assert path.read_bytes() == before == file.read_bytes(), file.name


def test_a_setting_removed_keeps_the_comments_around_it(make_ivr: Any, tmp_path: Path) -> None:
    """No periodic announcement and no static members: their lines go, the comment above the
    members ("Static members ring ...") and those around the overflow stay."""
    ivr = _start(make_ivr, tmp_path, None)
    admin = signed_in(ivr, "admin")
    path = tmp_path / "site" / "queues" / "insurance.yaml"
    original = path.read_text(encoding="utf-8")
    form = _form(admin.get(SETTINGS.format("insurance")).text)
    gone = {"announcements.periodic.every": "", "members": "", "overflow.predicted_wait": ""}
    saved = admin.post(SETTINGS.format("insurance"), form | gone)
    assert saved.status_code == 200, saved.text
    written = path.read_text(encoding="utf-8")
    assert _changed(original, written) == [
        "-members: [agent1001, agent1002]",
        "-  periodic:",
        "-    every: 45",
        "-    text:",
        f'-      vi: "{VI}"',
        "-  predicted_wait: 300",
    ]
    assert _comments(written) == _comments(original)


def test_a_save_that_would_lose_a_comment_is_refused(
    make_ivr: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Belt and braces: were the writing to lose comments (as it once did), nothing is written."""

    def lossy(original: str, data: Any) -> str:
        return yaml.safe_dump(roundtrip.meaning(data), allow_unicode=True, sort_keys=False)

    monkeypatch.setattr(saving, "queue_text", lossy)
    ivr = _start(make_ivr, tmp_path, None)
    admin = signed_in(ivr, "admin")
    path = tmp_path / "site" / "queues" / "insurance.yaml"
    original = path.read_text(encoding="utf-8")
    form = _form(admin.get(SETTINGS.format("insurance")).text)
    refused = admin.post(SETTINGS.format("insurance"), form | {"ring_timeout": "25"})
    assert refused.status_code == 422
    assert "the save would lose the comment &#39;# Static members ring whenever" in refused.text
    assert path.read_text(encoding="utf-8") == original
