"""Flow files: the sample loads; each mistake an admin can make is reported at its line."""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.agi_scripts import script_outcomes
from ivr.core.languages import LANGUAGES
from ivr.flow.hours import is_open
from ivr.flow.loader import FlowError, Problem, check_text, load_flow, load_flows
from ivr.flow.model import (
    Bands,
    Flow,
    HoursNode,
    LanguageNode,
    MenuNode,
    NumberNode,
    PromptNode,
    QueueNode,
    ScriptNode,
)

DIALPLANS = Path(__file__).resolve().parent.parent / "dialplans"
SAMPLE = DIALPLANS / "health_hotline.yaml"
SCRIPTS = script_outcomes()  # the registered scripts and their outcomes

BASE = """\
flow: tiny
numbers: ["100"]
languages: [vi, en]
default_language: vi
timezone: Asia/Ho_Chi_Minh
start: pick
nodes:
  pick:
    type: language
    prompt: {vi: "Tiếng Việt, nhấn 1.", en: "English, press 2."}
    options: {"1": vi, "2": en}
    next: menu
  menu:
    type: menu
    prompt: {vi: "Nhấn 1 hoặc 2.", en: "Press 1 or 2."}
    options: {1: info, "2": hours}
    on_failure: bye
  info:
    type: prompt
    prompt: {vi: "Thông tin.", en: "Information."}
    next: menu
  hours:
    type: hours
    open:
      mon-fri: ["08:00-17:00"]
    holidays: ["2026-09-02"]
    if_open: agent
    if_closed: bye
  agent:
    type: queue
    queue: insurance
    on_overflow: bye
    overflow: {TIMEOUT: bye}
  bye:
    type: hangup
    prompt: {vi: "Tạm biệt.", en: "Goodbye."}
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]


def load_text(text: str) -> Flow:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "tiny.yaml"
        path.write_text(text, encoding="utf-8")
        return load_flow(path)


def only_problem(text: str, known_scripts: Collection[str] | None = None) -> Problem:
    problems = check_text(text, "dialplans/tiny.yaml", known_scripts)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# -- valid flows --------------------------------------------------------------------------------


def test_the_sample_flow_loads() -> None:
    flow = load_flow(SAMPLE, known_scripts=SCRIPTS)
    assert flow.id == "health_hotline" and flow.source == str(SAMPLE)
    assert flow.numbers == ("19001234", "02838001234")
    assert flow.languages == LANGUAGES and flow.default_language == "vi"
    choose = flow.node(flow.start)
    assert isinstance(choose, LanguageNode) and choose.options == {"1": "vi", "2": "zh", "3": "en"}
    main = flow.node(choose.next)
    assert isinstance(main, MenuNode) and set(main.options) == {"1", "2", "3"}
    balance = flow.node(main.options["2"])
    assert isinstance(balance, ScriptNode) and balance.script == "balance"
    assert balance.route_for("menu") == main.id and balance.route_for("locked") == "agent_hours"
    policy = flow.node(main.options["1"])
    assert isinstance(policy, MenuNode) and policy.options["9"] == main.id
    infos = [flow.node(policy.options[key]) for key in "123"]
    assert all(isinstance(info, PromptNode) and info.next == policy.id for info in infos)
    hours = flow.node(main.options["3"])
    assert isinstance(hours, HoursNode)
    queue = flow.node(hours.if_open)
    assert isinstance(queue, QueueNode) and (queue.queue, queue.timeout) == ("insurance", 120)
    ai_agent = flow.node(queue.route_for("TIMEOUT"))  # overflow: the AI voice agent answers
    assert isinstance(ai_agent, ScriptNode) and ai_agent.script == "ai_agent"
    assert ai_agent.route_for("agent") == queue.id
    assert queue.route_for("JOINEMPTY") == queue.route_for("LONGWAIT") == ai_agent.id
    assert queue.route_for("KEY1") == ai_agent.id
    callback = flow.node(queue.route_for("KEY2"))
    assert isinstance(callback, ScriptNode) and callback.script == "callback"
    closed = flow.node(hours.if_closed)  # after hours: the opening hours, then the AI agent
    assert isinstance(closed, PromptNode) and closed.next == ai_agent.id
    assert check_text(SAMPLE.read_text(encoding="utf-8"), "x.yaml", known_scripts=SCRIPTS) == []
    texts = flow.prompt_texts()
    assert len(texts) == len(set(texts)) and {lang for lang, _ in texts} == {"vi", "zh", "en"}
    assert all(text.strip() for _, text in texts)
    with pytest.raises(KeyError, match="no node 'nowhere'"):
        flow.node("nowhere")


def test_the_sample_hours() -> None:
    hours = load_flow(SAMPLE).node("agent_hours")
    assert isinstance(hours, HoursNode)
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    cases = {
        datetime(2026, 11, 23, 9, 0): True,  # Monday morning
        datetime(2026, 11, 23, 12, 0): False,  # lunch
        datetime(2026, 11, 23, 16, 59): True,
        datetime(2026, 11, 28, 8, 0): True,  # Saturday morning
        datetime(2026, 11, 28, 14, 0): False,  # Saturday afternoon
        datetime(2026, 11, 22, 10, 0): False,  # Sunday
        datetime(2026, 9, 2, 9, 0): False,  # National Day
        datetime(2026, 2, 17, 9, 0): False,  # Tết
        datetime(2026, 9, 3, 9, 0): True,
    }
    for local, expected in cases.items():
        assert is_open(hours.hours, local.replace(tzinfo=zone)) is expected, local


def test_the_base_flow_is_valid_and_keys_are_normalised() -> None:
    assert check_text(BASE, "tiny.yaml") == []
    flow = load_text(BASE)
    menu = flow.node("menu")
    assert isinstance(menu, MenuNode)
    assert menu.options == {"1": "info", "2": "hours"}  # the YAML integer 1 became "1"
    assert (menu.timeout, menu.retries, menu.invalid_prompt) == (5, 2, None)
    agent = flow.node("agent")
    assert isinstance(agent, QueueNode) and agent.timeout == 120
    assert agent.route_for("TIMEOUT") == "bye" and agent.route_for("") == "bye"
    hours = flow.node("hours")
    assert isinstance(hours, HoursNode) and hours.hours.timezone == "Asia/Ho_Chi_Minh"


# -- one mistake, one problem, at its line -----------------------------------------------------


def test_problem_format() -> None:
    problem = Problem("dialplans/x.yaml", 12, "nodes.main_menu.options.4", "unknown node 'foo'")
    assert str(problem) == "dialplans/x.yaml:12: nodes.main_menu.options.4: unknown node 'foo'"
    assert str(Problem("x.yaml", 1, "", "the file is empty")) == "x.yaml:1: the file is empty"


def test_unknown_key_is_a_typo() -> None:
    text = edit("    next: menu\n  hours:", "    nxt: menu\n  hours:")
    problems = check_text(text, "dialplans/tiny.yaml")
    assert [str(p) for p in problems] == [
        f"dialplans/tiny.yaml:{line_of(text, 'nxt:')}: nodes.info.nxt: "
        "unknown key 'nxt'; did you mean 'next'?"
    ]


def test_missing_required_key() -> None:
    text = edit("    on_failure: bye\n", "")
    problem = only_problem(text)
    assert problem.line == line_of(text, "  menu:")
    assert (problem.path, problem.message) == ("nodes.menu", "missing required key 'on_failure'")


def test_unknown_node_reference() -> None:
    text = edit("{1: info,", "{1: infos,")
    problem = only_problem(text)
    assert str(problem) == (
        f"dialplans/tiny.yaml:{line_of(text, 'infos')}: nodes.menu.options.1: "
        "unknown node 'infos'; did you mean 'info'?"
    )


def test_reference_from_every_kind_of_route() -> None:
    for old, new, path in [
        ("start: pick", "start: pik", "start"),
        ("    next: menu\n  menu:", "    next: menus\n  menu:", "nodes.pick.next"),
        ("if_open: agent", "if_open: agents", "nodes.hours.if_open"),
        ("on_overflow: bye", "on_overflow: by", "nodes.agent.on_overflow"),
        ("{TIMEOUT: bye}", "{TIMEOUT: goodbye}", "nodes.agent.overflow.TIMEOUT"),
    ]:
        text = edit(old, new)
        problem = only_problem(text)
        assert (problem.line, problem.path) == (line_of(text, new.split("\n")[0]), path)
        assert problem.message.startswith("unknown node")


def test_missing_language_text() -> None:
    text = edit('{vi: "Thông tin.", en: "Information."}', '{vi: "Thông tin."}')
    problem = only_problem(text)
    assert problem.line == line_of(text, '"Thông tin."')
    assert (problem.path, problem.message) == (
        "nodes.info.prompt",
        "missing text for language 'en'",
    )


def test_missing_language_text_in_a_block_mapping_points_at_the_key() -> None:
    text = edit(
        '    prompt: {vi: "Tạm biệt.", en: "Goodbye."}', '    prompt:\n      vi: "Tạm biệt."'
    )
    problem = only_problem(text)
    assert problem.line == line_of(text, "Tạm biệt") - 1  # the `prompt:` line
    assert problem.message == "missing text for language 'en'"


def test_extra_language() -> None:
    text = edit('en: "Information."}', 'en: "Information.", zh: "信息。"}')
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "信息"), "nodes.info.prompt.zh")
    assert problem.message == "'zh' is not one of the flow's languages (vi, en)"
    text = edit('en: "Goodbye."}', 'en: "Goodbye.", fr: "Au revoir."}')
    assert "'fr' is not one of the flow's languages" in only_problem(text).message


def test_empty_text() -> None:
    text = edit('en: "Goodbye."}', 'en: ""}')
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, 'en: ""'), "nodes.bye.prompt.en")
    assert problem.message == "must be a text, not nothing"


def test_bad_dtmf_key() -> None:
    text = edit('"2": hours}', '"12": hours}')
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, '"12"'), "nodes.menu.options.12")
    assert "'12' is not a phone key" in problem.message
    star = edit('"2": hours}', '"*": hours}')
    assert check_text(star, "t.yaml") == []


def test_unquoted_star_is_a_yaml_error_that_says_to_quote_it() -> None:
    text = edit('"2": hours}', "*: hours}")
    problem = only_problem(text)
    assert problem.line == line_of(text, "*: hours")
    assert problem.message.startswith("YAML syntax error") and "quote" in problem.message


def test_language_option_must_be_a_language_of_the_flow() -> None:
    text = edit('{"1": vi, "2": en}', '{"1": vi, "2": zh}')
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, '"2": zh'), "nodes.pick.options.2")
    assert problem.message == "'zh' is not one of the flow's languages (vi, en)"


def test_bad_timezone() -> None:
    text = edit("timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Saigon_City")
    problem = only_problem(text)
    assert (problem.line, problem.path) == (5, "timezone")
    assert problem.message.startswith("unknown time zone 'Asia/Saigon_City'")
    text = edit("    open:\n", "    timezone: Europe/Hanoi\n    open:\n")
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "Europe/Hanoi"), "nodes.hours.timezone")


def test_bad_time_range() -> None:
    text = edit('["08:00-17:00"]', '["08:00-17:00", "18:00-17:30"]')
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "18:00"), "nodes.hours.open.mon-fri.1")
    assert problem.message == "the time range '18:00-17:30' ends before it starts"
    text = edit('["08:00-17:00"]', '["8am-5pm"]')
    assert "not a time range HH:MM-HH:MM" in only_problem(text).message
    text = edit("      mon-fri:", "      mon-fry:")
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "mon-fry"), "nodes.hours.open.mon-fry")
    assert "not a day or a range of days" in problem.message
    text = edit('["2026-09-02"]', '["2026-09-31"]')
    assert "not a date written YYYY-MM-DD" in only_problem(text).message


def test_unreachable_node() -> None:
    text = BASE + '  spare:\n    type: prompt\n    prompt: {vi: "Dự phòng.", en: "Spare."}\n'
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "spare:"), "nodes.spare")
    assert problem.message == "node 'spare' cannot be reached from start 'pick'"


def test_unknown_script_when_scripts_are_known() -> None:
    text = edit("    next: menu\n  hours:", "    next: echo\n  hours:")
    text += "  echo:\n    type: script\n    script: echo_digit\n    next: menu\n"
    problem = only_problem(text, known_scripts={"echo_digits", "entry"})
    assert (problem.line, problem.path) == (line_of(text, "echo_digit"), "nodes.echo.script")
    assert problem.message == "unknown script 'echo_digit'; did you mean 'echo_digits'?"
    assert check_text(text, "t.yaml") == []  # no known scripts given: names are not checked
    fixed = text.replace("echo_digit\n", "echo_digits\n")
    assert check_text(fixed, "t.yaml", {"echo_digits"}) == []
    step = load_text(fixed).node("echo")
    assert step == ScriptNode("echo", "echo_digits", "menu")


def test_unknown_node_type() -> None:
    text = edit("    type: hangup", "    type: hang_up")
    problem = only_problem(text)
    assert (problem.line, problem.path) == (line_of(text, "hang_up"), "nodes.bye.type")
    assert problem.message == "unknown node type 'hang_up'; did you mean 'hangup'?"


def test_queue_status_and_numbers() -> None:
    text = edit("{TIMEOUT: bye}", "{TIMEOUTS: bye}")
    problem = only_problem(text)
    assert (problem.path, problem.message) == (
        "nodes.agent.overflow.TIMEOUTS",
        "unknown queue status 'TIMEOUTS'; did you mean 'TIMEOUT'?",
    )
    text = edit("    on_overflow: bye", "    on_overflow: bye\n    timeout: 5")
    problem = only_problem(text)
    assert (problem.line, problem.message) == (
        line_of(text, "timeout: 5"),
        "must be between 10 and 3600, not 5",
    )
    text = edit('numbers: ["100"]', 'numbers: ["100", "1900-1234"]')
    assert only_problem(text).message == "'1900-1234' is not a number: digits, or + digits"


def test_yaml_syntax_error() -> None:
    text = edit(
        '    prompt: {vi: "Thông tin.", en: "Information."}', '    prompt: {vi: "Thông tin."'
    )
    problem = only_problem(text)
    opened = line_of(text, "Thông tin")
    assert problem.line == opened + 1  # where YAML found the mapping was never closed
    assert problem.message == (
        "YAML syntax error: expected ',' or '}', but got '<scalar>' "
        f"(while parsing a flow mapping on line {opened})"
    )
    text = edit("  info:\n    type: prompt", "  info:\n   type: prompt")  # bad indentation
    problem = only_problem(text)
    assert problem.line == line_of(text, "   type: prompt") + 1
    assert problem.message.startswith("YAML syntax error")


def test_plain_yaml_only() -> None:
    text = edit("start: pick", "start: !!python/object/apply:os.system [pick]")
    problem = only_problem(text)
    assert (problem.line, problem.path) == (6, "start")
    assert "not allowed: plain YAML only" in problem.message
    text = edit("start: pick", "start: pick\nstart: menu")
    problem = only_problem(text)
    assert (problem.line, problem.message) == (7, "duplicate key 'start' (first on line 6)")


def test_empty_and_non_mapping_files() -> None:
    assert [str(p) for p in check_text("", "e.yaml")] == ["e.yaml:1: the file is empty"]
    problem = only_problem("- a list\n")
    assert problem.message.startswith("must be a mapping with the keys flow, numbers")


def test_several_problems_in_one_pass() -> None:
    text = BASE
    text = edit("default_language: vi", "default_language: zh", text)
    text = edit("    on_failure: bye\n", "    on_failure: bye\n    retries: 9\n", text)
    text = edit('{vi: "Thông tin.", en: "Information."}', '{vi: "Thông tin."}', text)
    text = edit("if_closed: bye", "if_closed: closed", text)
    text = edit("queue: insurance", "queue: Insurance Team", text)
    problems = check_text(text, "tiny.yaml")
    assert [(p.line, p.path) for p in problems] == [
        (line_of(text, "default_language"), "default_language"),
        (line_of(text, "retries: 9"), "nodes.menu.retries"),
        (line_of(text, '{vi: "Thông tin."}'), "nodes.info.prompt"),
        (line_of(text, "if_closed"), "nodes.hours.if_closed"),
        (line_of(text, "Insurance Team"), "nodes.agent.queue"),
    ]
    with pytest.raises(FlowError) as caught:
        load_text(text)
    assert len(caught.value.problems) == 5 and "retries" in str(caught.value)


# -- folders of flows -------------------------------------------------------------------------


def test_load_flows_finds_flows_by_number(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "health.yaml").write_bytes(SAMPLE.read_bytes())
    (tmp_path / "notes.txt").write_text("not a flow", encoding="utf-8")
    flows = load_flows(tmp_path, known_scripts=SCRIPTS)
    assert [flow.id for flow in flows] == ["health_hotline", "tiny"] and len(flows) == 2
    assert flows.for_number("100") is flows.get("tiny")
    found = flows.for_number("02838001234")
    assert found is not None and found.id == "health_hotline"
    assert flows.for_number("999") is None and flows.get("nope") is None
    assert len(load_flows(DIALPLANS)) >= 1


def test_a_number_and_a_flow_id_claimed_twice(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    other = edit('numbers: ["100"]', 'numbers: ["200", "100"]')
    (tmp_path / "b.yaml").write_text(other, encoding="utf-8")
    with pytest.raises(FlowError) as caught:
        load_flows(tmp_path)
    b = str(tmp_path / "b.yaml")
    assert [str(p) for p in caught.value.problems] == [
        f"{b}:1: flow: flow id 'tiny' is already used in {tmp_path / 'a.yaml'}:1",
        f"{b}:2: numbers.1: number '100' is already served by flow 'tiny' "
        f"({tmp_path / 'a.yaml'}:2)",
    ]


def test_every_problem_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(edit("start: pick", "start: pik"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("flow: b\nnumbers: [\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_bytes(b"flow: c\n\xff\xfe\n")
    with pytest.raises(FlowError) as caught:
        load_flows(tmp_path)
    where = [(Path(p.file).name, p.line) for p in caught.value.problems]
    assert where == [("a.yaml", 6), ("b.yaml", 3), ("c.yaml", 2)]
    assert "not UTF-8" in caught.value.problems[-1].message
    with pytest.raises(FlowError, match="no such folder"):
        load_flows(tmp_path / "missing")


# -- menus answered by voice ----------------------------------------------------------------------

SPEECH = """    options: {1: info, "2": hours}
    speech:
      "1": {vi: [thông tin], en: [Information, "  more   info "]}
      "2": {en: [hours]}
