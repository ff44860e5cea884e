"""Static checks of the Asterisk configuration in asterisk/etc/ and of docker/.

No Asterisk binary runs here. The parser below follows Asterisk's own config reader
(main/config.c: comments, templates, inheritance, #include) and dialplan loader
(pbx/pbx_config.c: exten/same, priorities, application arguments) closely enough to catch what
would make Asterisk refuse or misread a file, and the tests check the properties the IVR
depends on: the FastAGI entry and queue hand-off contract of extensions.conf, references
between pjsip.conf, queues.conf and extensions.conf, the AMI user, and the deploy-time secrets.

Option names accepted per object (pjsip.conf, queues.conf, manager.conf) were taken from the
sources of Asterisk 20.6 and 22.10 (options both versions know).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from ivr.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ETC = ROOT / "asterisk" / "etc"
AGI_BIN = ROOT / "asterisk" / "agi-bin"
DOCKER = ROOT / "docker"
DIALPLANS = ROOT / "dialplans"

# =============================================================================================
# A parser for Asterisk's configuration file format
# =============================================================================================


class ConfigError(Exception):
    """Something Asterisk would reject, or that these configs must not use."""


@dataclass
class Variable:
    name: str
    value: str
    file: str
    lineno: int
    object: bool = False  # written with "=>"


@dataclass
class Section:
    name: str
    file: str
    lineno: int
    template: bool = False
    bases: list[str] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        """The value Asterisk ends up with for a single-valued option: the last one."""
        values = self.getall(key)
        return values[-1] if values else None

    def getall(self, key: str) -> list[str]:
        return [v.value for v in self.variables if v.name.lower() == key.lower()]

    def keys(self) -> set[str]:
        return {v.name for v in self.variables}


@dataclass
class Include:
    kind: str  # "include" or "tryinclude"
    target: str
    file: str
    lineno: int
    section: str | None  # the current section where the directive stands
    found: bool


@dataclass
class Config:
    sections: list[Section] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    current: Section | None = None
    # Lines a ";" comment cut: (file, lineno, text kept before the comment).
    cut_lines: list[tuple[str, int, str]] = field(default_factory=list)

    def find(self, name: str, *, templates: bool = False) -> list[Section]:
        return [
            s
            for s in self.sections
            if s.name.lower() == name.lower() and (templates or not s.template)
        ]

    def one(self, name: str, type_: str | None = None) -> Section:
        found = [s for s in self.find(name) if type_ is None or s.get("type") == type_]
        assert len(found) == 1, f"expected one section [{name}] (type={type_}), found {len(found)}"
        return found[0]

    def real(self) -> list[Section]:
        """The sections Asterisk's users see: templates are invisible to them."""
        return [s for s in self.sections if not s.template]


def strip_comment(line: str, depth: int) -> tuple[str, int, bool]:
    """Remove comments from one line as main/config.c does.

    ";" starts a comment to the end of the line, "\\;" is a literal ";", ";--" opens a block
    comment (not ";---") and "--;" closes it; block comments nest. Returns the text to parse,
    the new block-comment depth and whether a ";" comment cut the line.
    """
    out: list[str] = []
    i = 0
    while i < len(line):
        if depth == 0:
            if line.startswith("\\;", i):
                out.append(";")
                i += 2
            elif line[i] == ";":
                if line.startswith(";--", i) and not line.startswith(";---", i):
                    depth += 1
                    i += 3
                else:
                    return "".join(out), depth, True
            elif line.startswith("--;", i):
                # Asterisk would decrement a comment depth of zero here: never write this.
                raise ConfigError("'--;' outside a block comment")
            else:
                out.append(line[i])
                i += 1
        elif line.startswith("--;", i):
            depth -= 1
            i += 3
        elif line.startswith(";--", i) and not line.startswith(";---", i):
            depth += 1
            i += 3
        else:
            i += 1
    return "".join(out), depth, False


def load(path: Path, etc_dir: Path | None = None) -> Config:
    """Parse a config file and what it includes, relative to etc_dir (Asterisk's astetcdir)."""
    config = Config()
    _parse_file(config, path, etc_dir or path.parent, stack=[])
    return config


def parse_text(text: str, etc_dir: Path | None = None, name: str = "test.conf") -> Config:
    config = Config()
    _parse_lines(config, text.splitlines(), name, etc_dir or ETC, stack=[name])
    return config


def _parse_file(config: Config, path: Path, etc_dir: Path, stack: list[str]) -> None:
    if str(path) in stack:
        raise ConfigError(f"{path}: included recursively")
    _parse_lines(
        config,
        path.read_text(encoding="utf-8").splitlines(),
        path.name,
        etc_dir,
        stack + [str(path)],
    )


def _parse_lines(
    config: Config, lines: list[str], fname: str, etc_dir: Path, stack: list[str]
) -> None:
    depth = 0
    for lineno, raw in enumerate(lines, start=1):
        text, depth, cut = strip_comment(raw, depth)
        text = text.strip()
        if cut and text:
            config.cut_lines.append((fname, lineno, text))
        if not text:
            continue
        where = f"{fname}:{lineno}"
        if text.startswith("["):
            _section_header(config, text, fname, lineno, where)
        elif text.startswith("#"):
            _directive(config, text, fname, lineno, etc_dir, stack, where)
        else:
            _variable(config, text, fname, lineno, where)
    if depth:
        raise ConfigError(f"{fname}: block comment ';--' never closed")


def _section_header(config: Config, text: str, fname: str, lineno: int, where: str) -> None:
    close = text.find("]")
    if close < 0:
        raise ConfigError(f"{where}: no closing ']'")
    name = text[1:close]
    if not name:
        raise ConfigError(f"{where}: empty section name")
    rest = text[close + 1 :]
    section = Section(name, fname, lineno)
    if rest.startswith("("):
        end = rest.find(")")
        if end < 0:
            raise ConfigError(f"{where}: no closing ')'")
        if rest[end + 1 :].strip():
            raise ConfigError(f"{where}: text after the section header: {rest[end + 1 :]!r}")
        for option in rest[1:end].split(","):
            option = option.strip()
            if option == "!":
                section.template = True
            elif option.startswith("+"):
                # Append to an existing section; Asterisk's lookup never finds a template here.
                existing = config.find(name)
                if not existing:
                    raise ConfigError(f"{where}: [{name}](+) but no (non-template) [{name}]")
                config.current = existing[0]
                return
            else:
                bases = config.find(option, templates=True)
                if not bases:
                    raise ConfigError(f"{where}: [{name}] inherits from undefined [{option}]")
                section.bases.append(option)
                # Asterisk copies the base's settings as they are now, before the new ones.
                section.variables.extend(copy.copy(var) for var in bases[0].variables)
    elif rest.strip():
        raise ConfigError(f"{where}: text after the section header: {rest!r}")
    config.sections.append(section)
    config.current = section


def _directive(
    config: Config,
    text: str,
    fname: str,
    lineno: int,
    etc_dir: Path,
    stack: list[str],
    where: str,
) -> None:
    parts = text[1:].split(None, 1)
    kind = parts[0].lower() if parts else ""
    if kind not in ("include", "tryinclude"):
        raise ConfigError(f"{where}: directive #{kind} is not used in these configs")
    if len(parts) < 2:
        raise ConfigError(f"{where}: #{kind} needs a file name")
    target = parts[1].strip()
    if (target[:1], target[-1:]) in (('"', '"'), ("<", ">")):
        target = target[1:-1]
    path = Path(target) if target.startswith("/") else etc_dir / target
    section = config.current.name if config.current else None
    if not path.is_file():
        if kind == "include":
            raise ConfigError(f"{where}: #include {target}: no such file in {etc_dir}")
        config.includes.append(Include(kind, target, fname, lineno, section, found=False))
        return
    config.includes.append(Include(kind, target, fname, lineno, section, found=True))
    _parse_file(config, path, etc_dir, stack)


