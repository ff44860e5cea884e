"""queues/*.yaml: loading with line-numbered problems, rendering queues.conf and
extensions_queues.conf, the `ivr queues` command, and the queue sounds in vi and zh."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from ivr.queues.config import QueueError, agent_endpoints, load_queues
from ivr.queues.render import render_queue_extensions, render_queues_conf, rendered_files
from ivr.queues.sounds import render_sounds, sound_texts
from ivr.tts.cache import PromptCache

ROOT = Path(__file__).resolve().parent.parent
ETC = ROOT / "asterisk" / "etc"
QUEUES = ROOT / "queues"
AGENTS = {"agent1001", "agent1002", "agent1003", "agent1004"}

# Option names queues.conf accepts in a queue section (configs/samples/queues.conf.sample and
# apps/app_queue.c queue_set_param() of Asterisk 20 and 22), and in [general].
QUEUE_OPTIONS = set(
    """announce announce-frequency announce-holdtime announce-position announce-position-limit
    announce-position-only-up announce-round-seconds announce-to-first-user autofill autopause
    autopausebusy autopausedelay autopauseunavail context defaultrule joinempty leavewhenempty
    maxlen memberdelay membergosub min-announce-frequency monitor-format musicclass musiconhold
    penaltymemberslimit periodic-announce periodic-announce-frequency
    periodic-announce-startdelay queue-callerannounce queue-callswaiting queue-holdtime
    queue-minute queue-minutes queue-quantity1 queue-quantity2 queue-reporthold queue-seconds
    queue-thankyou queue-thereare queue-youarenext random-periodic-announce
    relative-periodic-announce reportholdtime retry ringinuse servicelevel setinterfacevar
    setqueueentryvar setqueuevar strategy timeout timeoutpriority timeoutrestart weight
    wrapuptime member""".split()
)
GENERAL_OPTIONS = {"persistentmembers", "autofill", "shared_lastcall", "log_membername_as_agent"}

GOOD = """\
name: sales
description: A test queue
language: vi
strategy: rrmemory
members: [agent1001]
dynamic_members: [agent1002]
ring_timeout: 15
retry: 5
wrapup: 10
max_wait: 90
max_length: 5
announcements:
  position: yes
  hold_time: once
  frequency: 30
  periodic:
    every: 40
    text: {vi: "Xin vui lòng chờ."}
overflow:
  predicted_wait: 200
  to_ai_agent: [TIMEOUT, LONGWAIT]
hours:
  timezone: Asia/Ho_Chi_Minh
  open: {mon-fri: ["08:00-17:00"]}
leave_keys: {"1": ai_agent, "2": callback}
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    write(tmp_path, "q.yaml", text)
    with pytest.raises(QueueError) as caught:
        load_queues(tmp_path, AGENTS)
    return [str(p) for p in caught.value.problems]


# -- loading ----------------------------------------------------------------------------------


def test_a_good_file_loads_into_a_typed_config(tmp_path: Path) -> None:
    write(tmp_path, "sales.yaml", GOOD)
    (queue,) = load_queues(tmp_path, AGENTS).values()
    assert (queue.name, queue.language, queue.strategy) == ("sales", "vi", "rrmemory")
    assert queue.members == ("agent1001",) and queue.dynamic_members == ("agent1002",)
    assert (queue.ring_timeout, queue.retry, queue.wrapup) == (15, 5, 10)
    assert (queue.max_wait, queue.max_length) == (90, 5)
    assert queue.announce_position is True and queue.announce_holdtime == "once"
    assert (queue.periodic_every, queue.periodic_text) == (40, {"vi": "Xin vui lòng chờ."})
    assert queue.overflow_wait == 200.0
    assert queue.overflow_statuses == frozenset({"TIMEOUT", "LONGWAIT"})
    assert queue.leave_keys == {"1": "ai_agent", "2": "callback"}
    assert queue.hours is not None and queue.hours.timezone == "Asia/Ho_Chi_Minh"
    assert set(queue.hours.weekly) == {0, 1, 2, 3, 4}


