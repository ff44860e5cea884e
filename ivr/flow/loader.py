"""Reading flow files (``dialplans/*.yaml``): checked ``Flow`` values, or every problem at once.

The file is composed with PyYAML's safe loader into a node tree (``yaml.compose``) and never
constructed into Python objects: the nodes keep their line numbers for the admin, no tag can
build an object (any tag but plain YAML's is refused), and every value is read from its text as
written. That is why plain YAML numbers are safe where the format wants strings:
``numbers: [02838001234]`` keeps its leading zero, and a DTMF key written as a YAML integer
(``1: policy_menu``) is accepted and normalised to the string ``"1"``. ``*`` and ``#`` must be
quoted (YAML reads them as an alias and a comment); the syntax error says so.

Reading never stops at the first problem: each reader records what is wrong and returns a
stand-in, and a ``Flow`` is built only when nothing was found. What each key of each node type
holds is the table ``NODES``; a reader ``_Reader.read_<kind>`` reads each kind of value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import yaml

from ivr.flow.hours import (
    DAYS,
    Hours,
    Interval,
    check_timezone,
    find_overlap,
    format_interval,
    parse_days,
    parse_holiday,
    parse_interval,
)
from ivr.flow.model import (
    DTMF_KEYS,
    QUEUE_STATUSES,
    SUPPORTED_LANGUAGES,
    Flow,
    FlowSet,
    HangupNode,
    HoursNode,
    LanguageNode,
    MenuNode,
    Node,
    PromptNode,
    QueueNode,
    ScriptNode,
    Text,
)

__all__ = ["FlowError", "FlowSet", "Problem", "check_text", "load_flow", "load_flows"]

ID = re.compile(r"[a-z][a-z0-9_-]*")
QUEUE_NAME = re.compile(r"[a-z][a-z0-9-]*")
NUMBER = re.compile(r"\+?[0-9]+")
_TAG = "tag:yaml.org,2002:"
PLAIN_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
NULL, MERGE = _TAG + "null", _TAG + "merge"

# key -> kind of value read by _Reader.read_<kind>; "!" marks a required key. Keys are read in
# this order, so languages and the time zone are known before the nodes that use them.
FLOW: dict[str, str] = {
    "flow": "flow_id!",
    "numbers": "numbers!",
    "languages": "languages!",
    "default_language": "language!",
    "timezone": "flow_zone!",
    "nodes": "nodes!",
    "start": "ref!",
}
NODES: dict[str, tuple[type[Any], dict[str, str]]] = {
    "prompt": (PromptNode, {"prompt": "texts!", "next": "ref"}),
    "menu": (
        MenuNode,
        {
            "prompt": "texts!",
            "options": "key_refs!",
            "speech": "key_phrases",
            "timeout": "seconds",
            "retries": "retries",
            "invalid_prompt": "texts",
            "timeout_prompt": "texts",
            "on_failure": "ref!",
        },
    ),
    "language": (
        LanguageNode,
        {
            "prompt": "texts!",
            "options": "key_languages!",
            "timeout": "seconds",
            "retries": "retries",
            "next": "ref!",
        },
    ),
    "hours": (
        HoursNode,
        {
            "timezone": "zone",
            "open": "weekly!",
            "holidays": "dates",
            "if_open": "ref!",
            "if_closed": "ref!",
        },
    ),
    "queue": (
        QueueNode,
        {
            "queue": "queue_name!",
            "timeout": "queue_timeout",
            "on_overflow": "ref!",
            "overflow": "status_refs",
        },
    ),
    "script": (ScriptNode, {"script": "script!", "next": "ref"}),
    "hangup": (HangupNode, {"prompt": "texts"}),
}
# The value of an optional key left out (a missing required key is reported, stand-in None).
DEFAULTS: dict[str, Callable[[], Any]] = {
    "seconds": lambda: 5.0,
    "retries": lambda: 2,
    "queue_timeout": lambda: 120,
    "dates": frozenset,
    "status_refs": dict,
    "key_phrases": dict,
}

Field = tuple[yaml.Node, yaml.Node]  # (key, value) as written


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a flow file, where the admin will find it (``line`` is 1-based)."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


class FlowError(Exception):
    """A flow file, or a folder of them, is not valid; ``problems`` lists everything found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)) or "invalid flow")