def _variable(config: Config, text: str, fname: str, lineno: int, where: str) -> None:
    if config.current is None:
        raise ConfigError(f"{where}: a setting before any [section]")
    body = text
    if body.startswith("\\"):
        body = body[1:]
    equals = body.find("=")
    if equals < 0:
        raise ConfigError(f"{where}: no '=' in {text!r}")
    if equals > 0 and body[equals - 1] == "+":
        # "name += more" appends the raw text after "=" to the last value of that name.
        name = body[: equals - 1].strip()
        previous = [v for v in config.current.variables if v.name == name]
        if previous:
            previous[-1].value = (previous[-1].value + body[equals + 1 :]).strip()
            return
        config.current.variables.append(Variable(name, body[equals + 1 :].strip(), fname, lineno))
        return
    name = body[:equals].strip()
    value = body[equals + 1 :]
    is_object = value.startswith(">")
    if is_object:
        value = value[1:]
    if not name:
        raise ConfigError(f"{where}: no option name")
    config.current.variables.append(Variable(name, value.strip(), fname, lineno, is_object))


# =============================================================================================
# The dialplan, as pbx/pbx_config.c reads extensions.conf
# =============================================================================================

CONTEXT_KEYS = {"exten", "same", "include", "ignorepat", "switch", "eswitch", "lswitch"}


@dataclass
class Step:
    context: str
    exten: str
    priority: int
    label: str | None
    app: str
    data: str
    lineno: int

    def args(self) -> list[str]:
        return split_args(self.data)


def split_args(data: str) -> list[str]:
    """Split application arguments on the commas that are not inside (), [] or {}."""
    args, depth, current = [], 0, []
    for char in data:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            args.append("".join(current))
            current = []
        else:
            current.append(char)
    args.append("".join(current))
    return args


def dialplan(config: Config) -> dict[str, list[Step]]:
    contexts: dict[str, list[Step]] = {}
    for section in config.real():
        if section.name.lower() in ("general", "globals"):
            continue
        steps = contexts.setdefault(section.name, [])
        last_exten: str | None = None
        last_priority: int | None = None
        for var in section.variables:
            where = f"{var.file}:{var.lineno} [{section.name}]"
            key = var.name.lower()
            if key not in CONTEXT_KEYS:
                raise ConfigError(f"{where}: {var.name!r} is not a dialplan keyword")
            if key not in ("exten", "same"):
                continue
            value = var.value
            if key == "same":
                if last_exten is None:
                    raise ConfigError(f"{where}: 'same' with no 'exten' before it")
                exten = last_exten
            else:
                exten, _, value = value.partition(",")
                exten = exten.strip()
                last_exten, last_priority = exten, None
            priority_text, _, app_text = value.partition(",")
            priority_text = priority_text.strip()
            label = None
            if "(" in priority_text:
                priority_text, _, label = priority_text.partition("(")
                if not label.endswith(")"):
                    raise ConfigError(f"{where}: label without ')'")
                label = label[:-1]
            if priority_text in ("n", "next"):
                if last_priority is None:
                    raise ConfigError(f"{where}: 'n' priority on the first line of {exten}")
                priority = last_priority + 1
            elif priority_text.isdigit() and int(priority_text) >= 1:
                priority = int(priority_text)
            else:
                raise ConfigError(f"{where}: priority {priority_text!r} is not used here")
            app_text = app_text.strip()
            if "(" in app_text:
                app, _, rest = app_text.partition("(")
                close = rest.rfind(")")
                if close < 0:
                    raise ConfigError(f"{where}: no closing parenthesis in {app_text!r}")
                if rest[close + 1 :].strip():
                    raise ConfigError(f"{where}: text after the arguments: {app_text!r}")
                data = rest[:close]
            else:
                app, data = app_text, ""
            if not app:
                raise ConfigError(f"{where}: no application")
            last_priority = priority
            steps.append(Step(section.name, exten, priority, label, app.strip(), data, var.lineno))
    return contexts


def exten_matches(pattern: str, number: str) -> bool:
    """Does a dialled string match an extension, by Asterisk's rules ('-' is ignored)?"""
    if not pattern.startswith("_"):
        return pattern.replace("-", "") == number.replace("-", "")
    p, d = pattern[1:], number
    i = j = 0
    while True:
        while i < len(p) and p[i] == "-":
            i += 1
        while j < len(d) and d[j] == "-":
            j += 1
        if i >= len(p) or j >= len(d):
            break
        char = p[i]
        if char == "[":
            end = p.index("]", i)
            chars, k, hit = p[i + 1 : end], 0, False
            while k < len(chars):
                if k + 2 < len(chars) and chars[k + 1] == "-":
                    hit = hit or chars[k] <= d[j] <= chars[k + 2]
                    k += 3
                else:
                    hit = hit or chars[k] == d[j]
                    k += 1
            if not hit:
                return False
            i = end
        elif char in "xX":
            if not d[j].isdigit():
                return False
        elif char in "zZ":
            if not ("1" <= d[j] <= "9"):
                return False
        elif char in "nN":
            if not ("2" <= d[j] <= "9"):
                return False
        elif char in ".!":
            return True
        elif char != d[j]:
            return False
        i += 1
        j += 1
    rest = p[i:].replace("-", "")
    return j >= len(d) and (rest == "" or rest == "!")


def extension(contexts: dict[str, list[Step]], context: str, exten: str) -> list[Step]:
    steps = [s for s in contexts[context] if s.exten == exten]
    assert steps, f"no extension {exten} in [{context}]"
    priorities = [s.priority for s in steps]
    assert priorities == list(range(1, len(steps) + 1)), f"{context},{exten}: {priorities}"
    return steps


def reachable(contexts: dict[str, list[Step]], context: str, number: str) -> bool:
    return any(exten_matches(e, number) for e in {s.exten for s in contexts.get(context, [])})


# =============================================================================================
# Loading the repository's files
# =============================================================================================

CONF_FILES = sorted(p.name for p in ETC.glob("*.conf"))


@pytest.fixture(scope="module")
def conf() -> dict[str, Config]:
    return {name: load(ETC / name) for name in CONF_FILES}


@pytest.fixture(scope="module")
def contexts(conf: dict[str, Config]) -> dict[str, list[Step]]:
    return dialplan(conf["extensions.conf"])


def test_the_expected_files_are_there() -> None:
    expected = {
        "asterisk.conf",
        "modules.conf",
        "logger.conf",
        "pjsip.conf",
        "extensions.conf",
        "queues.conf",
        "manager.conf",
        "musiconhold.conf",
        "rtp.conf",
    }
    assert expected <= set(CONF_FILES)


@pytest.mark.parametrize("name", CONF_FILES)
def test_every_file_parses(name: str) -> None:
    config = load(ETC / name)
    assert config.real(), f"{name} has no section Asterisk would read"
    for section in config.sections:
        names = [v.name for v in section.variables]
        assert all(re.fullmatch(r"[A-Za-z0-9_()\-.]+", n) for n in names), (section.name, names)


# =============================================================================================
# The parser itself: it must reject what Asterisk rejects, or these tests prove nothing
# =============================================================================================


def test_parser_reads_templates_inheritance_comments_and_includes(tmp_path: Path) -> None:
    (tmp_path / "extra.conf").write_text("password = from-include\n")
    text = "\n".join(
        [
            "; a comment",
            "[tmpl](!)",
            "type = auth ; trailing comment",
            "#tryinclude extra.conf",
            "#tryinclude missing.conf",
            "[user](tmpl)",
            "username = a\\;b",
            "member => PJSIP/x,0",
            "list = one",
            "list +=,two",
            ";-- block",
            "comment --;",
            "[user](+)",
            "after = yes",
        ]
    )
    config = parse_text(text, etc_dir=tmp_path)
    (tmpl,) = config.find("tmpl", templates=True)
    assert tmpl.template and config.find("tmpl") == []
    user = config.one("user")
    assert user.bases == ["tmpl"]
    assert user.get("type") == "auth" and user.get("password") == "from-include"
    assert user.get("username") == "a;b"
    assert [v.object for v in user.variables if v.name == "member"] == [True]
    assert user.get("list") == "one,two" and user.get("after") == "yes"
    assert "comment" not in user.keys()
    assert [(i.target, i.found, i.section) for i in config.includes] == [
        ("extra.conf", True, "tmpl"),
        ("missing.conf", False, "tmpl"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[broken\nx = 1",
        "x = 1\n[later]",
        "[a](undefined)\nx = 1",
        "[t](!)\nx = 1\n[t](+)\ny = 2",
        "[a]\njust words",
        "[a]\n#include no-such-file.conf",
        "[a]\n#exec /bin/true",
        "[a]\nx = 1 --; oops",
        "[a]\n;-- never closed",
    ],
)
def test_parser_rejects_what_asterisk_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "[c]\nsame => n,NoOp()",
        "[c]\nexten => 1,n,NoOp()",
        "[c]\nexten => 1,1,Set(A=b;c)",
        "[c]\nexten => 1,1,NoOp(x)tail",
        "[c]\nexten = 1,1,NoOp()\nfoo = bar",
    ],
)
def test_dialplan_loader_rejects_broken_lines(text: str) -> None:
    with pytest.raises(ConfigError):
        dialplan(parse_text(text))


