"""Reading a YAML file for a person who wrote it by hand: every problem at once, by line.

The file is composed with PyYAML's safe loader into a node tree (``yaml.compose``) and never
constructed into Python objects: the nodes keep their line numbers for the admin, no tag can
build an object (any tag but plain YAML's is refused), and every value is read from its text as
written.

Reading never stops at the first problem: each reader records what is wrong and returns a
stand-in. ``YamlReader`` knows the shapes of YAML (mapping, list, scalar, number) and reads a
mapping's keys as a spec says, each key's value by a method ``read_<kind>`` of a subclass; what
a file holds, and the value of a key left out, is the subclass's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import yaml

_TAG = "tag:yaml.org,2002:"
PLAIN_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
NULL, MERGE = _TAG + "null", _TAG + "merge"

Field = tuple[yaml.Node, yaml.Node]  # (key, value) as written
MAX_DEPTH = 40  # mappings and lists inside each other; a flow file needs about 6


class TooDeep(yaml.MarkedYAMLError):
    """A text nests mappings and lists deeper than anyone writes by hand."""


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise ``TooDeep`` (a ``yaml.YAMLError``, marked with its line) when ``text`` nests
    mappings and lists more than ``limit`` levels deep.

    PyYAML composes and constructs with one Python call per level, so a few thousand levels
    (``[[[[...``, easy to paste into an editor) exhaust the stack with ``RecursionError``,
    which is no ``YAMLError`` and escapes the callers' error handling. Its parser is a loop:
    the depth is counted on the parser's events, which stop at the first level too many
    without reading the rest. Call this before ``yaml.compose`` or ``yaml.safe_load`` of any
    text a person sent.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limit:
                problem = f"mappings and lists nested more than {limit} levels deep"
                mark = event.start_mark if isinstance(event.start_mark, yaml.Mark) else None
                raise TooDeep(None, None, problem, mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


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


def join_path(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "nothing" if node.tag == NULL or not node.value.strip() else f"'{node.value}'"


def did_you_mean(word: str, choices: Iterable[str], otherwise: str = "") -> str:
    close = get_close_matches(word, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else otherwise


class YamlReader:
    """One file being read: the problems found so far."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def report(self, at: yaml.Node | int, path: str, message: str) -> None:
        line = at if isinstance(at, int) else at.start_mark.line + 1
        self.problems.append(Problem(self.filename, line, path, message))

    def parse(self, text: str) -> yaml.Node | None:
        try:
            check_depth(text)
            root: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            kind = "YAML error" if isinstance(exc, TooDeep) else "YAML syntax error"
            message = f"{kind}: {exc.problem or exc.context}"
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
            self.report(node, path, f"must be {what}, not {describe(node)}")
            return []
        result: list[Field] = []
        first: dict[str, int] = {}
        for key, value in node.value:
            if not self.plain(key, path):
                continue
            if not isinstance(key, yaml.ScalarNode):
                self.report(key, path, f"a key must be a word or a number, not {describe(key)}")
            elif key.value in first:
                message = f"duplicate key '{key.value}' (first on line {first[key.value]})"
                self.report(key, join_path(path, key.value), message)
            else:
                first[key.value] = key.start_mark.line + 1
                result.append((key, value))
        return result

    def items(self, node: yaml.Node, path: str, what: str) -> list[yaml.Node]:
        if not self.plain(node, path):
            return []
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        self.report(node, path, f"must be {what}, not {describe(node)}")
        return []

    def scalar(self, node: yaml.Node, path: str, what: str) -> str:
        if not self.plain(node, path):
            return ""
        if isinstance(node, yaml.ScalarNode) and node.tag != NULL and node.value.strip():
            return str(node.value).strip()
        self.report(node, path, f"must be {what}, not {describe(node)}")
        return ""

    def number(self, node: yaml.Node, path: str, lo: int, hi: int, seconds: bool = False) -> float:
        raw = node.value.strip() if isinstance(node, yaml.ScalarNode) else ""
        if not re.fullmatch(r"\d+(\.\d+)?" if seconds else r"\d+", raw, re.ASCII):
            what = "a number of seconds" if seconds else "a whole number"
            self.report(node, path, f"must be {what}, not {describe(node)}")
            return lo
        if not lo <= float(raw) <= hi:
            self.report(node, path, f"must be between {lo} and {hi}, not {raw}")
        return float(raw)

    # -- a mapping's keys, as a spec says -----------------------------------------------------
    def default(self, kind: str) -> Any:
        """The value of an optional key of this kind left out; None unless a subclass says."""
        return None

    def fields(
        self,
        pairs: list[Field],
        spec: dict[str, str],
        path: str,
        owner: str,
        where: yaml.Node | int,
    ) -> dict[str, Any]:
        """The values of a mapping's keys as ``spec`` says; unknown and missing keys reported.
        ``spec`` maps each key to the kind of its value, read by ``self.read_<kind>``; "!"
        marks a required key. A key left out gets ``self.default(kind)``."""
        given = {key.value: (key, value) for key, value in pairs}
        for name, (key, _value) in given.items():
            if name not in spec:
                allowed = f" (allowed here: {', '.join(spec)})"
                self.report(
                    key,
                    join_path(path, name),
                    f"unknown key '{name}'{did_you_mean(name, spec, allowed)}",
                )
        values: dict[str, Any] = {}
        for name, kind in spec.items():
            kind, required = kind.rstrip("!"), kind.endswith("!")
            if name in given:
                read: Callable[[Field, str, str], Any] = getattr(self, f"read_{kind}")
                values[name] = read(given[name], join_path(path, name), owner)
            elif required:
                self.report(where, path, f"missing required key '{name}'")
            if name not in values:
                values[name] = self.default(kind)
        return values
