"""Admin web, call flows: an admin's edit changes only what the admin changed. Comments, order,
flow and block lists, quotes and blank lines of dialplans/health_hotline.yaml survive the node
forms; the raw editor keeps the text as typed; publishing refuses a draft that lost a comment
nobody deleted. Through HTTP, on a copy of dialplans/."""

from __future__ import annotations

import difflib
import html
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivr.flow import edit, roundtrip
from tests.admin_client import AdminClient, add_users, signed_in
from tests.test_admin_flows import FILE, PAGE, flows_copy, node_form, route_of


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def _changed(diff: str) -> list[str]:
    """The lines a unified diff removes and adds, without its file header."""
    return [
        line.rstrip("\n")
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _form(admin: AdminClient, node_id: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in node_form(admin.get(PAGE).text, node_id).items()}


def _draft(admin: AdminClient) -> str:
    return str(admin.api("GET", PAGE).json()["text"])


def _started(make_ivr: Any, tmp_path: Path) -> tuple[Any, AdminClient, Path, str]:
    folder = flows_copy(tmp_path)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    return ivr, signed_in(ivr, "admin"), folder, (folder / FILE).read_text(encoding="utf-8")


def test_every_node_form_sent_back_unchanged_leaves_the_file_as_written(
    make_ivr: Any, tmp_path: Path
) -> None:
    _, admin, _, original = _started(make_ivr, tmp_path)
    page = admin.get(PAGE).text
    for node_id in yaml.safe_load(original)["nodes"]:
        form = {k: html.unescape(v) for k, v in node_form(page, node_id).items()}
        saved = admin.api("POST", f"{PAGE}/nodes/{node_id}", data=form)
        assert saved.status_code == 200, (node_id, saved.text)
    assert _draft(admin) == original  # byte for byte, after every node's form was saved
    assert _changed(admin.api("GET", f"{PAGE}/diff?a=published&b=draft").json()["diff"]) == []


# (node, the form's fields changed, the line(s) of the file before, the same lines after)
ONE_VALUE = [
    (  # language: how long to wait for a key
        "choose_language",
        {"timeout": "8"},
        '    options: {"1": vi, "2": zh, "3": en}\n    timeout: 5\n',
        '    options: {"1": vi, "2": zh, "3": en}\n    timeout: 8\n',
    ),
    (  # menu: where a key goes (the issue's edit), in a flow-style mapping with quoted keys
        "main_menu",
        {"target-1": "coverage_info"},
        '    options: {"1": policy_menu, "2": balance, "3": agent_hours}\n',
        '    options: {"1": coverage_info, "2": balance, "3": agent_hours}\n',
    ),
    (  # menu: one more word for a key, in a flow-style list
        "main_menu",
        {"speech-2-en": "balance, my balance, two, account"},
        "        en: [balance, my balance, two]\n",
        "        en: [balance, my balance, two, account]\n",
    ),
    (  # menu: texts it did not have go after their siblings, quoted like them
        "main_menu",
        {"timeout_prompt-vi": "Vui lòng nhấn phím.", "timeout_prompt-zh": "请按键。"}
        | {"timeout_prompt-en": "Please press a key."},
        '      en: "Sorry, that key is not on the menu."\n    on_failure: goodbye\n',
        '      en: "Sorry, that key is not on the menu."\n    timeout_prompt:\n'
        '      vi: "Vui lòng nhấn phím."\n      zh: "请按键。"\n      en: "Please press a key."\n'
        "    on_failure: goodbye\n",
    ),
    (  # prompt: the text, double-quoted as written
        "coverage_info",
        {"prompt-en": "Your card pays 80 to 100 percent of covered care."},
        '      en: "Your card pays 80 to 100 percent of covered doctor visits, medicines and '
        'tests, depending on your group."\n',
        '      en: "Your card pays 80 to 100 percent of covered care."\n',
    ),
    (  # script: where one outcome goes
        "balance",
        {"route-locked": "goodbye"},
        "      locked: agent_hours\n",
        "      locked: goodbye\n",
    ),
    (  # hours: one opening time, in a flow-style list of quoted times
        "agent_hours",
        {"open-times-1": "07:30-12:00"},
        '      sat: ["07:30-11:30"]\n',
        '      sat: ["07:30-12:00"]\n',
    ),
    (  # hours: one more holiday, quoted like the others, the comment above the list kept
        "agent_hours",
        {"holidays": None},  # the form's list plus one date, below
        '      - "2027-09-02"\n    if_open: agent\n',
        '      - "2027-09-02"\n      - "2027-12-25"\n    if_open: agent\n',
    ),
    (  # queue: the wait, with the comment under it kept in place
        "agent",
        {"timeout": "150"},
        "    queue: insurance\n    timeout: 120\n",
        "    queue: insurance\n    timeout: 150\n",
    ),
    (  # queue: where an overflow outcome goes
        "agent",
        {"overflow-KEY1": "queue_callback"},
        "      KEY1: ai_agent\n",
        "      KEY1: queue_callback\n",
    ),
    (  # hangup: what the caller hears last
        "goodbye",
        {"prompt-en": "Thank you for calling. Goodbye."},
        '      en: "Thank you for calling the health insurance hotline. Goodbye."\n',
        '      en: "Thank you for calling. Goodbye."\n',
    ),
]


def test_one_value_changed_by_each_node_type_is_a_diff_of_that_line(
    make_ivr: Any, tmp_path: Path
) -> None:
    _, admin, _, original = _started(make_ivr, tmp_path)
    for node_id, change, before, after in ONE_VALUE:
        form = _form(admin, node_id)
        if change == {"holidays": None}:
            change = {"holidays": form["holidays"] + "\n2027-12-25"}
        saved = admin.post(f"{PAGE}/nodes/{node_id}", {**form, **change})
        assert saved.status_code == 200, (node_id, change, saved.text)
        assert original.count(before) == 1
        expected = original.replace(before, after)
        assert _draft(admin) == expected, (node_id, change)
        diff = admin.api("GET", f"{PAGE}/diff?a=published&b=draft").json()["diff"]
        wanted = difflib.unified_diff(
            original.splitlines(keepends=True), expected.splitlines(keepends=True)
        )
        assert _changed(diff) == _changed("".join(wanted)), (node_id, change)
        assert len(_changed(diff)) <= 5
        assert _comments(_draft(admin)) == _comments(original)
        assert admin.post(f"{PAGE}/discard").status_code == 200


def test_a_new_number_node_then_its_digits(make_ivr: Any, tmp_path: Path) -> None:
    """The one node type the sample has not: added after the last node with a blank line, its
    lists in flow style; then one value changed is one line."""
    _, admin, _, original = _started(make_ivr, tmp_path)
    added = admin.post(f"{PAGE}/nodes", {"node_id": "member_id", "type": "number"})
    assert added.status_code == 422 and "cannot be reached from start" in added.text
    text = _draft(admin)
    node = '\n  member_id:\n    type: number\n    prompt:\n      vi: ""\n      zh: ""\n'
    assert text == original + node + '      en: ""\n    digits: [10]\n'
    form = _form(admin, "member_id")
    assert form["digits"] == "10"
    prompts = {"prompt-vi": "Nhập mã thẻ.", "prompt-zh": "请输入卡号。", "prompt-en": "Your card."}
    admin.post(f"{PAGE}/nodes/member_id", {**form, **prompts, "digits": "10, 12"})
    node = node.replace('vi: ""', 'vi: "Nhập mã thẻ."').replace('zh: ""', 'zh: "请输入卡号。"')
    assert _draft(admin) == original + node + '      en: "Your card."\n    digits: [10, 12]\n'


def test_the_issue_edit_published_is_a_one_line_change_and_in_force(
    make_ivr: Any, tmp_path: Path
) -> None:
    """Main menu key 1 -> coverage_info, save, publish: the next call takes the new route at
    once, and the file differs by that one line: every comment, the header, the flow-style
    lists, the quotes and the blank lines between nodes are as they were."""
    ivr, admin, folder, original = _started(make_ivr, tmp_path)
    form = _form(admin, "main_menu")
    assert admin.post(f"{PAGE}/nodes/main_menu", {**form, "target-1": "coverage_info"})
    published = admin.post(f"{PAGE}/publish", {"note": "key 1: what the card covers"})
    assert published.status_code == 200, published.text
    assert route_of(ivr)[:3] == ["choose_language", "main_menu", "coverage_info"]
    on_disk = (folder / FILE).read_text(encoding="utf-8")
    diff = difflib.unified_diff(original.splitlines(), on_disk.splitlines(), lineterm="")
    assert _changed("\n".join(diff)) == [
        '-    options: {"1": policy_menu, "2": balance, "3": agent_hours}',
        '+    options: {"1": coverage_info, "2": balance, "3": agent_hours}',
    ]
    assert "Check the government's calendar every year.\n    holidays:" in on_disk


def test_the_raw_editor_keeps_the_text_as_typed(make_ivr: Any, tmp_path: Path) -> None:
    """A leading blank line, trailing spaces, odd spacing, no newline at the end: all kept, in
    the draft, in the page's text box (sent back unchanged) and in the published file."""
    _, admin, folder, original = _started(make_ivr, tmp_path)
    typed = "\n# my own header  \n" + original.replace(
        "timeout: 5\n", "timeout:   6   # seconds\n", 1
    ).replace("\n\n  main_menu:", "\n\n\n  main_menu:").rstrip("\n")
    browser = typed.replace("\n", "\r\n")  # what a browser posts from a textarea
    saved = admin.post(f"{PAGE}/save", {"text": browser})
    assert saved.status_code == 200, saved.text
    assert _draft(admin) == typed
    box = re.search(r'<textarea class="code" name="text"[^>]*>(.*?)</textarea>', saved.text, re.S)
    assert box
    shown = html.unescape(box.group(1))
    assert shown.startswith("\n") and shown[1:] == typed  # the parser drops that first newline
    again = admin.post(f"{PAGE}/save", {"text": shown[1:]})
    assert again.status_code == 200 and _draft(admin) == typed
    assert admin.post(f"{PAGE}/publish", {"note": "by hand"}).status_code == 200
    assert (folder / FILE).read_bytes() == typed.encode("utf-8")


def test_publishing_refuses_a_draft_that_lost_comments_nobody_deleted(
    make_ivr: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, admin, folder, original = _started(make_ivr, tmp_path)

    def lossy(data: Any, original: str) -> str:  # the editor as it was: comments lost
        return yaml.safe_dump(roundtrip.meaning(data), allow_unicode=True, sort_keys=False)

    monkeypatch.setattr(edit, "dump", lossy)
    form = _form(admin, "main_menu")
    assert admin.post(f"{PAGE}/nodes/main_menu", {**form, "target-1": "coverage_info"})
    refused = admin.api("POST", f"{PAGE}/publish", json={"note": "lossy"})
    assert refused.status_code == 422
    message = refused.json()["error"]
    assert "was not published" in message and "comment line(s) nobody deleted" in message
    assert "line 1: # Health-insurance hotline" in message and "(and 14 more)" in message
    assert (folder / FILE).read_text(encoding="utf-8") == original
    monkeypatch.undo()
    assert admin.post(f"{PAGE}/discard").status_code == 200

    # the admin deletes a comment in the raw editor: that is the admin's choice
    mine = original.replace(
        "    # What a caller may say instead of pressing the key, per language.\n", ""
    )
    assert admin.post(f"{PAGE}/save", {"text": mine}).status_code == 200
    published = admin.api("POST", f"{PAGE}/publish", json={"note": "mine"})
    assert published.status_code == 200, published.text
    assert (folder / FILE).read_text(encoding="utf-8") == mine


def test_deleting_a_node_with_the_form_takes_its_own_comments_and_publishes(
    make_ivr: Any, tmp_path: Path
) -> None:
    """The notes inside the deleted node go with it; the note that introduces the next node
    stays, and so does the blank line; publishing is not refused for them."""
    _, admin, folder, original = _started(make_ivr, tmp_path)
    hours = _form(admin, "agent_hours")
    admin.post(f"{PAGE}/nodes/agent_hours", {**hours, "if_open": "ai_agent"})
    ai_agent = _form(admin, "ai_agent")
    admin.post(f"{PAGE}/nodes/ai_agent", {**ai_agent, "route-agent": ""})
    admin.post(f"{PAGE}/nodes/queue_callback", {"action": "delete"})  # reached from agent only
    deleted = admin.post(f"{PAGE}/nodes/agent", {"action": "delete"})
    assert deleted.status_code == 200, deleted.text
    text = _draft(admin)
    start = original.index("  agent:\n")
    end = original.index("  # The AI voice agent")
    assert original[start:end] not in text
    assert "    if_closed: closed_message\n\n  # The AI voice agent: answers" in text
    assert "# No agent in time" not in text
    published = admin.api("POST", f"{PAGE}/publish", json={"note": "no queue"})
    assert published.status_code == 200, published.text
    assert (folder / FILE).read_text(encoding="utf-8") == text