def test_an_unescaped_semicolon_in_arguments_is_caught() -> None:
    # The comment eats ";3)])" and leaves "Set(A=$[(1)+(f(2)": Asterisk loads that as the
    # application Set with the argument "A=$[(1)+(f(2", and only the balance check sees it.
    config = parse_text("[c]\nexten => 1,1,Set(A=$[(1)+(f(2);3)])")
    contexts = dialplan(config)
    assert contexts["c"][0].data == "A=$[(1)+(f(2"
    with pytest.raises(AssertionError):
        check_balanced(contexts, config)
    escaped = parse_text("[c]\nexten => 1,1,Set(A=$[(1)+(f(2)\\;3)])")
    assert dialplan(escaped)["c"][0].data == "A=$[(1)+(f(2);3)]"
    check_balanced(dialplan(escaped), escaped)


@pytest.mark.parametrize(
    ("pattern", "number", "expected"),
    [
        ("_X.", "19001234", True),
        ("_X.", "1", False),
        ("_X.", "+8419001234", False),
        ("_+X.", "+8419001234", True),
        ("_[a-z].", "insurance", True),
        ("_[a-z].", "insurance-zh", True),
        ("_[a-z].", "h", False),
        ("_[a-z].", "9queue", False),
        ("_10XX", "1003", True),
        ("_10XX", "10031", False),
        ("*45", "*45", True),
        ("555-1212", "5551212", True),
    ],
)
def test_extension_pattern_matching(pattern: str, number: str, expected: bool) -> None:
    assert exten_matches(pattern, number) is expected


# =============================================================================================
# asterisk.conf, modules.conf, logger.conf, rtp.conf, musiconhold.conf, cdr.conf
# =============================================================================================

DIRECTORY_KEYS = {
    "astcachedir",
    "astetcdir",
    "astmoddir",
    "astvarlibdir",
    "astdbdir",
    "astkeydir",
    "astdatadir",
    "astagidir",
    "astspooldir",
    "astrundir",
    "astlogdir",
    "astsbindir",
}


def test_asterisk_conf_directories_is_a_real_section(conf: dict[str, Config]) -> None:
    config = conf["asterisk.conf"]
    assert not config.find("directories", templates=True)[0].template, (
        "[directories](!) is a template: Asterisk ignores it"
    )
    directories = config.one("directories")
    assert directories.keys() <= DIRECTORY_KEYS
    assert directories.get("astetcdir") == "/etc/asterisk"
    config.one("options")


MODULE_KEYS = {"autoload", "load", "noload", "require", "preload", "preload-require"}
REQUIRED_MODULES = {
    "res_agi.so",
    "app_queue.so",
    "app_audiosocket.so",
    "res_audiosocket.so",
    "chan_pjsip.so",
    "res_pjsip.so",
    "app_playback.so",
    "pbx_config.so",
    "res_musiconhold.so",
}
BUILTIN_MODULES = {"manager", "cdr", "cel", "http", "indications", "features", "udptl", "dnsmgr"}


def test_modules_conf_loads_what_the_ivr_needs(conf: dict[str, Config]) -> None:
    modules = conf["modules.conf"].one("modules")
    assert modules.keys() <= MODULE_KEYS, "modules.conf: Asterisk stops on an unknown keyword"
    assert modules.get("autoload") == "yes"
    required = set(modules.getall("require")) | set(modules.getall("preload-require"))
    noload = set(modules.getall("noload"))
    assert REQUIRED_MODULES <= required | set(modules.getall("load")), REQUIRED_MODULES - required
    assert not any(m.startswith("res_pjsip") or m == "chan_pjsip.so" for m in noload)
    assert not required & noload, "a module both required and noloaded stops Asterisk"
    named = {m.removesuffix(".so") for m in required | noload | set(modules.getall("load"))}
    assert not named & BUILTIN_MODULES, "built-in modules cannot be listed (noload is fatal)"
    # cdr_csv does not create its cdr-csv/ folder: it must not load (see cdr.conf).
    assert "cdr_csv.so" in noload


def test_logger_rtp_musiconhold_cdr(conf: dict[str, Config]) -> None:
    logfiles = conf["logger.conf"].one("logfiles")
    assert logfiles.get("console"), "no console log: nothing reaches docker logs"
    rtp = conf["rtp.conf"].one("general")
    start, end = int(rtp.get("rtpstart") or 0), int(rtp.get("rtpend") or 0)
    assert 1024 <= start < end <= 65535
    moh = conf["musiconhold.conf"].one("default")
    assert moh.get("mode") == "files" and moh.get("directory") == "moh"
    assert conf["cdr.conf"].one("general").get("enable") in ("yes", "no")


# =============================================================================================
# extensions.conf
# =============================================================================================

KNOWN_APPS = {
    a.lower()
    for a in (
        "AGI Answer AddQueueMember AudioSocket Background Busy Congestion ContinueWhile Dial "
        "EndWhile Echo ExecIf ExitWhile Gosub GotoIf GotoIfTime Goto Hangup MusicOnHold NoOp "
        "PauseQueueMember Playback Progress Queue Read RemoveQueueMember Return Ringing Set "
        "UnpauseQueueMember UserEvent Verbose Wait While"
    ).split()
}
KNOWN_FUNCTIONS = {
    "CALLERID",
    "CHANNEL",
    "CUT",
    "EXISTS",
    "FIELDQTY",
    "FILTER",
    "IF",
    "ISNULL",
    "LEN",
    "PJSIP_ENDPOINT",
    "QUEUE_EXISTS",
    "QUEUE_MEMBER",
    "QUEUE_MEMBER_COUNT",
    "QUEUE_VARIABLES",
    "QUEUE_WAITING_COUNT",
}


def test_globals_point_at_the_fastagi_server(conf: dict[str, Config]) -> None:
    globals_ = conf["extensions.conf"].one("globals")
    assert globals_.get("IVR_AGI") == "agi://127.0.0.1:4573"
    # Docker overrides it from an include inside [globals] (the later value wins).
    assert any(
        i.target == "extensions_globals.conf" and i.section == "globals"
        for i in conf["extensions.conf"].includes
    )


def sequence(steps: list[Step]) -> list[tuple[str, str]]:
    return [(s.app, s.data) for s in steps]


def test_from_trunk_runs_the_entry_script_then_the_queue(
    contexts: dict[str, list[Step]],
) -> None:
    steps = extension(contexts, "from-trunk", "_X.")
    assert sequence(steps)[1:] == [
        ("Set", "IVR_QUEUE="),
        ("AGI", "${IVR_AGI}/entry,${EXTEN}"),
        ("GotoIf", '$["${IVR_QUEUE}" != ""]?ivr-queue,${IVR_QUEUE},1'),
        ("Hangup", ""),
    ]
    assert steps[0].app == "NoOp"
    # The call simulator (ivr/testing/simulator.py) reports agi_priority 3 for this AGI.
    assert steps[2].priority == 3
    for number in ("19001234", "02838001234", "1900"):
        assert reachable(contexts, "from-trunk", number)


def test_from_trunk_classic_uses_the_agi_bin_wrapper(contexts: dict[str, list[Step]]) -> None:
    steps = extension(contexts, "from-trunk-classic", "_X.")
    assert sequence(steps)[1:] == [
        ("Set", "IVR_QUEUE="),
        ("AGI", "ivr-agi,entry,${EXTEN}"),
        ("GotoIf", '$["${IVR_QUEUE}" != ""]?ivr-queue-classic,${IVR_QUEUE},1'),
        ("Hangup", ""),
    ]
    assert (AGI_BIN / steps[2].args()[0]).is_file()
    queue = extension(contexts, "ivr-queue-classic", "_[a-z].")
    assert ("AGI", "ivr-agi,entry,queue-result,${QUEUESTATUS}") in sequence(queue)