"""


def test_menu_speech_phrases_per_language() -> None:
    text = edit('    options: {1: info, "2": hours}\n', SPEECH)
    menu = load_text(text).node("menu")
    assert isinstance(menu, MenuNode)
    assert menu.phrases("en") == {"information": "1", "more info": "1", "hours": "2"}
    assert menu.phrases("vi") == {"thông tin": "1"}  # option 2 is key-only in Vietnamese
    assert menu.phrases("zh") == {}


def test_speech_for_a_key_the_menu_does_not_offer() -> None:
    text = edit('    options: {1: info, "2": hours}\n', SPEECH.replace('"2": {en', '"3": {en'))
    problem = only_problem(text)
    assert problem.line == line_of(text, '"3": {en')
    assert (problem.path, problem.message) == (
        "nodes.menu.speech.3",
        "'3' is not one of this menu's options (1, 2)",
    )


def test_one_phrase_for_two_keys_and_a_foreign_language() -> None:
    text = edit(
        '    options: {1: info, "2": hours}\n',
        SPEECH.replace("en: [hours]", "en: [information], zh: [时间]"),
    )
    problems = check_text(text, "dialplans/tiny.yaml")
    messages = sorted(p.message for p in problems)
    assert messages == [
        "'information' already chooses option '1'",
        "'zh' is not one of the flow's languages (vi, en)",
    ]


def test_script_routes_by_outcome() -> None:
    text = edit("    next: menu\n  hours:", "    next: check\n  hours:")
    text += "  check:\n    type: script\n    script: auth\n    routes: {locked: agent}\n"
    text += "    next: menu\n"
    outcomes = {"auth": ("ok", "locked", "failed")}
    assert check_text(text, "t.yaml", outcomes) == []
    step = load_text(text).node("check")
    assert isinstance(step, ScriptNode)
    assert step.routes == {"locked": "agent"}
    assert (step.route_for("locked"), step.route_for("ok"), step.route_for(None)) == (
        "agent",
        "menu",
        "menu",
    )
    typo = text.replace("{locked: agent}", "{lockd: agent}")
    problem = only_problem(typo, outcomes)
    assert (problem.line, problem.path) == (line_of(typo, "lockd"), "nodes.check.routes.lockd")
    assert problem.message == "unknown outcome 'lockd'; did you mean 'locked'?"
    other = only_problem(text.replace("{locked: agent}", "{busy: agent}"), outcomes)
    assert other.message == "unknown outcome 'busy' (auth ends with: ok, locked, failed)"
    nowhere = text.replace("{locked: agent}", "{locked: agnet}")
    assert only_problem(nowhere, outcomes).message == "unknown node 'agnet'; did you mean 'agent'?"


def test_number_node() -> None:
    text = edit("    next: menu\n  hours:", "    next: claim\n  hours:")
    text += (
        "  claim:\n    type: number\n"
        '    prompt: {vi: "Nhập số hồ sơ.", en: "Enter your claim number."}\n'
        "    digits: [8, 6]\n    save_as: claim_number\n    next: menu\n    on_failure: bye\n"
    )
    node = load_text(text).node("claim")
    assert node == NumberNode(
        "claim",
        {"vi": "Nhập số hồ sơ.", "en": "Enter your claim number."},
        (6, 8),
        "claim_number",
        2,
        "menu",
        "bye",
    )
    bad = text.replace("[8, 6]", "[0]").replace("claim_number", "Claim Number")
    problems = check_text(bad, "t.yaml")
    assert [(p.path, p.message) for p in problems] == [
        ("nodes.claim.digits.0", "must be between 1 and 20, not 0"),
        ("nodes.claim.save_as", "a name is lower-case letters, digits and _"),
    ]


def test_a_menus_understanding_bands() -> None:
    menu = '    options: {1: info, "2": hours}\n'
    good = edit(menu, menu + "    understanding: {act: 0.7, confirm: 0.4}\n")
    node = load_text(good).node("menu")
    assert isinstance(node, MenuNode)
    assert (node.understanding.act, node.understanding.confirm) == (0.7, 0.4)
    default = load_text(BASE).node("menu")
    assert isinstance(default, MenuNode) and default.understanding == Bands()
    upside_down = edit(menu, menu + "    understanding: {act: 0.5, confirm: 0.7}\n")
    problem = only_problem(upside_down)
    assert (problem.path, problem.message) == (
        "nodes.menu.understanding",
        "confirm must not be above act",
    )
    too_big = edit(menu, menu + "    understanding: {act: 2}\n")
    assert only_problem(too_big).message == "must be a number from 0 to 1, not '2'"
    typo = edit(menu, menu + "    understanding: {acts: 0.7}\n")
    assert "unknown key 'acts'; did you mean 'act'?" in only_problem(typo).message