def test_the_committed_queues_load() -> None:
    queues = load_queues(QUEUES, agent_endpoints(ETC / "pjsip.conf"))
    assert {"insurance", "insurance-zh", "insurance-en"} <= set(queues)
    assert {q.language for q in queues.values()} == {"vi", "zh", "en"}
    # The sample flow passes its queue node's timeout; the queue's own limit agrees with it.
    assert queues["insurance"].max_wait == 120
    assert agent_endpoints(ETC / "pjsip.conf") == AGENTS


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("strategy: rrmemory", "strategy: roundrobin"), r"q\.yaml:4: strategy: unknown strategy"),
        (("strategy: rrmemory", "strategy: rrmemroy"), r"did you mean 'rrmemory'"),
        (("retry: 5", "retry: -5"), r"q\.yaml:8: retry: must not be negative"),
        (("max_wait: 90", "max_wait: soon"), r"q\.yaml:10: max_wait: must be a whole number"),
        (("members: [agent1001]", "members: [agent1009]"), r"q\.yaml:5: members\.0: 'agent1009'"),
        (("wrapup: 10", "wrapup: 10\ncolour: red"), r"q\.yaml:10: colour: unknown key 'colour'"),
        (("name: sales", "name: Sales"), r"q\.yaml:1: name: 'Sales' is not a queue name"),
        (("name: sales", "name: 9queue"), r"is not a queue name"),
        (("name: sales", "name: s"), r"is not a queue name"),
        (("name: sales", "name: my_queue"), r"is not a queue name"),
        (("position: yes", "position: maybe"), r"q\.yaml:13: announcements\.position: must be"),
        (("hold_time: once", "hold_time: twice"), r"q\.yaml:14: announcements\.hold_time"),
        (("[TIMEOUT, LONGWAIT]", "[TIMEOUT, CONTINUE]"), r"q\.yaml:21: .*'CONTINUE' cannot"),
        (('"2": callback', '"2": voicemail'), r"q\.yaml:25: leave_keys\.2: unknown action"),
        (('"2": callback', '"12": callback'), r"q\.yaml:25: leave_keys\.12: '12' is not one"),
        (('["08:00-17:00"]', '["17:00-08:00"]'), r"q\.yaml:24: .*ends before it starts"),
        (("language: vi", "language: fr"), r"q\.yaml:3: language: 'fr' is not one"),
        (("dynamic_members: [agent1002]", "dynamic_members: [agent1001]"), r"need not log in"),
        (("every: 40", "every: 0"), r"leave periodic out"),
        (("description: A test queue\n", ""), r"q\.yaml:1: missing required key 'description'"),
    ],
)
def test_problems_are_reported_by_file_and_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD
    problems = problems_of(tmp_path, GOOD.replace(old, new, 1))
    assert any(re.search(expected, p) for p in problems), problems


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("strategy: rrmemory", "strategy: x").replace("retry: 5", "retry: -1")
    problems = problems_of(tmp_path, text)
    assert len(problems) == 2 and all(p.startswith("q.yaml:") for p in problems)


def test_duplicate_queue_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD)
    with pytest.raises(QueueError) as caught:
        load_queues(tmp_path, AGENTS)
    (problem,) = caught.value.problems
    assert str(problem) == "b.yaml:1: name: queue 'sales' is also defined in a.yaml (line 1)"


def test_yaml_syntax_errors_and_tags_are_reported(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "name: [unclosed\n")[0].startswith("q.yaml:")
    assert any("not allowed" in p for p in problems_of(tmp_path, "name: !!python/none x\n"))


# -- rendering --------------------------------------------------------------------------------