def test_ivr_queue_runs_queue_and_returns_the_status_to_the_ivr(
    contexts: dict[str, list[Step]],
) -> None:
    steps = extension(contexts, "ivr-queue", "_[a-z].")
    assert [s.app for s in steps] == [
        "Queue",
        "GotoIf",
        "Set",
        "AGI",
        "GotoIf",
        "Hangup",
        "AGI",
        "Hangup",
    ]
    queue_args = steps[0].args()
    # Queue(queuename,options,URL,announceoverride,timeout,AGI,...) in Asterisk 20 and 22.
    assert queue_args[0] == "${EXTEN}"
    # t: the agent may transfer; c: after the agent hangs up, the dialplan goes on (app_queue.c
    # OPT_GO_ON, 'c'), with QUEUESTATUS = CONTINUE.
    assert "t" in queue_args[1] and "c" in queue_args[1]
    assert queue_args[2:5] == ["", "", "${IVR_QUEUE_TIMEOUT}"]
    assert sequence(steps)[1:5] == [
        ("GotoIf", '$["${QUEUESTATUS}" = "CONTINUE"]?survey'),
        ("Set", "IVR_QUEUE="),
        ("AGI", "${IVR_AGI}/entry,queue-result,${QUEUESTATUS}"),
        ("GotoIf", '$["${IVR_QUEUE}" != ""]?ivr-queue,${IVR_QUEUE},1'),
    ]


@pytest.mark.parametrize(
    ("context", "agi"),
    [("ivr-queue", "${IVR_AGI}/survey"), ("ivr-queue-classic", "ivr-agi,survey")],
)
def test_an_answered_call_goes_to_the_survey_when_the_agent_hangs_up(
    conf: dict[str, Config], contexts: dict[str, list[Step]], context: str, agi: str
) -> None:
    steps = extension(contexts, context, "_[a-z].")
    (survey,) = [s for s in steps if s.label == "survey"]
    # The survey script's contract: agi_arg_1 human|ai, agi_arg_2 the agent, agi_arg_3 the queue.
    assert (survey.app, survey.data) == ("AGI", f"{agi},human,${{MEMBERNAME}},${{EXTEN}}")
    assert steps[steps.index(survey) + 1].app == "Hangup"
    (branch,) = [s for s in steps if s.app == "GotoIf" and s.data.endswith("?survey")]
    assert '"${QUEUESTATUS}" = "CONTINUE"' in branch.data
    queue = next(s for s in steps if s.app == "Queue")
    assert "c" in queue.args()[1] and queue.priority < branch.priority < survey.priority
    # MEMBERNAME is only set on the caller's channel with setinterfacevar (app_queue.c).
    for section in conf["queues.conf"].real():
        if section.name != "general":
            assert section.get("setinterfacevar") == "yes", section.name


def test_every_queue_can_be_reached_from_the_ivr(
    conf: dict[str, Config], contexts: dict[str, list[Step]]
) -> None:
    queues = [s.name for s in conf["queues.conf"].real() if s.name != "general"]
    assert queues
    for context in ("ivr-queue", "ivr-queue-classic"):
        for name in queues:
            assert reachable(contexts, context, name), f"Goto({context},{name},1) goes nowhere"
        # Single letters are special extensions (h, i, s, t): the pattern must leave them alone.
        assert not any(reachable(contexts, context, x) for x in "hist")


def goto_targets(step: Step) -> list[tuple[str, str, str]]:
    """(context, exten, priority) of each label of a Goto/GotoIf (the step's own if omitted)."""
    if step.app == "GotoIf":
        labels = step.data.partition("?")[2].split(":")
    else:
        labels = [step.data]
    targets = []
    for label in filter(None, (x.strip() for x in labels)):
        parts = label.split(",")
        if len(parts) == 1 and not parts[0].isdigit():
            targets.append((step.context, step.exten, parts[0]))  # a label of this extension
            continue
        if len(parts) == 3:
            targets.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            targets.append((step.context, parts[0], parts[1]))
        else:
            targets.append((step.context, step.exten, parts[0]))
    return targets


def test_every_goto_lands_on_an_existing_context_and_extension(
    contexts: dict[str, list[Step]],
) -> None:
    gotos = [s for steps in contexts.values() for s in steps if s.app in ("Goto", "GotoIf")]
    assert gotos
    for step in gotos:
        for context, exten, priority in goto_targets(step):
            assert context in contexts, f"line {step.lineno}: no context [{context}]"
            labels = {
                s.label
                for s in contexts[context]
                if s.exten == exten or ("${" not in exten and exten_matches(s.exten, exten))
            }
            if priority in labels - {None}:
                continue  # a label (priority name) of that extension
            assert priority == "1" or priority.startswith("${"), f"line {step.lineno}"
            if "${" not in exten:
                assert reachable(contexts, context, exten), f"line {step.lineno}: {exten}"
            else:
                assert any(s.exten.startswith("_") for s in contexts[context]), (
                    f"line {step.lineno}: a computed extension needs a pattern in [{context}]"
                )


def test_applications_and_functions_exist(contexts: dict[str, list[Step]]) -> None:
    for steps in contexts.values():
        for step in steps:
            assert step.app.lower() in KNOWN_APPS, f"line {step.lineno}: unknown app {step.app}"
            for function in re.findall(r"\$\{([A-Za-z_]+)\(", step.data):
                assert function.upper() in KNOWN_FUNCTIONS, f"line {step.lineno}: {function}()"


def check_balanced(contexts: dict[str, list[Step]], config: Config) -> None:
    for steps in contexts.values():
        for step in steps:
            for opening, closing in ("()", "[]", "{}"):
                assert step.data.count(opening) == step.data.count(closing), (
                    f"line {step.lineno}: unbalanced {opening}{closing} in {step.app}({step.data})"
                    " -- an unescaped ';' may have cut it (write '\\;')"
                )
    for fname, lineno, text in config.cut_lines:
        if re.match(r"(exten|same)\s*=>", text):
            assert text.endswith(")"), f"{fname}:{lineno}: a ';' comment cut {text!r}"


def test_no_semicolon_cut_an_application_argument(
    conf: dict[str, Config], contexts: dict[str, list[Step]]
) -> None:
    check_balanced(contexts, conf["extensions.conf"])


def test_agent_feature_codes(conf: dict[str, Config], contexts: dict[str, list[Step]]) -> None:
    interface = "PJSIP/${CHANNEL(endpoint)}"
    expected = {
        "*45": "AddQueueMember",
        "*46": "RemoveQueueMember",
        "*47": "PauseQueueMember",
        "*48": "UnpauseQueueMember",
    }
    for code, app in expected.items():
        steps = extension(contexts, "agents", code)
        (member_step,) = [s for s in steps if s.app == app]
        args = member_step.args()
        assert args[1] == interface, f"{code}: {app}({member_step.data})"
        assert any(s.app == "Playback" for s in steps), f"{code}: no confirmation"
    # The login and logout loops run over the agent's queues: [agent-queues] returns them.
    queues = {s.name for s in conf["queues.conf"].real()}
    for code in ("*45", "*46"):
        steps = extension(contexts, "agents", code)
        assert ("Gosub", "agent-queues,${CHANNEL(endpoint)},1") in sequence(steps)
        assert ("Set", "AGENT_QUEUES=${GOSUB_RETVAL}") in sequence(steps)
    returns = {s.exten: s for s in contexts["agent-queues"]}
    assert returns["_[a-z]."].data == "", "an endpoint with no queues gets nothing"
    assert all(s.app == "Return" and s.priority == 1 for s in returns.values())
    named = [s for s in returns.values() if not s.exten.startswith("_")]
    assert named
    for step in named:
        assert step.data and set(step.data.split("&")) <= queues, step
    dial = extension(contexts, "agents", "_10XX")[0]
    assert dial.app == "Dial" and dial.args()[0] == "PJSIP/agent${EXTEN}"
    endpoints = {s.name for s in conf["pjsip.conf"].real() if s.get("type") == "endpoint"}
    agents = sorted(e for e in endpoints if e.startswith("agent"))
    assert agents == ["agent1001", "agent1002", "agent1003", "agent1004"]
    for agent in agents:
        assert reachable(contexts, "agents", agent.removeprefix("agent"))


