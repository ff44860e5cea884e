"""Editing a YAML file a person wrote, changing only what the edit changes.

Hotlines keep their flow files (``dialplans/*.yaml``) and queue files (``queues/*.yaml``) in git
and review every change, so an edit from the admin web's forms must be a diff of the lines it
changed: comments, key order, flow or block style, quotes and blank lines stay as written. The
flow editor (``ivr.flow.edit``) and the queue settings (``ivr.queues.editing``) both go this way:

- ``load`` reads the text with ruamel.yaml's round-trip loader, which keeps comments, order,
  style and quotes on the data;
- the editor changes the data with ``put``, which touches only what differs (a value equal to
  the one written is left alone, a list changes only at the items that changed) and writes a
  new value the way its siblings are written (``"2026-12-25"`` quoted like the dates above it,
  ``sun: ["08:00-10:00"]`` like ``sat: ["07:30-11:30"]``);
- ``dump`` writes it back with the file's own indentation, and carries only the lines the edit
  changed over into the original text (``ivr.flow.splice``): a line nobody changed stays byte
  for byte, and no change gives the original text back. Should the result not read as the
  edited data (it always should), ruamel's own writing is returned instead.

Values are compared as the flow and queue loaders read them: PyYAML, YAML 1.1, where a plain
``yes`` is true. ruamel reads YAML 1.2 (``yes`` is a word), which keeps ``position: yes`` as
written; ``put`` compares in 1.1, so the form's "yes" leaves it alone and "no" writes ``no``,
and a new string that 1.1 would read as something else (``"no"``, ``"4"``, a date) is quoted.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from difflib import SequenceMatcher
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from ivr.flow.splice import carry_over
from ivr.flow.yaml_reader import check_depth

__all__ = ["YAMLError", "dump", "load", "meaning", "put"]

_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
_STYLED = (DoubleQuotedScalarString, SingleQuotedScalarString)
_KEEP_STYLE = (*_STYLED, LiteralScalarString, FoldedScalarString)
_BOOL_WORDS = (("yes", "no"), ("on", "off"), ("true", "false"), ("y", "n"))


class TooDeep(YAMLError):
    """The text nests mappings and lists deeper than ``yaml_reader.MAX_DEPTH``."""


def load(text: str) -> Any:
    """The data of ``text``, comments and all; ``YAMLError`` when it is not YAML (a key given
    twice included: which one the form should change is not for the editor to guess), or when
    it nests thousands of levels deep (ruamel, like PyYAML, builds by recursion: a deep text
    ended in RecursionError, which is no YAMLError and made a 500 page)."""
    try:
        check_depth(text)
    except yaml.YAMLError as exc:
        raise TooDeep(str(exc)) from None
    return _yaml(text).load(text)


def dump(data: Any, original: str) -> str:
    """``data`` (loaded from ``original`` and changed) as text: see the module docstring."""
    before, after = _write(load(original), original), _write(data, original)
    if after == before:
        return original
    text = carry_over(original, before, after)
    return text if _reads_the_same(text, after) else after


def _yaml(text: str) -> YAML:
    writer = YAML()
    writer.preserve_quotes = True
    writer.width = 4096  # a long prompt stays on its line
    mapping, sequence, offset = _indentation(text)
    writer.indent(mapping=mapping, sequence=sequence, offset=offset)
    return writer


def _write(data: Any, original: str) -> str:
    out = io.StringIO()
    _yaml(original).dump(data, out)
    return out.getvalue()


def _reads_the_same(text: str, expected: str) -> bool:
    try:
        return bool(yaml.safe_load(text) == yaml.safe_load(expected))
    except yaml.YAMLError:
        return False


def _indentation(text: str) -> tuple[int, int, int]:
    """As the file does it: (a mapping's indent, a block list item's indent, its ``-``'s
    indent), each under its key; (2, 4, 2) when the file does not say."""
    lines = [x for x in text.splitlines() if x.strip() and not x.lstrip().startswith("#")]
    mappings: Counter[int] = Counter()
    lists: Counter[tuple[int, int]] = Counter()
    for above, line in zip(lines, lines[1:], strict=False):
        if not re.search(r":\s*(#.*)?$", above) or "#" in above.split(":", 1)[0]:
            continue
        key = len(above) - len(above.lstrip(" -"))
        step = len(line) - len(line.lstrip(" "))
        if line.lstrip().startswith("- ") and step >= key:
            lists[(len(line) - len(line.lstrip(" -")) - key, step - key)] += 1
        elif step > key:
            mappings[step - key] += 1
    mapping = mappings.most_common(1)[0][0] if mappings else 2
    sequence, offset = lists.most_common(1)[0][0] if lists else (mapping + 2, mapping)
    return mapping, sequence, offset


# -- comparing as the loaders read -------------------------------------------------------------
def meaning(value: Any) -> Any:
    """``value`` as plain Python, read as the loaders read it (a plain ``yes`` is True)."""
    if isinstance(value, Mapping):
        return {meaning(k): meaning(v) for k, v in value.items()}
    if isinstance(value, list):
        return [meaning(v) for v in value]
    if type(value) is str:
        return _as_yaml11(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _as_yaml11(plain: str) -> Any:
    if _RESOLVER.resolve(yaml.ScalarNode, plain, (True, False)) == _STR:
        return plain
    return yaml.safe_load(plain)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, date) and isinstance(b, str):
        return a.isoformat() == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return list(a) == list(b) and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# -- changing ------------------------------------------------------------------------------------
def put(parent: Any, key: Any, value: Any, order: Sequence[Any] = ()) -> None:
    """``parent[key] = value`` (plain Python, as the form means it), changing only what differs;
    ``None`` removes the key. A new key goes after the last key of ``parent`` that comes before
    it in ``order``, or at the end when ``order`` does not name it."""
    if value is None:
        if key in parent:
            del parent[key]
        return
    flow = _is_flow(parent)
    if key in parent:
        merged = _merge(parent[key], value, flow)
        if merged is not parent[key]:
            parent[key] = merged
        return
    new_key = _new(key, list(parent), flow) if isinstance(key, str) else key
    new = _new(value, list(parent.values()), flow)
    if key in order:
        earlier = set(order[: list(order).index(key)])
        at = max((i + 1 for i, k in enumerate(parent) if k in earlier), default=0)
    else:
        at = len(parent)
    if at >= len(parent):
        parent[new_key] = new
    else:
        parent.insert(at, new_key, new)


def _merge(old: Any, new: Any, flow: bool) -> Any:
    """``old`` changed into ``new``, in place where it is a mapping or a list."""
    if _equal(meaning(old), new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, Mapping):
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            put(old, key, value, order=list(new))
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list | tuple):
        _merge_list(old, list(new))
        return old
    if isinstance(old, Mapping | list) or isinstance(new, Mapping | list | tuple):
        return _new(new, [old], flow)
    return _scalar(new, old, flow)


def _merge_list(old: CommentedSeq, new: list[Any]) -> None:
    """Only the items that changed: the others keep their quotes and comments."""
    flow = _is_flow(old)
    keys = [json.dumps(meaning(x), sort_keys=True, default=str) for x in old]
    wanted = [json.dumps(x, sort_keys=True, default=str) for x in new]
    siblings = list(old)
    opcodes = SequenceMatcher(None, keys, wanted, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(opcodes):
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                old[i] = _merge(old[i], new[j], flow)
            continue
        for i in range(i2 - 1, i1 - 1, -1):
            del old[i]
        for k, j in enumerate(range(j1, j2)):
            old.insert(i1 + k, _new(new[j], siblings, flow))


def _scalar(new: Any, old: Any, flow: bool) -> Any:
    """A new value where ``old`` was: a string keeps its quotes, a yes/no stays a word."""
    if isinstance(new, str):
        if isinstance(old, _KEEP_STYLE):
            return type(old)(new)
        return _string(new, [old], flow)
    if isinstance(new, bool) and type(old) is str and isinstance(_as_yaml11(old), bool):
        return _bool_word(new, old)
    return new


def _bool_word(value: bool, like: str) -> str:
    for yes, no in _BOOL_WORDS:
        if like.lower() in (yes, no):
            word = yes if value else no
            if like.isupper():
                return word.upper()
            return word.capitalize() if like[:1].isupper() else word
    return "yes" if value else "no"


def _new(value: Any, like: list[Any], flow: bool) -> Any:
    """``value`` written the way ``like`` (its siblings) are written."""
    if isinstance(value, Mapping):
        maps = [x for x in like if isinstance(x, CommentedMap)]
        out = CommentedMap()
        if flow or (maps and all(_is_flow(m) for m in maps)):
            out.fa.set_flow_style()
        inner = _is_flow(out)
        keys = [k for m in maps for k in m]
        for key, item in value.items():
            alike = [m[key] for m in maps if key in m] or [
                v for m in maps for v in m.values() if not isinstance(v, Mapping | list)
            ]  # no sibling has this key: its quotes from the other values
            new_key = _new(key, keys, inner) if isinstance(key, str) else key
            out[new_key] = _new(item, alike, inner)
        return out
    if isinstance(value, list | tuple):
        lists = [x for x in like if isinstance(x, CommentedSeq)]
        seq = CommentedSeq()
        scalars = all(not isinstance(v, Mapping | list | tuple) for v in value)
        if flow or (all(_is_flow(s) for s in lists) if lists else scalars):
            seq.fa.set_flow_style()
        items = [v for s in lists for v in s]
        for item in value:
            seq.append(_new(item, items, _is_flow(seq)))
        return seq
    if isinstance(value, str):
        return _string(value, like, flow)
    return value


def _string(text: str, like: list[Any], flow: bool) -> str:
    """Quoted the way most sibling strings are; else plain, or double-quoted when plain would
    not read back as this string."""
    styles = Counter(type(x) for x in like if isinstance(x, str))
    common = styles.most_common(1)[0][0] if styles else str
    if common in _STYLED:
        return common(text)  # type: ignore[no-any-return]
    return DoubleQuotedScalarString(text) if _needs_quotes(text, flow) else text


def _needs_quotes(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or any(c in text for c in "\n\t\r"):
        return True
    if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != _STR:
        return True  # YAML 1.1 would read a boolean, a number, a date or nothing
    if text[0] in "-?:,[]{}#&*!|>'\"%@`" or ": " in text or " #" in text or text.endswith(":"):
        return True
    return flow and any(c in text for c in ",[]{}")


def _is_flow(value: Any) -> bool:
    return isinstance(value, CommentedMap | CommentedSeq) and bool(value.fa.flow_style())