def sections(text: str) -> dict[str, list[tuple[str, str]]]:
    """[section] -> (option, value) of a rendered file (no includes, comments dropped)."""
    result: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if not line:
            continue
        header = re.fullmatch(r"\[([^\]]+)\](\([^)]*\))?", line)
        if header:
            current = result.setdefault(header.group(1), [])
            continue
        name, _, value = line.partition("=")
        assert current is not None, line
        current.append((name.strip(), value.lstrip(">").strip()))
    return result


def test_rendered_queues_conf_uses_only_real_options(tmp_path: Path) -> None:
    write(tmp_path, "sales.yaml", GOOD)
    text = render_queues_conf(load_queues(tmp_path, AGENTS))
    parsed = sections(text)
    assert {name for name, _ in parsed["general"]} <= GENERAL_OPTIONS
    for name in ("hotline-queue", "sales"):
        unknown = {option for option, _ in parsed[name]} - QUEUE_OPTIONS
        assert not unknown, (name, unknown)
    sales = dict(parsed["sales"])
    assert sales == {
        "strategy": "rrmemory",
        "timeout": "15",
        "retry": "5",
        "wrapuptime": "10",
        "maxlen": "5",
        "announce-position": "yes",
        "announce-holdtime": "once",
        "announce-frequency": "30",
        "periodic-announce": "hotline/sales-periodic",
        "periodic-announce-frequency": "40",
        "context": "ivr-queue-keys-sales",
        "member": "PJSIP/agent1001,0,agent1001",
    }
    assert "[sales](hotline-queue)" in text and "[hotline-queue](!)" in text
    assert dict(parsed["hotline-queue"])["setinterfacevar"] == "yes"


def test_rendered_extensions_have_exactly_the_leave_keys(tmp_path: Path) -> None:
    write(tmp_path, "sales.yaml", GOOD)
    write(
        tmp_path, "nokeys.yaml", GOOD.replace("name: sales", "name: quiet").split("leave_keys")[0]
    )
    queues = load_queues(tmp_path, AGENTS)
    parsed = sections(render_queue_extensions(queues))
    assert set(parsed) == {"ivr-queue-keys-sales", "agent-queues"}
    keys = [
        value.split(",")[0] for name, value in parsed["ivr-queue-keys-sales"] if name == "exten"
    ]
    assert keys == ["1", "2"]
    assert "context" not in dict(sections(render_queues_conf(queues))["quiet"])
    agents = [value for _, value in parsed["agent-queues"]]
    assert agents == ["agent1002,1,Return(quiet&sales)", "_[a-z].,1,Return()"]


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    write(tmp_path, "sales.yaml", GOOD)
    write(tmp_path, "a.yaml", GOOD.replace("name: sales", "name: aaa"))
    first = rendered_files(load_queues(tmp_path, AGENTS))
    assert first == rendered_files(load_queues(tmp_path, AGENTS))
    text = first["queues.conf"]
    assert text.index("[aaa]") < text.index("[sales]")


def test_committed_files_are_the_rendering_of_the_committed_yaml() -> None:
    queues = load_queues(QUEUES, agent_endpoints(ETC / "pjsip.conf"))
    for name, text in rendered_files(queues).items():
        on_disk = (ETC / name).read_text(encoding="utf-8")
        assert on_disk == text, f"asterisk/etc/{name} is stale: run 'ivr queues render'"


# -- the command ------------------------------------------------------------------------------