def sound_names(step: Step) -> list[str]:
    first = step.args()[0]
    branch = re.fullmatch(r"\$\{IF\(\$\[.*\]\?([^:]*):([^)]*)\)\}", first)
    names = list(branch.groups()) if branch else [first]
    return [n for name in names for n in name.split("&")]


SOUND_DIRS = [Path("/usr/share/asterisk/sounds/en"), Path("/var/lib/asterisk/sounds/en")]


def test_played_sounds_are_asterisk_core_sounds(contexts: dict[str, list[Step]]) -> None:
    plays = [s for steps in contexts.values() for s in steps if s.app == "Playback"]
    assert plays
    names = {n for s in plays for n in sound_names(s)}
    assert all("${" not in n for n in names), names
    # hotline/*: ours, rendered by "ivr queues sounds" (tests/test_queue_config.py).
    ours = {n for n in names if n.startswith("hotline/")}
    assert ours == {"hotline/callback-intro"}
    names -= ours
    sound_dir = next((d for d in SOUND_DIRS if d.is_dir()), None)
    if sound_dir is None:
        pytest.skip("Asterisk core sounds are not installed (asterisk-core-sounds-en-wav)")
    for name in sorted(names):
        assert list(sound_dir.glob(f"{name}.*")), f"no core sound {name} in {sound_dir}"


def test_flows_reach_the_dialplan_and_their_queues_exist(
    conf: dict[str, Config], contexts: dict[str, list[Step]]
) -> None:
    flows = sorted(DIALPLANS.glob("*.yaml"))
    if not flows:
        pytest.skip("no flows in dialplans/")
    queues = {s.name for s in conf["queues.conf"].real()}
    for path in flows:
        flow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for number in flow.get("numbers", []):
            assert reachable(contexts, "from-trunk", str(number)), f"{path.name}: {number}"
        for node in walk(flow):
            if node.get("type") == "queue" and isinstance(node.get("queue"), str):
                assert node["queue"] in queues, f"{path.name}: queue {node['queue']} not defined"


def walk(value: object) -> Iterator[dict]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# =============================================================================================
# pjsip.conf
# =============================================================================================

PJSIP_OPTIONS = {
    "transport": """allow_reload allow_wildcard_certs async_operations bind ca_list_file
        ca_list_path cert_file cipher cos domain external_media_address
        external_signaling_address external_signaling_port local_net method password
        priv_key_file protocol require_client_cert symmetric_transport tos type verify_client
        verify_server websocket_write_timeout""",
    "endpoint": """100rel accept_multiple_sdp_answers accountcode acl aggregate_mwi allow
        allow_overlap allow_subscribe allow_transfer allow_unauthenticated_options aors
        asymmetric_rtp_codec auth bind_rtp_to_media_address bundle call_group callerid
        callerid_privacy callerid_tag codec_prefs_incoming_answer codec_prefs_incoming_offer
        codec_prefs_outgoing_answer codec_prefs_outgoing_offer connected_line_method contact_acl
        contact_deny contact_permit contact_user context cos_audio cos_video deny
        device_state_busy_at direct_media direct_media_glare_mitigation direct_media_method
        disable_direct_media_on_nat disallow dtls_auto_generate_cert dtls_ca_file dtls_ca_path
        dtls_cert_file dtls_cipher dtls_fingerprint dtls_private_key dtls_rekey dtls_setup
        dtls_verify dtmf_mode fax_detect fax_detect_timeout follow_early_media_fork force_avp
        force_rport from_domain from_user g726_non_standard geoloc_incoming_call_profile
        geoloc_outgoing_call_profile ice_support identify_by ignore_183_without_sdp
        inband_progress incoming_call_offer_pref incoming_mwi_mailbox language mailboxes
        max_audio_streams max_video_streams media_address media_encryption
        media_encryption_optimistic media_use_received_transport message_context
        moh_passthrough moh_suggest mwi_from_user mwi_subscribe_replaces_unsolicited
        named_call_group named_pickup_group notify_early_inuse_ringing one_touch_recording
        outbound_auth outbound_proxy outgoing_call_offer_pref overlap_context permit
        pickup_group preferred_codec_only record_off_feature record_on_feature redirect_method
        refer_blind_progress rewrite_contact rpid_immediate rtcp_mux rtp_engine rtp_ipv6
        rtp_keepalive rtp_symmetric rtp_timeout rtp_timeout_hold sdp_owner sdp_session
        security_mechanisms security_negotiation send_aoc send_connected_line send_diversion
        send_history_info send_pai send_rpid set_var srtp_tag_32 stir_shaken
        stir_shaken_profile sub_min_expiry subscribe_context suppress_q850_reason_headers
        t38_bind_udptl_to_media_address t38_udptl t38_udptl_ec t38_udptl_ipv6
        t38_udptl_maxdatagram t38_udptl_nat timers timers_min_se timers_sess_expires tone_zone
        tos_audio tos_video transport trust_connected_line trust_id_inbound trust_id_outbound
        type use_avpf use_ptime user_eq_phone voicemail_extension webrtc""",
    "auth": """auth_type md5_cred nonce_lifetime oauth_clientid oauth_secret password realm
        refresh_token type username""",
    "aor": """authenticate_qualify contact default_expiration mailboxes max_contacts
        maximum_expiration minimum_expiration outbound_proxy qualify_frequency qualify_timeout
        remove_existing remove_unavailable support_path type voicemail_extension""",
    "identify": "endpoint match match_header srv_lookups type",
}
PJSIP_OPTIONS_BY_TYPE = {t: set(names.split()) for t, names in PJSIP_OPTIONS.items()}


def pjsip_objects(config: Config, type_: str) -> dict[str, Section]:
    objects = {s.name: s for s in config.real() if s.get("type") == type_}
    assert len(objects) == len([s for s in config.real() if s.get("type") == type_]), (
        f"two {type_} sections with one name"
    )
    return objects


def test_pjsip_sections_have_known_types_and_options(conf: dict[str, Config]) -> None:
    for section in conf["pjsip.conf"].real():
        type_ = section.get("type")
        assert type_ in PJSIP_OPTIONS_BY_TYPE, f"[{section.name}]: type {type_}"
        unknown = section.keys() - PJSIP_OPTIONS_BY_TYPE[type_]
        assert not unknown, f"[{section.name}] ({type_}): unknown options {unknown}"
        assert len(section.getall("type")) == 1, f"[{section.name}]: type set twice"


def test_pjsip_references_resolve(conf: dict[str, Config], contexts: dict[str, list[Step]]) -> None:
    pjsip = conf["pjsip.conf"]
    endpoints = pjsip_objects(pjsip, "endpoint")
    aors, auths = pjsip_objects(pjsip, "aor"), pjsip_objects(pjsip, "auth")
    transports = pjsip_objects(pjsip, "transport")
    assert any(t.get("protocol") == "udp" for t in transports.values())
    assert endpoints
    for name, endpoint in endpoints.items():
        for aor in (endpoint.get("aors") or "").split(","):
            assert aor.strip() in aors, f"endpoint {name}: no aor {aor!r}"
        for key in ("auth", "outbound_auth"):
            for auth in filter(None, (endpoint.get(key) or "").split(",")):
                assert auth.strip() in auths, f"endpoint {name}: no auth {auth!r}"
        assert endpoint.get("transport") in transports, f"endpoint {name}: transport"
        assert endpoint.get("context") in contexts, f"endpoint {name}: no dialplan context"
    for section in pjsip.real():
        if section.get("type") == "identify":
            assert section.get("endpoint") in endpoints, f"identify {section.name}"
            assert section.getall("match"), f"identify {section.name} matches nothing"