def check_text(text: str, filename: str, known_scripts: set[str] | None = None) -> list[Problem]:
    """Every problem of one flow file's text, by line; empty when the flow is valid.
    With ``known_scripts`` None, script names are not checked."""
    return _read_text(text, filename, known_scripts).problems


def load_flow(path: str | Path, known_scripts: set[str] | None = None) -> Flow:
    reader = _read_file(Path(path), known_scripts)
    if reader.flow is None:
        raise FlowError(reader.problems)
    return reader.flow


def load_flows(directory: str | Path, known_scripts: set[str] | None = None) -> FlowSet:
    """Every ``*.yaml`` of ``directory``, or one ``FlowError`` with the problems of all files,
    including a number or a flow id claimed by two files. A folder with no file is no error."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FlowError([Problem(str(directory), 1, "", "no such folder")])
    readers = [_read_file(path, known_scripts) for path in sorted(directory.glob("*.yaml"))]
    problems = [p for reader in readers for p in reader.problems] + _clashes(readers)
    if problems:
        order = {reader.filename: i for i, reader in enumerate(readers)}
        raise FlowError(sorted(problems, key=lambda p: (order[p.file], p.line)))
    return FlowSet(reader.flow for reader in readers if reader.flow is not None)


def _read_file(path: Path, known_scripts: set[str] | None) -> _Reader:
    reader = _Reader(str(path), known_scripts)
    try:
        data = path.read_bytes()
        return _read_text(data.decode("utf-8-sig"), str(path), known_scripts)
    except OSError as exc:
        reader.report(1, "", f"cannot read the file: {exc.strerror}")
    except UnicodeDecodeError as exc:
        reader.report(data[: exc.start].count(b"\n") + 1, "", "the file is not UTF-8 text")
    return reader


def _read_text(text: str, filename: str, known_scripts: set[str] | None) -> _Reader:
    reader = _Reader(filename, known_scripts)
    root = reader.parse(text)
    if root is not None:
        reader.read_flow(root)
    reader.problems.sort(key=lambda p: p.line)
    return reader


def _clashes(readers: list[_Reader]) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    numbers: dict[str, str] = {}  # number -> "flow 'x' (file:line)"
    for reader in readers:
        flow_id, line = reader.flow_id
        if flow_id in ids:
            message = f"flow id '{flow_id}' is already used in {ids[flow_id]}"
            problems.append(Problem(reader.filename, line, "flow", message))
        elif flow_id:
            ids[flow_id] = f"{reader.filename}:{line}"
        for number, line, path in reader.numbers:
            if number in numbers:
                message = f"number '{number}' is already served by {numbers[number]}"
                problems.append(Problem(reader.filename, line, path, message))
            else:
                numbers[number] = f"flow '{flow_id}' ({reader.filename}:{line})"
    return problems


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "nothing" if node.tag == NULL or not node.value.strip() else f"'{node.value}'"


def _hint(word: str, choices: Iterable[str], otherwise: str = "") -> str:
    close = get_close_matches(word, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else otherwise


class _Reader:
    """One flow file being read: the problems found so far and what later checks need."""

    def __init__(self, filename: str, known_scripts: set[str] | None) -> None:
        self.filename = filename
        self.known_scripts = known_scripts
        self.problems: list[Problem] = []
        self.flow: Flow | None = None
        self.flow_id: tuple[str, int] = ("", 1)
        self.numbers: list[tuple[str, int, str]] = []  # (number, line, path)
        self.languages: tuple[str, ...] | None = None  # None unless valid
        self.zone = "UTC"
        self.node_keys: dict[str, yaml.Node] = {}  # every node id declared -> its key
        self.refs: list[tuple[str, str, yaml.Node, str]] = []  # (from node, path, value, target)
        self.routes_unknown = False  # some node's routes could not be read: skip reachability
        self.menu_options: dict[str, str] = {}  # the options of the menu being read

    def report(self, at: yaml.Node | int, path: str, message: str) -> None:
        line = at if isinstance(at, int) else at.start_mark.line + 1
        self.problems.append(Problem(self.filename, line, path, message))

    def parse(self, text: str) -> yaml.Node | None:
        try:
            root: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = f"YAML syntax error: {exc.problem or exc.context}"
            if exc.context and exc.context_mark and exc.problem_mark:
                message += f" ({exc.context} on line {exc.context_mark.line + 1})"
            if "alias" in (exc.context or ""):
                message += '; quote the keys * and # ("*": ...)'
            self.report(mark.line + 1 if mark else 1, "", message)
            return None
        except (yaml.YAMLError, RecursionError) as exc:
            self.report(1, "", f"YAML error: {exc}")
            return None
        if root is None:
            self.report(1, "", "the file is empty")
        return root

    # -- the shapes of YAML: each reports what is wrong and returns a stand-in ----------------
    def plain(self, node: yaml.Node, path: str) -> bool:
        if node.tag in PLAIN_TAGS:
            return True
        if node.tag == MERGE:
            self.report(node, path, "merge keys (<<) are not supported: write the keys out")
        else:
            tag = node.tag.replace(_TAG, "!!")
            self.report(node, path, f"the tag '{tag}' is not allowed: plain YAML only")
        return False

    def pairs(self, node: yaml.Node, path: str, what: str) -> list[Field]:
        if not self.plain(node, path):
            return []
        if not isinstance(node, yaml.MappingNode):
            self.report(node, path, f"must be {what}, not {_kind(node)}")
            return []
        result: list[Field] = []
        first: dict[str, int] = {}
        for key, value in node.value:
            if not self.plain(key, path):
                continue
            if not isinstance(key, yaml.ScalarNode):
                self.report(key, path, f"a key must be a word or a number, not {_kind(key)}")
            elif key.value in first:
                message = f"duplicate key '{key.value}' (first on line {first[key.value]})"
                self.report(key, _join(path, key.value), message)
            else:
                first[key.value] = key.start_mark.line + 1
                result.append((key, value))
        return result

    def items(self, node: yaml.Node, path: str, what: str) -> list[yaml.Node]:
        if not self.plain(node, path):
            return []
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        self.report(node, path, f"must be {what}, not {_kind(node)}")
        return []

    def scalar(self, node: yaml.Node, path: str, what: str) -> str:
        if not self.plain(node, path):
            return ""
        if isinstance(node, yaml.ScalarNode) and node.tag != NULL and node.value.strip():
            return str(node.value).strip()
        self.report(node, path, f"must be {what}, not {_kind(node)}")
        return ""

    def number(self, node: yaml.Node, path: str, lo: int, hi: int, seconds: bool = False) -> float:
        raw = node.value.strip() if isinstance(node, yaml.ScalarNode) else ""
        if not re.fullmatch(r"\d+(\.\d+)?" if seconds else r"\d+", raw):
            what = "a number of seconds" if seconds else "a whole number"
            self.report(node, path, f"must be {what}, not {_kind(node)}")
            return lo
        if not lo <= float(raw) <= hi:
            self.report(node, path, f"must be between {lo} and {hi}, not {raw}")
        return float(raw)

    def fields(
        self,
        pairs: list[Field],
        spec: dict[str, str],
        path: str,
        owner: str,
        where: yaml.Node | int,
    ) -> dict[str, Any]:
        """The values of a mapping's keys as ``spec`` says; unknown and missing keys reported."""
        given = {key.value: (key, value) for key, value in pairs}
        for name, (key, _value) in given.items():
            if name not in spec:
                allowed = f" (allowed here: {', '.join(spec)})"
                self.report(
                    key, _join(path, name), f"unknown key '{name}'{_hint(name, spec, allowed)}"
                )
        values: dict[str, Any] = {}
        for name, kind in spec.items():
            kind, required = kind.rstrip("!"), kind.endswith("!")
            if name in given:
                read: Callable[[Field, str, str], Any] = getattr(self, f"read_{kind}")
                values[name] = read(given[name], _join(path, name), owner)
            elif required:
                self.report(where, path, f"missing required key '{name}'")
            if name not in values:
                values[name] = self.zone if kind == "zone" else DEFAULTS.get(kind, lambda: None)()
        return values

    # -- the flow -----------------------------------------------------------------------------
    def read_flow(self, root: yaml.Node) -> None:
        pairs = self.pairs(root, "", "a mapping with the keys " + ", ".join(FLOW))
        if not isinstance(root, yaml.MappingNode):
            return
        values = self.fields(pairs, FLOW, "", "", 1)
        self.check_routes(values["start"] or "")
        if not self.problems:
            values["id"], values["timezone"] = values.pop("flow"), self.zone
            self.flow = Flow(**values, source=self.filename)

    def read_flow_id(self, field: Field, path: str, owner: str) -> str:
        flow_id = self.scalar(field[1], path, "a flow id")
        self.flow_id = (flow_id, field[1].start_mark.line + 1)
        if flow_id and not ID.fullmatch(flow_id):
            message = "a flow id is lower-case letters, digits, _ and -, starting with a letter"
            self.report(field[1], path, message)
        return flow_id

    def read_numbers(self, field: Field, path: str, owner: str) -> tuple[str, ...]:
        numbers: list[str] = []
        for i, item in enumerate(self.items(field[1], path, 'a list such as ["19001234"]')):
            number, item_path = self.scalar(item, f"{path}.{i}", "a number"), f"{path}.{i}"
            if number and not NUMBER.fullmatch(number):
                self.report(item, item_path, f"'{number}' is not a number: digits, or + digits")
            elif number in numbers:
                self.report(item, item_path, f"number '{number}' is listed twice")
            elif number:
                numbers.append(number)
                self.numbers.append((number, item.start_mark.line + 1, item_path))
        if isinstance(field[1], yaml.SequenceNode) and not field[1].value:
            self.report(field[0], path, "list at least one number")
        return tuple(numbers)

    def read_languages(self, field: Field, path: str, owner: str) -> tuple[str, ...]:
        languages: list[str] = []
        valid = True
        for i, item in enumerate(self.items(field[1], path, "a list such as [vi, zh, en]")):
            language = self.read_language((field[0], item), f"{path}.{i}", owner)
            valid = valid and language in SUPPORTED_LANGUAGES
            if language in languages:
                self.report(item, f"{path}.{i}", f"'{language}' is listed twice")
            elif language in SUPPORTED_LANGUAGES:
                languages.append(language)
        if isinstance(field[1], yaml.SequenceNode) and not field[1].value:
            self.report(field[0], path, "list at least one language")
        self.languages = tuple(languages) if valid and languages else None
        return tuple(languages)

    def read_language(self, field: Field, path: str, owner: str) -> str:
        language = self.scalar(field[1], path, "a language")
        choices = self.languages or SUPPORTED_LANGUAGES
        if language and language not in choices:
            which = "the flow's languages" if self.languages else "the supported languages"
            message = f"'{language}' is not one of {which} ({', '.join(choices)})"
            self.report(field[1], path, message)
        return language

    def read_zone(self, field: Field, path: str, owner: str) -> str:
        name = self.scalar(field[1], path, "a time zone such as Asia/Ho_Chi_Minh")
        try:
            return check_timezone(name) if name else self.zone
        except ValueError as exc:
            self.report(field[1], path, str(exc))
            return self.zone

    def read_flow_zone(self, field: Field, path: str, owner: str) -> str:
        self.zone = self.read_zone(field, path, owner)
        return self.zone

    def read_texts(self, field: Field, path: str, owner: str) -> Text:
        """A text per language: every language of the flow, and no other."""
        texts: Text = {}
        for key, value in self.pairs(field[1], path, "a mapping of language to text (vi: ...)"):
            key_path = _join(path, key.value)
            language = self.read_language((key, key), key_path, owner)
            texts[language] = self.scalar(value, key_path, "a text")
        if isinstance(field[1], yaml.MappingNode):
            for language in self.languages or ():
                if language not in texts:
                    self.report(field[0], path, f"missing text for language '{language}'")
        return texts

    # -- nodes --------------------------------------------------------------------------------
    def read_nodes(self, field: Field, path: str, owner: str) -> dict[str, Node]:
        nodes: dict[str, Node] = {}
        pairs = self.pairs(field[1], path, "a mapping of node id to node")
        if isinstance(field[1], yaml.MappingNode) and not field[1].value:
            self.report(field[0], path, "a flow needs at least one node")
        for key, value in pairs:
            node_id, node_path = str(key.value), _join(path, key.value)
            self.node_keys[node_id] = key
            if not ID.fullmatch(node_id):
                message = "a node id is lower-case letters, digits, _ and -, starting with a letter"
                self.report(key, node_path, message)
            node = self.read_node(key, value, node_path)
            if node is None:
                self.routes_unknown = True
            else:
                nodes[node_id] = node
        return nodes

    def read_node(self, key: yaml.Node, value: yaml.Node, path: str) -> Node | None:
        pairs = self.pairs(value, path, "a mapping with a type")
        types = [v for k, v in pairs if k.value == "type"]
        kind = self.scalar(types[0], f"{path}.type", "a node type") if types else ""
        choices = f" (one of {', '.join(NODES)})"
        if not isinstance(value, yaml.MappingNode):
            return None
        if not types:
            self.report(key, path, f"missing required key 'type'{choices}")
        elif kind and kind not in NODES:
            message = f"unknown node type '{kind}'{_hint(kind, NODES, choices)}"
            self.report(types[0], f"{path}.type", message)
        if kind not in NODES:
            return None
        cls, spec = NODES[kind]
        values = self.fields(pairs, {"type": "type!", **spec}, path, str(key.value), key)
        del values["type"]
        if cls is HoursNode:
            zone, weekly, holidays = (values.pop(k) for k in ("timezone", "open", "holidays"))
            values["hours"] = Hours(zone, weekly, holidays)
        node: Node = cls(id=str(key.value), **values)
        return node

    def read_type(self, field: Field, path: str, owner: str) -> str:
        return field[1].value  # read by read_node

    def read_ref(self, field: Field, path: str, owner: str) -> str:
        target = self.scalar(field[1], path, "a node id")
        self.refs.append((owner, path, field[1], target))
        return target

    def read_seconds(self, field: Field, path: str, owner: str) -> float:
        return self.number(field[1], path, 1, 30, seconds=True)

    def read_retries(self, field: Field, path: str, owner: str) -> int:
        return int(self.number(field[1], path, 0, 5))

    def read_queue_timeout(self, field: Field, path: str, owner: str) -> int:
        return int(self.number(field[1], path, 10, 3600))

    def keyed(self, field: Field, path: str, read: Callable[[Field, str], str]) -> dict[str, str]:
        """A mapping of phone key -> choice. A YAML integer key 0-9 is normalised to a string."""
        options: dict[str, str] = {}
        pairs = self.pairs(field[1], path, 'a mapping of phone key to choice ("1": ...)')
        if isinstance(field[1], yaml.MappingNode) and not field[1].value:
            self.report(field[0], path, "give at least one option")
        for key, value in pairs:
            choice = read((key, value), _join(path, key.value))
            if key.value in DTMF_KEYS:
                options[key.value] = choice
            else:
                message = f"'{key.value}' is not a phone key: 0-9, * or #, quoted (\"1\": ...)"
                self.report(key, _join(path, key.value), message)
        return options

    def read_key_refs(self, field: Field, path: str, owner: str) -> dict[str, str]:
        self.menu_options = self.keyed(field, path, lambda f, p: self.read_ref(f, p, owner))
        return self.menu_options

    def read_key_phrases(
        self, field: Field, path: str, owner: str
    ) -> dict[str, dict[str, tuple[str, ...]]]:
        """Speech for a menu: key -> language -> phrases that choose that key. Every key must
        be one of the menu's options (read just before); a language may be left out (that
        option is then chosen by key only), and no phrase may choose two keys."""
        phrases: dict[str, dict[str, tuple[str, ...]]] = {}
        owners: dict[tuple[str, str], str] = {}
        example = 'a mapping of phone key to phrases per language ("1": {en: [policy]})'
        for key, value in self.pairs(field[1], path, example):
            key_path = _join(path, key.value)
            if key.value not in self.menu_options:
                message = f"'{key.value}' is not one of this menu's options"
                self.report(key, key_path, f"{message} ({', '.join(self.menu_options) or 'none'})")
                continue
            per_language: dict[str, tuple[str, ...]] = {}
            for lang_key, lang_value in self.pairs(value, key_path, "a mapping such as en: [...]"):
                lang_path = _join(key_path, lang_key.value)
                language = self.read_language((lang_key, lang_key), lang_path, owner)
                said: list[str] = []
                for i, item in enumerate(self.items(lang_value, lang_path, "a list of phrases")):
                    phrase = " ".join(self.scalar(item, f"{lang_path}.{i}", "a phrase").split())
                    phrase = phrase.lower()
                    if not phrase:
                        continue
                    other = owners.setdefault((language, phrase), key.value)
                    if other != key.value:
                        message = f"'{phrase}' already chooses option '{other}'"
                        self.report(item, f"{lang_path}.{i}", message)
                    said.append(phrase)
                per_language[language] = tuple(said)
            phrases[key.value] = per_language
        return phrases

    def read_key_languages(self, field: Field, path: str, owner: str) -> dict[str, str]:
        return self.keyed(field, path, lambda f, p: self.read_language(f, p, owner))

    def read_status_refs(self, field: Field, path: str, owner: str) -> dict[str, str]:
        routes: dict[str, str] = {}
        for key, value in self.pairs(field[1], path, "a mapping of QUEUESTATUS to node"):
            target = self.read_ref((key, value), _join(path, key.value), owner)
            if key.value in QUEUE_STATUSES:
                routes[key.value] = target
            else:
                choices = f" (one of {', '.join(sorted(QUEUE_STATUSES))})"
                hint = _hint(str(key.value).upper(), QUEUE_STATUSES, choices)
                self.report(
                    key, _join(path, key.value), f"unknown queue status '{key.value}'{hint}"
                )
        return routes

    def read_queue_name(self, field: Field, path: str, owner: str) -> str:
        name = self.scalar(field[1], path, "a queue name")
        if name and not QUEUE_NAME.fullmatch(name):
            message = "a queue name is lower-case letters, digits and -, starting with a letter"
            self.report(field[1], path, message)
        return name

    def read_script(self, field: Field, path: str, owner: str) -> str:
        name = self.scalar(field[1], path, "a script name")
        known = self.known_scripts
        if name and known is not None and name not in known:
            listed = f" (known: {', '.join(sorted(known)) or 'none'})"
            self.report(field[1], path, f"unknown script '{name}'{_hint(name, known, listed)}")
        return name

    def read_weekly(self, field: Field, path: str, owner: str) -> dict[int, tuple[Interval, ...]]:
        weekly: dict[int, tuple[Interval, ...]] = {}
        given_by: dict[int, str] = {}
        for key, value in self.pairs(field[1], path, "a mapping of days to time ranges"):
            key_path = _join(path, key.value)
            try:
                days = parse_days(str(key.value))
            except ValueError as exc:
                self.report(key, key_path, str(exc))
                continue
            intervals = []
            for i, item in enumerate(self.items(value, key_path, 'a list such as ["08:00-17:00"]')):
                try:
                    if text := self.scalar(item, f"{key_path}.{i}", "a time range"):
                        intervals.append(parse_interval(text))
                except ValueError as exc:
                    self.report(item, f"{key_path}.{i}", str(exc))
            overlap = find_overlap(intervals)
            if overlap:
                first, second = (format_interval(interval) for interval in overlap)
                self.report(value, key_path, f"the time ranges {first} and {second} overlap")
            again = [DAYS[day] for day in days if day in given_by]
            if again:
                message = f"{', '.join(again)} already given by '{given_by[DAYS.index(again[0])]}'"
                self.report(key, key_path, message)
            for day in days:
                given_by.setdefault(day, str(key.value))
                weekly.setdefault(day, tuple(sorted(intervals)))
        return weekly

    def read_dates(self, field: Field, path: str, owner: str) -> frozenset[date]:
        dates: set[date] = set()
        for i, item in enumerate(self.items(field[1], path, 'a list such as ["2026-09-02"]')):
            try:
                if text := self.scalar(item, f"{path}.{i}", "a date"):
                    dates.add(parse_holiday(text))
            except ValueError as exc:
                self.report(item, f"{path}.{i}", str(exc))
        return frozenset(dates)

    # -- the graph ----------------------------------------------------------------------------
    def check_routes(self, start: str) -> None:
        """Every route names a node, and every node can be reached from ``start``. Reachability
        is only judged when every route could be read: one mistyped route would otherwise make
        everything behind it "unreachable"."""
        edges: dict[str, list[str]] = {}
        for owner, path, node, target in self.refs:
            if target and target not in self.node_keys:
                hint = _hint(target, self.node_keys)
                self.report(node, path, f"unknown node '{target}'{hint}")
            edges.setdefault(owner, []).append(target)
            self.routes_unknown |= target not in self.node_keys  # the admin's intent is unclear
        if self.routes_unknown or start not in self.node_keys:
            return
        seen, todo = {start}, [start]
        while todo:
            for target in edges.get(todo.pop(), []):
                if target in self.node_keys and target not in seen:
                    seen.add(target)
                    todo.append(target)
        for node_id, key in self.node_keys.items():
            if node_id not in seen:
                message = f"node '{node_id}' cannot be reached from start '{start}'"
                self.report(key, f"nodes.{node_id}", message)
