"""Reading flow files (``dialplans/*.yaml``): checked ``Flow`` values, or every problem at once.

The file is read as a YAML node tree by ``ivr.flow.yaml_reader``, never constructed into Python
objects, and every value is read from its text as written. That is why plain YAML numbers are
safe where the format wants strings: ``numbers: [02838001234]`` keeps its leading zero, and a
DTMF key written as a YAML integer (``1: policy_menu``) is accepted and normalised to the string
``"1"``. ``*`` and ``#`` must be quoted (YAML reads them as an alias and a comment); the syntax
error says so.

Reading never stops at the first problem: each reader records what is wrong and returns a
stand-in, and a ``Flow`` is built only when nothing was found. What each key of each node type
holds is the table ``NODES``; a reader ``_Reader.read_<kind>`` reads each kind of value (those of
the flow and its nodes here, those of node values in ``ivr.flow.node_values``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import yaml

from ivr.core.languages import LANGUAGES
from ivr.flow.hours import Hours
from ivr.flow.model import (
    Bands,
    Flow,
    FlowSet,
    HangupNode,
    HoursNode,
    LanguageNode,
    MenuNode,
    Node,
    NumberNode,
    PromptNode,
    QueueNode,
    ScriptNode,
)
from ivr.flow.node_values import NodeValues
from ivr.flow.yaml_reader import Field, Problem, did_you_mean, join_path

__all__ = ["FlowError", "FlowSet", "Problem", "check_text", "load_flow", "load_flows"]

ID = re.compile(r"[a-z][a-z0-9_-]*")
NUMBER = re.compile(r"\+?[0-9]+")

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
            "understanding": "bands",
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
    "script": (ScriptNode, {"script": "script!", "next": "ref", "routes": "outcome_refs"}),
    "number": (
        NumberNode,
        {
            "prompt": "texts!",
            "digits": "lengths!",
            "save_as": "name!",
            "retries": "retries",
            "next": "ref!",
            "on_failure": "ref!",
        },
    ),
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
    "bands": Bands,
    "outcome_refs": dict,
}


class FlowError(Exception):
    """A flow file, or a folder of them, is not valid; ``problems`` lists everything found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)) or "invalid flow")


def check_text(
    text: str, filename: str, known_scripts: Collection[str] | None = None
) -> list[Problem]:
    """Every problem of one flow file's text, by line; empty when the flow is valid.
    With ``known_scripts`` None, script names are not checked."""
    return _read_text(text, filename, known_scripts).problems


def load_flow(path: str | Path, known_scripts: Collection[str] | None = None) -> Flow:
    reader = _read_file(Path(path), known_scripts)
    if reader.flow is None:
        raise FlowError(reader.problems)
    return reader.flow


def load_flows(directory: str | Path, known_scripts: Collection[str] | None = None) -> FlowSet:
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


def _read_file(path: Path, known_scripts: Collection[str] | None) -> _Reader:
    reader = _Reader(str(path), known_scripts)
    try:
        data = path.read_bytes()
        return _read_text(data.decode("utf-8-sig"), str(path), known_scripts)
    except OSError as exc:
        reader.report(1, "", f"cannot read the file: {exc.strerror}")
    except UnicodeDecodeError as exc:
        reader.report(data[: exc.start].count(b"\n") + 1, "", "the file is not UTF-8 text")
    return reader


def _read_text(text: str, filename: str, known_scripts: Collection[str] | None) -> _Reader:
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


class _Reader(NodeValues):
    """One flow file being read: the problems found so far and what later checks need."""

    def __init__(self, filename: str, known_scripts: Collection[str] | None) -> None:
        super().__init__(filename, known_scripts)
        self.flow: Flow | None = None
        self.flow_id: tuple[str, int] = ("", 1)
        self.numbers: list[tuple[str, int, str]] = []  # (number, line, path)
        self.node_keys: dict[str, yaml.Node] = {}  # every node id declared -> its key
        self.routes_unknown = False  # some node's routes could not be read: skip reachability

    def default(self, kind: str) -> Any:
        """A node's time zone left out is the flow's; other kinds as ``DEFAULTS`` says."""
        return self.zone if kind == "zone" else DEFAULTS.get(kind, lambda: None)()

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
            valid = valid and language in LANGUAGES
            if language in languages:
                self.report(item, f"{path}.{i}", f"'{language}' is listed twice")
            elif language in LANGUAGES:
                languages.append(language)
        if isinstance(field[1], yaml.SequenceNode) and not field[1].value:
            self.report(field[0], path, "list at least one language")
        self.languages = tuple(languages) if valid and languages else None
        return tuple(languages)

    def read_flow_zone(self, field: Field, path: str, owner: str) -> str:
        self.zone = self.read_zone(field, path, owner)
        return self.zone

    # -- nodes --------------------------------------------------------------------------------
    def read_nodes(self, field: Field, path: str, owner: str) -> dict[str, Node]:
        nodes: dict[str, Node] = {}
        pairs = self.pairs(field[1], path, "a mapping of node id to node")
        if isinstance(field[1], yaml.MappingNode) and not field[1].value:
            self.report(field[0], path, "a flow needs at least one node")
        for key, value in pairs:
            node_id, node_path = str(key.value), join_path(path, key.value)
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
            message = f"unknown node type '{kind}'{did_you_mean(kind, NODES, choices)}"
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
        if isinstance(node, ScriptNode):
            self.check_outcomes(node, pairs, path)
        return node

    def read_type(self, field: Field, path: str, owner: str) -> str:
        return field[1].value  # read by read_node

    # -- the graph ----------------------------------------------------------------------------
    def check_routes(self, start: str) -> None:
        """Every route names a node, and every node can be reached from ``start``. Reachability
        is only judged when every route could be read: one mistyped route would otherwise make
        everything behind it "unreachable"."""
        edges: dict[str, list[str]] = {}
        for owner, path, node, target in self.refs:
            if target and target not in self.node_keys:
                hint = did_you_mean(target, self.node_keys)
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