def test_agents_are_built_from_the_agent_templates(conf: dict[str, Config]) -> None:
    pjsip = conf["pjsip.conf"]
    for template in ("agent-endpoint", "agent-auth", "agent-aor"):
        (section,) = pjsip.find(template, templates=True)
        assert section.template, f"[{template}] must be a template (!)"
    endpoints, auths = pjsip_objects(pjsip, "endpoint"), pjsip_objects(pjsip, "auth")
    aors = pjsip_objects(pjsip, "aor")
    for number in ("1001", "1002", "1003", "1004"):
        name = f"agent{number}"
        endpoint = endpoints[name]
        assert endpoint.bases == ["agent-endpoint"] and endpoint.get("context") == "agents"
        assert endpoint.get("auth") == name and endpoint.get("aors") == name
        assert auths[name].bases == ["agent-auth"] and auths[name].get("username") == name
        assert auths[name].get("auth_type") == "userpass" and auths[name].get("password")
        # REGISTER finds the aor by the user in the To header: it must be the agent's name.
        assert aors[name].bases == ["agent-aor"] and int(aors[name].get("max_contacts") or 0) >= 1


def test_the_trunk_is_identified_by_address(conf: dict[str, Config]) -> None:
    pjsip = conf["pjsip.conf"]
    (template,) = pjsip.find("trunk-template", templates=True)
    assert template.template and template.get("type") == "endpoint"
    trunks = [e for e in pjsip_objects(pjsip, "endpoint").values() if "trunk-template" in e.bases]
    assert trunks
    identifies = [s for s in pjsip.real() if s.get("type") == "identify"]
    for trunk in trunks:
        assert trunk.get("context") == "from-trunk"
        assert trunk.get("identify_by") == "ip", "a trunk must not be matched by its From user"
        assert any(i.get("endpoint") == trunk.name for i in identifies)


def test_agent_passwords_are_placeholders_overridden_at_deploy(conf: dict[str, Config]) -> None:
    pjsip = conf["pjsip.conf"]
    (template,) = pjsip.find("agent-auth", templates=True)
    assert template.getall("password") == ["CHANGE-ME-AT-DEPLOY"]
    # The include that overrides it stands inside the template, before any agent inherits it.
    (include,) = [i for i in pjsip.includes if i.target == "pjsip_agent_secret.conf"]
    assert include.kind == "tryinclude" and include.section == "agent-auth"
    assert include.lineno > template.lineno
    for section in pjsip.real():
        if section.get("type") == "auth":
            assert section.get("password") == "CHANGE-ME-AT-DEPLOY", section.name


# =============================================================================================
# queues.conf
# =============================================================================================

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
# app_queue.c strategies[]
STRATEGIES = set("ringall leastrecent fewestcalls random rrmemory linear wrandom rrordered".split())
QUEUE_GENERAL_OPTIONS = {
    "persistentmembers",
    "autofill",
    "shared_lastcall",
    "negative_penalty_invalid",
    "log_membername_as_agent",
    "force_longest_waiting_caller",
}
EMPTY_FLAGS = {
    "paused",
    "penalty",
    "inuse",
    "ringing",
    "unavailable",
    "invalid",
    "unknown",
    "wrapup",
}


def empty_conditions(value: str, joinempty: bool) -> set[str]:
    """app_queue.c parse_empty_options(): which member states count as 'nobody there'."""
    conditions: set[str] = set()
    for option in (o.strip().lower() for o in value.split(",")):
        if option in EMPTY_FLAGS:
            conditions.add(option)
        elif option == "loose":
            conditions = {"penalty", "invalid"}
        elif option == "strict":
            conditions = {"penalty", "invalid", "paused", "unavailable"}
        elif (option in ("no", "false", "off", "0") and joinempty) or (
            option in ("yes", "true", "on", "1") and not joinempty
        ):
            conditions = {"penalty", "invalid", "paused"}
        elif option in ("yes", "true", "on", "1", "no", "false", "off", "0"):
            conditions = set()
        else:
            raise AssertionError(f"unknown empty option {option!r}")
    return conditions


def test_queues_conf(conf: dict[str, Config]) -> None:
    queues_conf = conf["queues.conf"]
    general = queues_conf.one("general")
    assert general.keys() <= QUEUE_GENERAL_OPTIONS
    assert general.get("persistentmembers") == "yes"
    assert general.get("shared_lastcall") == "yes"
    queues = {s.name: s for s in queues_conf.real() if s.name != "general"}
    assert {"insurance", "insurance-zh"} <= set(queues)
    for name, queue in queues.items():
        assert queue.bases, f"[{name}] should come from the queue template"
        assert queue.keys() <= QUEUE_OPTIONS, f"[{name}]: {queue.keys() - QUEUE_OPTIONS}"
        assert queue.get("strategy") in STRATEGIES
        assert int(queue.get("wrapuptime") or 0) > 0 and int(queue.get("maxlen") or 0) > 0
        # No agent logged in or reachable: the caller must get JOINEMPTY / LEAVEEMPTY back,
        # not wait in an empty queue.
        for key, joining in (("joinempty", True), ("leavewhenempty", False)):
            conditions = empty_conditions(queue.get(key) or "", joining)
            assert {"unavailable", "paused", "invalid"} <= conditions, (name, key, conditions)
        assert queue.get("announce-position") in ("yes", "limit", "more")
        assert int(queue.get("announce-frequency") or 0) > 0, "announce-position needs this"


def test_queue_members_are_pjsip_endpoints(conf: dict[str, Config]) -> None:
    endpoints = pjsip_objects(conf["pjsip.conf"], "endpoint")
    members = [
        (queue.name, member)
        for queue in conf["queues.conf"].real()
        for member in queue.getall("member")
    ]
    assert members
    for queue, member in members:
        interface = member.split(",")[0].strip()
        tech, _, resource = interface.partition("/")
        assert tech == "PJSIP" and resource in endpoints, f"[{queue}] member {member}"


# =============================================================================================
# manager.conf
# =============================================================================================

MANAGER_USER_OPTIONS = {
    "secret",
    "deny",
    "permit",
    "acl",
    "read",
    "write",
    "displayconnects",
    "allowmultiplelogin",
    "writetimeout",
    "setvar",
    "eventfilter",
}
MANAGER_PERMISSIONS = set(
    "system call log verbose command agent user config dtmf reporting cdr dialplan originate agi "
    "cc aoc test security message all none".split()
)


def test_manager_conf(conf: dict[str, Config]) -> None:
    manager = conf["manager.conf"]
    general = manager.one("general")
    assert general.get("enabled") == "yes"
    assert general.get("bindaddr") == "127.0.0.1"
    assert general.get("port") == "5038"
    users = [s for s in manager.real() if s.name != "general"]
    assert [u.name for u in users] == ["ivr"]
    ivr = users[0]
    assert ivr.keys() <= MANAGER_USER_OPTIONS
    acl = [(v.name, v.value) for v in ivr.variables if v.name in ("deny", "permit")]
    assert acl == [("deny", "0.0.0.0/0.0.0.0"), ("permit", "127.0.0.1/255.255.255.255")]
    read = set((ivr.get("read") or "").split(","))
    write = set((ivr.get("write") or "").split(","))
    assert read | write <= MANAGER_PERMISSIONS
    assert {"agent", "call"} <= read, "queue/agent events and OriginateResponse"
    assert {"originate", "agent"} <= write and write & {"system", "config"}, "Originate, reload"
    assert "all" not in read | write


def test_manager_secret_comes_only_from_the_deploy_time_include(conf: dict[str, Config]) -> None:
    manager = conf["manager.conf"]
    for section in manager.sections:
        assert "secret" not in {k.lower() for k in section.keys()}, section.name
    (include,) = [i for i in manager.includes if i.target == "manager_secret.conf"]
    assert include.kind == "tryinclude" and include.section == "ivr"
    raw = (ETC / "manager.conf").read_text(encoding="utf-8")
    assert not re.search(r"^\s*secret\s*=", raw, re.MULTILINE)


# =============================================================================================
# asterisk/agi-bin and docker/
# =============================================================================================