def ivr(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def test_cli_render_check_and_exit_codes(tmp_path: Path) -> None:
    queues, etc = tmp_path / "queues", tmp_path / "etc"
    write(queues, "sales.yaml", GOOD)
    etc.mkdir()
    shutil.copy(ETC / "pjsip.conf", etc / "pjsip.conf")
    where = ["--dir", str(queues), "--etc", str(etc)]
    checked = ivr("queues", "check", *where)
    assert checked.returncode == 0 and "sales: rrmemory, 2 agents, vi: ok" in checked.stdout
    stale = ivr("queues", "render", "--check", *where)
    assert stale.returncode == 1 and "out of date" in stale.stdout
    assert not (etc / "queues.conf").exists(), "--check writes nothing"
    rendered = ivr("queues", "render", *where)
    assert rendered.returncode == 0 and "wrote" in rendered.stdout
    assert ivr("queues", "render", "--check", *where).returncode == 0
    # Someone edits the YAML and forgets to render: CI notices.
    write(queues, "sales.yaml", GOOD.replace("max_length: 5", "max_length: 6"))
    assert ivr("queues", "render", "--check", *where).returncode == 1
    # A member pjsip.conf does not know: every command refuses, naming file and line.
    write(queues, "sales.yaml", GOOD.replace("[agent1001]", "[agent2001]"))
    bad = ivr("queues", "check", *where)
    assert bad.returncode == 1 and "sales.yaml:5: members.0: 'agent2001'" in bad.stdout
    assert ivr("queues", "render", *where).returncode == 1


def test_cli_check_of_the_committed_files() -> None:
    result = ivr("queues", "render", "--check")
    assert result.returncode == 0, result.stdout
    assert ivr("queues", "check").returncode == 0


# -- sounds -----------------------------------------------------------------------------------


def say_vi(num: int) -> list[str]:
    """The files main/say.c ast_say_number_full_vi() plays for ``num`` (a port for tests)."""
    if num == 0:
        return ["digits/0"]
    files: list[str] = []
    if num >= 1000000:
        files += say_vi(num // 1000000) + ["digits/million"]
        num %= 1000000
        if not num:
            return files
    if num >= 1000:
        files += say_vi(num // 1000) + ["digits/thousand"]
        num %= 1000
        if 0 < num < 10:
            files.append("digits/0-hundred-odd")
        elif 0 < num < 100:
            files.append("digits/0-hundred")
        if not num:
            return files
    if num >= 100:
        files += [f"digits/{num // 100}", "digits/hundred"]
        num %= 100
        if 0 < num < 10:
            files.append("digits/odd")
    if num >= 20:
        files.append(f"digits/{num // 10 * 10}")
        num %= 10
        if num in (1, 4, 5):
            return files + [f"digits/{num}a"]
    if num:
        files.append(f"digits/{num}")
    return files


def say_zh(num: int) -> list[str]:
    """The files main/say.c ast_say_number_full_zh() plays for 0 <= ``num`` < 10000."""
    if num == 0:
        return ["digits/0"]
    files: list[str] = []
    if num >= 1000:
        files += [f"digits/{num // 1000}", "digits/thousand"]
        num %= 1000
        if 0 < num < 100:
            files.append("digits/0")
    if num >= 100:
        files += [f"digits/{num // 100}", "digits/hundred"]
        num %= 100
        if 0 < num < 10:
            files.append("digits/0")
    if num >= 10:
        files.append(f"digits/{num // 10 * 10}")
        num %= 10
    if num:
        files.append(f"digits/{num}")
    return files


# app_queue.c init_queue(): the default sound of every queue-* option.
APP_QUEUE_SOUNDS = {
    "queue-youarenext",
    "queue-thereare",
    "queue-callswaiting",
    "queue-quantity1",
    "queue-quantity2",
    "queue-holdtime",
    "queue-minutes",
    "queue-minute",
    "queue-seconds",
    "queue-thankyou",
    "queue-reporthold",
    "queue-periodic-announce",
}
SAY_C_DIGITS = {
    "vi": {f"digits/{n}" for n in range(20)}
    | {f"digits/{n}" for n in range(20, 100, 10)}
    | {"digits/1a", "digits/4a", "digits/5a", "digits/hundred", "digits/odd"}
    | {"digits/0-hundred", "digits/0-hundred-odd", "digits/thousand", "digits/million"},
    "zh": {f"digits/{n}" for n in range(10)}
    | {f"digits/{n}" for n in range(10, 100, 10)}
    | {"digits/hundred", "digits/thousand", "digits/wan", "digits/yi"},
}


@pytest.fixture(scope="module")
def rendered_sounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    out = tmp_path_factory.mktemp("sounds")
    result = ivr(
        "queues",
        "sounds",
        "--out",
        str(out),
        env={"IVR_TTS": "vi=espeak-ng,zh=espeak-ng,en=espeak-ng", "IVR_PROMPTS_DIR": str(out)},
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("language", ["vi", "zh"])
def test_sounds_render_every_file_app_queue_and_say_c_ask_for(
    rendered_sounds: Path, language: str
) -> None:
    folder = rendered_sounds / language
    names = {str(p.relative_to(folder).with_suffix("")) for p in folder.rglob("*.wav")}
    periodic = {f"hotline/{q}-periodic" for q in ("insurance", "insurance-zh", "insurance-en")}
    periodic.add("hotline/callback-intro")
    assert names - periodic == APP_QUEUE_SOUNDS | SAY_C_DIGITS[language]
    # Every number app_queue might say (positions, minutes, rounded seconds) has its files.
    say = say_vi if language == "vi" else say_zh
    for number in range(0, 1000):
        assert set(say(number)) <= names, number
    for path in folder.rglob("*.wav"):
        with wave.open(str(path)) as audio:
            assert audio.getframerate() == 8000 and audio.getnchannels() == 1
            assert audio.getsampwidth() == 2 and audio.getnframes() > 800, path


def test_sounds_include_each_queues_periodic_announcement(rendered_sounds: Path) -> None:
    assert (rendered_sounds / "vi" / "hotline" / "insurance-periodic.wav").is_file()
    assert (rendered_sounds / "zh" / "hotline" / "insurance-zh-periodic.wav").is_file()
    assert (rendered_sounds / "en" / "hotline" / "insurance-en-periodic.wav").is_file()
    for language in ("vi", "zh", "en"):
        assert (rendered_sounds / language / "hotline" / "callback-intro.wav").is_file()
    assert not (rendered_sounds / "en" / "queue-thereare.wav").exists(), "core sounds have en"


def test_say_ports_match_known_readings() -> None:
    # 21 "hai mươi mốt", 105 "một trăm lẻ năm", 1005 "một nghìn không trăm lẻ năm".
    assert say_vi(21) == ["digits/20", "digits/1a"]
    assert say_vi(105) == ["digits/1", "digits/hundred", "digits/odd", "digits/5"]
    assert say_vi(1005) == ["digits/1", "digits/thousand", "digits/0-hundred-odd", "digits/5"]
    # 15 "十五", 105 "一百零五".
    assert say_zh(15) == ["digits/10", "digits/5"]
    assert say_zh(105) == ["digits/1", "digits/hundred", "digits/0", "digits/5"]


def test_render_sounds_in_process_writes_what_sound_texts_lists(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    write(tmp_path / "q", "sales.yaml", GOOD)
    queues = load_queues(tmp_path / "q", AGENTS)
    cache = PromptCache(tmp_path / "prompts", {"vi": "espeak-ng"})
    written = render_sounds(queues, tmp_path / "out", cache, ["vi"])
    expected = sound_texts(queues, ["vi"])["vi"]
    assert {str(p.relative_to(tmp_path / "out" / "vi").with_suffix("")) for p in written} == set(
        expected
    )
    assert expected["hotline/sales-periodic"] == "Xin vui lòng chờ."


def test_cli_check_warns_when_a_queues_holidays_ran_out() -> None:
    fresh = ivr("queues", "check", env={"IVR_CLOCK": "2026-11-23T09:00+07:00"})
    assert fresh.returncode == 0 and "warning" not in fresh.stdout
    later = ivr("queues", "check", env={"IVR_CLOCK": "2028-01-03T09:00+07:00"})
    assert later.returncode == 0
    assert (
        "warning: insurance: hours: no holiday in the coming 12 months (the last is 2027-09-02): "
        "add next year's public holidays"
    ) in later.stdout.splitlines()