def test_agi_wrapper_is_executable_and_passes_its_arguments(tmp_path: Path) -> None:
    wrapper = AGI_BIN / "ivr-agi"
    mode = wrapper.stat().st_mode
    assert mode & stat.S_IXUSR and mode & stat.S_IXGRP and mode & stat.S_IXOTH
    assert wrapper.read_text().startswith("#!/bin/sh\n")
    fake = tmp_path / "ivr"
    fake.write_text('#!/bin/sh\nprintf "%s|" "$@"\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(wrapper), "entry", "queue-result", "TIMEOUT"],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert result.stdout == "agi|entry|queue-result|TIMEOUT|"


def render_docker_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("envsubst") is None:
        pytest.skip("envsubst (gettext-base) is not installed")
    etc = tmp_path / "etc"
    if not etc.exists():
        shutil.copytree(ETC, etc)
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ASTERISK_ETC_DIR": str(etc),
        "ASTERISK_INCLUDE_TEMPLATES": str(DOCKER / "asterisk-include"),
        **env,
    }
    return subprocess.run(
        ["sh", str(DOCKER / "asterisk-entrypoint.sh"), "--render-only"],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_docker_entrypoint_renders_secrets_into_the_includes(tmp_path: Path) -> None:
    result = render_docker_config(
        tmp_path,
        AMI_SECRET="ami-secret-0123",
        AGENT_PASSWORD="agent-pass-0123",
        AMI_PERMIT="172.29.57.0/24",
        IVR_AGI_HOST="ivr",
        SIP_EXTERNAL_ADDRESS="198.51.100.7",
        SIP_LOCAL_NET="172.29.57.0/24",
    )
    assert result.returncode == 0, result.stderr
    etc = tmp_path / "etc"
    manager = load(etc / "manager.conf")
    assert manager.one("general").get("bindaddr") == "0.0.0.0"
    ivr = manager.one("ivr")
    assert ivr.get("secret") == "ami-secret-0123"
    assert ivr.getall("permit") == ["127.0.0.1/255.255.255.255", "172.29.57.0/24"]
    pjsip = load(etc / "pjsip.conf")
    auths = pjsip_objects(pjsip, "auth")
    assert auths and all(a.get("password") == "agent-pass-0123" for a in auths.values())
    transport = pjsip_objects(pjsip, "transport")["transport-udp"]
    assert transport.get("external_media_address") == "198.51.100.7"
    assert transport.get("local_net") == "172.29.57.0/24"
    extensions = load(etc / "extensions.conf")
    assert extensions.one("globals").get("IVR_AGI") == "agi://ivr:4573"
    for name in ("manager_secret.conf", "pjsip_agent_secret.conf"):
        assert stat.S_IMODE((etc / name).stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "env",
    [
        {"AGENT_PASSWORD": "agent-pass-0123"},
        {"AMI_SECRET": "has;semicolon-0", "AGENT_PASSWORD": "agent-pass-0123"},
        {"AMI_SECRET": "ami-secret-0123", "AGENT_PASSWORD": "short"},
        {"AMI_SECRET": "ami-secret-0123", "AGENT_PASSWORD": "CHANGE-ME-AT-DEPLOY"},
        {"AMI_SECRET": " ami-secret-0123", "AGENT_PASSWORD": "agent-pass-0123"},
        {
            "AMI_SECRET": "ami-secret-0123",
            "AGENT_PASSWORD": "agent-pass-0123",
            "IVR_AGI_HOST": "ivr}${EVIL",
        },
    ],
)
def test_docker_entrypoint_refuses_unsafe_values(tmp_path: Path, env: dict[str, str]) -> None:
    result = render_docker_config(tmp_path, **env)
    assert result.returncode == 64, result.stderr
    assert not (tmp_path / "etc" / "manager_secret.conf").exists()


def test_compose_file(conf: dict[str, Config]) -> None:
    raw = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    compose = yaml.safe_load(raw)
    services = compose["services"]
    assert {"asterisk", "ivr", "redis", "postgres"} <= set(services)
    assert services["redis"]["image"] == "redis:7"
    assert services["postgres"]["image"] == "postgres:16"
    ivr_env = services["ivr"]["environment"]
    assert ivr_env["DATABASE_URL"].startswith("postgresql+psycopg://ivr:${POSTGRES_PASSWORD:?")
    assert ivr_env["DATABASE_URL"].endswith("@postgres/ivr")
    assert ivr_env["REDIS_URL"] == "redis://redis:6379/0"
    # the names ivr.core.settings reads: a wrong name leaves the IVR without AMI, silently
    settings = Settings.from_env({k: "1" if k.endswith("PORT") else v for k, v in ivr_env.items()})
    assert (settings.ami_host, settings.ami_user) == ("asterisk", "ivr")
    assert ivr_env["IVR_AMI_SECRET"] == "${AMI_SECRET:?set AMI_SECRET}"
    assert services["ivr"]["ports"] == ["127.0.0.1:8080:8080"]  # the admin web, local only
    asterisk_env = services["asterisk"]["environment"]
    for name in ("AMI_SECRET", "AGENT_PASSWORD"):
        assert asterisk_env[name] == f"${{{name}:?set {name}}}"
    assert asterisk_env["IVR_AGI_HOST"] == "ivr"
    rtp = conf["rtp.conf"].one("general")
    ports = services["asterisk"]["ports"]
    assert "5060:5060/udp" in ports
    rtp_range = f"{rtp.get('rtpstart')}-{rtp.get('rtpend')}"
    assert f"{rtp_range}:{rtp_range}/udp" in ports, "publish exactly the rtp.conf range"
    assert "5038" not in " ".join(ports), "AMI must not be published"


def dockerfile_instructions(text: str) -> list[str]:
    """Instructions of a Dockerfile, continuation lines joined, comment lines dropped."""
    instructions: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        stripped = line.rstrip()
        current.append(stripped.removesuffix("\\"))
        if not stripped.endswith("\\"):
            joined = " ".join(" ".join(current).split())
            if joined:
                instructions.append(joined)
            current = []
    return instructions


def test_dockerfiles() -> None:
    ivr = (DOCKER / "Dockerfile.ivr").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", ivr, re.MULTILINE)
    assert "espeak-ng" in ivr and "sox" in ivr
    assert 'CMD ["ivr", "serve"]' in ivr
    for setting in (
        "IVR_AGI_HOST=0.0.0.0",
        "IVR_MEDIA_HOST=0.0.0.0",
        "IVR_MEDIA_ADVERTISE=ivr:9092",
    ):
        assert setting in ivr
    asterisk = (DOCKER / "Dockerfile.asterisk").read_text(encoding="utf-8")
    runs = [i for i in dockerfile_instructions(asterisk) if i.startswith("RUN ")]
    assert any(re.search(r"\bapk add --no-cache asterisk\b", r) for r in runs)
    for run in runs:
        assert not re.search(r"\b(make|configure|git|curl|wget|gcc)\b", run), (
            f"Asterisk comes from a distribution package, not a source build: {run}"
        )
    assert "COPY asterisk/etc/ /etc/asterisk/" in asterisk
    assert "/var/lib/asterisk/agi-bin/ivr-agi" in asterisk
    assert "asterisk-entrypoint.sh" in asterisk
    templates = {p.name for p in (DOCKER / "asterisk-include").glob("*.conf.in")}
    included = {
        i.target + ".in"
        for name in CONF_FILES
        for i in load(ETC / name).includes
        if i.kind == "tryinclude"
    }
    assert included == templates, "every #tryinclude has a docker template, and vice versa"


# =============================================================================================
# Leave keys, queue files, call backs
# =============================================================================================

QUEUES_DIR = ROOT / "queues"


def queue_files() -> dict[str, dict]:
    """queues/*.yaml as plain YAML: the test reads them without the project's loader."""
    files = {}
    for path in sorted(QUEUES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        files[data["name"]] = data
    return files


def test_queues_conf_has_one_section_per_queue_file(conf: dict[str, Config]) -> None:
    files = queue_files()
    assert {"insurance", "insurance-zh"} <= set(files)
    sections = {s.name: s for s in conf["queues.conf"].real() if s.name != "general"}
    assert set(sections) == set(files)
    for name, data in files.items():
        queue = sections[name]
        assert queue.get("strategy") == data["strategy"]
        assert int(queue.get("maxlen") or -1) == data["max_length"]
        assert int(queue.get("wrapuptime") or -1) == data["wrapup"]
        members = [m.split(",")[0] for m in queue.getall("member")]
        assert members == [f"PJSIP/{m}" for m in data.get("members", [])]
    raw = (ETC / "queues.conf").read_text(encoding="utf-8")
    assert raw.startswith('; queues.conf: GENERATED by "ivr queues render"')


def test_leave_keys_exist_only_where_the_yaml_says(
    conf: dict[str, Config], contexts: dict[str, list[Step]]
) -> None:
    (include,) = [
        i for i in conf["extensions.conf"].includes if i.target == "extensions_queues.conf"
    ]
    assert include.kind == "include" and include.found
    files = queue_files()
    for queue in conf["queues.conf"].real():
        if queue.name == "general":
            continue
        keys = {str(k) for k in (files[queue.name].get("leave_keys") or {})}
        context = queue.get("context")
        if not keys:
            assert context is None, queue.name
            continue
        assert context in contexts, f"[{queue.name}] context = {context}: no such context"
        # app_queue.c valid_exit(): a key leaves the queue only if that extension exists there.
        assert {s.exten for s in contexts[context]} == keys, (queue.name, context)
        for key in keys:
            callback, step = extension(contexts, context, key)
            # A caller we called back has no flow to return to: back into the same queue.
            assert callback.app == "GotoIf" and '"${IVR_QUEUE_EXIT}" = "callback"' in callback.data
            assert goto_targets(callback) == [("ivr-callback-queue", queue.name, "queue")]
            assert step.app == "GotoIf"
            targets = goto_targets(step)
            assert targets == [
                ("ivr-queue-exit-classic", f"KEY{key}", "1"),
                ("ivr-queue-exit", f"KEY{key}", "1"),
            ]
            assert '"${IVR_QUEUE_EXIT}" = "classic"' in step.data
            for exit_context, _exten, _priority in targets:
                assert reachable(contexts, exit_context, f"KEY{key}")
    assert not reachable(contexts, "ivr-queue-exit", "KEY"), "the pattern needs one digit"


@pytest.mark.parametrize(
    ("context", "agi", "queue_context"),
    [
        ("ivr-queue-exit", "${IVR_AGI}/entry", "ivr-queue"),
        ("ivr-queue-exit-classic", "ivr-agi,entry", "ivr-queue-classic"),
    ],
)
def test_a_leave_key_goes_back_to_the_ivr_as_a_queue_result(
    contexts: dict[str, list[Step]], context: str, agi: str, queue_context: str
) -> None:
    steps = extension(contexts, context, "_KEY[0-9]")
    assert sequence(steps) == [
        ("Set", "IVR_QUEUE="),
        ("AGI", f"{agi},queue-result,${{EXTEN}}"),
        ("GotoIf", f'$["${{IVR_QUEUE}}" != ""]?{queue_context},${{IVR_QUEUE}},1'),
        ("Hangup", ""),
    ]
    # Only [ivr-queue-classic] marks its callers for the classic exit.
    classic = extension(contexts, "ivr-queue-classic", "_[a-z].")
    assert sequence(classic)[0] == ("Set", "IVR_QUEUE_EXIT=classic")
    assert not any("IVR_QUEUE_EXIT" in s.data for s in extension(contexts, "ivr-queue", "_[a-z]."))


def test_call_back_dials_the_caller_then_joins_the_queue(
    conf: dict[str, Config], contexts: dict[str, list[Step]]
) -> None:
    # ivr/callback_dialer.py: Channel Local/<number>@ivr-callback/n, then Context
    # ivr-callback-queue, Exten <queue>, Priority 1 once the caller answered.
    caller_leg = extension(contexts, "ivr-callback", "_X.")
    assert reachable(contexts, "ivr-callback", "0901234567")
    (digits,) = [s for s in caller_leg if s.data.startswith("IVR_CALLBACK_DIGITS=")]
    assert digits.data == "IVR_CALLBACK_DIGITS=${FILTER(0123456789,${EXTEN})}"
    (callerid,) = [s for s in caller_leg if s.data.startswith("CALLERID(all)=")]
    assert "${CALLBACK_CALLERID}" in callerid.data
    assert (conf["extensions.conf"].one("globals").get("CALLBACK_CALLERID") or "").isdigit()
    (dial,) = [s for s in caller_leg if s.app == "Dial"]
    assert caller_leg.index(digits) < caller_leg.index(callerid) < caller_leg.index(dial)
    interface = dial.args()[0]
    assert interface == "PJSIP/${IVR_CALLBACK_DIGITS}@itsp"
    assert interface.split("@")[1] in pjsip_objects(conf["pjsip.conf"], "endpoint")

    queue_leg = extension(contexts, "ivr-callback-queue", "_[a-z].")
    for name in (s.name for s in conf["queues.conf"].real() if s.name != "general"):
        assert reachable(contexts, "ivr-callback-queue", name)
    apps = [s.app for s in queue_leg]
    language = next(s for s in queue_leg if s.data.startswith("CHANNEL(language)="))
    assert "${IVR_LANGUAGE}" in language.data
    (queue,) = [s for s in queue_leg if s.app == "Queue"]
    assert queue.label == "queue" and queue.args()[0] == "${EXTEN}" and "c" in queue.args()[1]
    assert queue_leg.index(language) < apps.index("Playback") < apps.index("Queue")
    assert ("Set", "IVR_QUEUE_EXIT=callback") in sequence(queue_leg)
    (survey,) = [s for s in queue_leg if s.label == "survey"]
    assert survey.data == "${IVR_AGI}/survey,human,${MEMBERNAME},${EXTEN}"
    events = [s for s in queue_leg if s.app == "UserEvent"]
    assert events and all("Id: ${IVR_CALLBACK_ID}" in s.data for s in events)


def test_a_notice_dials_digits_only_then_runs_the_notify_script(
    conf: dict[str, Config], contexts: dict[str, list[Step]]
) -> None:
    # ivr/campaigns/dialer.py: Channel Local/<number>@ivr-notify-dial/n, then Context
    # ivr-notify, Exten s, Priority 1 once the person answered.
    dial_leg = extension(contexts, "ivr-notify-dial", "_X.")
    assert reachable(contexts, "ivr-notify-dial", "0901234567")
    (digits,) = [s for s in dial_leg if s.data.startswith("IVR_NOTIFY_DIGITS=")]
    assert digits.data == "IVR_NOTIFY_DIGITS=${FILTER(0123456789,${EXTEN})}"
    (dial,) = [s for s in dial_leg if s.app == "Dial"]
    assert dial_leg.index(digits) < dial_leg.index(dial)
    assert dial.args()[0] == "PJSIP/${IVR_NOTIFY_DIGITS}@itsp"
    assert dial.args()[0].split("@")[1] in pjsip_objects(conf["pjsip.conf"], "endpoint")

    notify = extension(contexts, "ivr-notify", "s")
    apps = [s.app for s in notify]
    (agi,) = [s for s in notify if s.app == "AGI"]
    assert agi.data == "${IVR_AGI}/notify,${IVR_CAMPAIGN_TARGET}"
    language = next(s for s in notify if s.data.startswith("CHANNEL(language)="))
    assert "${IVR_LANGUAGE}" in language.data
    (goto,) = [s for s in notify if s.app == "GotoIf"]
    assert notify.index(language) < notify.index(agi) < notify.index(goto) < apps.index("Hangup")
    assert goto_targets(goto) == [("ivr-queue", "${IVR_QUEUE}", "1")]


def test_docker_mounts_the_queue_sounds_and_ships_the_queue_files() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    mounts = compose["services"]["asterisk"]["volumes"]
    sounds = "/var/lib/asterisk/sounds"
    for language in ("vi", "zh"):
        assert f"../asterisk/sounds/{language}:{sounds}/{language}:ro" in mounts
    # Periodic announcements of English queues: beside the core sounds, not over them.
    assert f"../asterisk/sounds/en/hotline:{sounds}/en/hotline:ro" in mounts
    ivr = dockerfile_instructions((DOCKER / "Dockerfile.ivr").read_text(encoding="utf-8"))
    assert "COPY queues/ ./queues/" in ivr and "COPY knowledge/ ./knowledge/" in ivr
    ignore = (DOCKER / "Dockerfile.ivr.dockerignore").read_text(encoding="utf-8").split()
    assert "!queues/" in ignore and "!knowledge/" in ignore
    # Generated audio is never committed.
    assert (ROOT / "asterisk" / "sounds" / ".gitignore").read_text().splitlines()[1:] == [
        "*",
        "!.gitignore",
    ]
