"""Form edits of a flow file, and the flow as a tree for people who do not read YAML.

A form edit changes ONE node of the draft: the text is read with ``ivr.flow.roundtrip`` (comments,
order, style and quotes kept), the node changed as the form says, and only the lines of what
changed are written back: the rest of the file stays as the admins wrote it. The form's values
are put with ``roundtrip.put``, so a value the form sends back unchanged is not touched, and a
new key goes where a person would put it (``NODE_KEYS``: ``timeout_prompt`` after
``invalid_prompt``). A value is written as typed even when it is wrong (``timeout: soon``): the
flow checks then report it by line, as they would for a hand edit, instead of the form silently
dropping it. DTMF keys stay as written (``"1"``).

Form field names (``Form`` is a plain name -> value mapping):
- ``prompt-<lang>``, ``invalid_prompt-<lang>``, ``timeout_prompt-<lang>``: texts;
- ``next``, ``on_failure``, ``if_open``, ``if_closed``, ``on_overflow``: routes to nodes;
- ``queue``, ``script``, ``timezone``, ``save_as``, ``timeout``, ``retries``, ``digits``;
- menus: ``target-<key>`` (empty: the option is removed), ``speech-<key>-<lang>`` (phrases,
  comma-separated), and ``new-key``/``new-target``/``new-speech-<lang>`` for a new option;
- language menus: ``language-<key>``, ``new-key``/``new-language``;
- hours: rows ``open-days-<n>`` ("mon-fri") and ``open-times-<n>`` ("07:30-11:30, 13:00-17:00"),
  ``holidays`` (one date a line);
- queues: ``overflow-<STATUS>``, ``new-overflow-status``/``new-overflow-target``;
- scripts: ``route-<outcome>``, ``new-route-outcome``/``new-route-target``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ivr.core.digits import whole_number
from ivr.flow import roundtrip
from ivr.flow.loader import ID, NODES
from ivr.flow.yaml_reader import check_depth

Form = Mapping[str, str]
TEXTS = ("prompt", "invalid_prompt", "timeout_prompt")
ROUTES = ("next", "on_failure", "if_open", "if_closed", "on_overflow")
WORDS = ("queue", "script", "timezone", "save_as")
NUMBERS = ("timeout", "retries")
NODE_TYPES = tuple(NODES)
# Where a new key of a node goes: after the last key the node has of those before it here.
NODE_KEYS = (
    "type", "queue", "script", "timezone", "prompt", "options", "speech", "digits", "save_as",
    "timeout", "retries", "invalid_prompt", "timeout_prompt", "open", "holidays", "routes",
    "on_overflow", "overflow", "if_open", "if_closed", "on_failure", "next",
)  # fmt: skip


class EditError(ValueError):
    """The edit cannot be made (the draft is not readable YAML, no such node, ...)."""


def load(text: str) -> dict[str, Any]:
    """The draft's data for the forms and the tree (``roundtrip.load``: comments and all)."""
    try:
        data = roundtrip.load(text)
    except roundtrip.YAMLError as exc:
        raise EditError(
            "The draft is not readable YAML, so the forms cannot change it: fix it in the "
            f"text editor first ({str(exc).splitlines()[0]})."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise EditError("The draft has no 'nodes' mapping: fix it in the text editor first.")
    return data


def dump(data: dict[str, Any], original: str) -> str:
    """The draft's new text: ``original`` with only the lines of what changed in ``data``."""
    return roundtrip.dump(data, original)


def numbers(text: str) -> list[str]:
    """The flow's numbers as written (``02838001234`` keeps its zero); [] when unreadable."""
    try:
        check_depth(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    found = data.get("numbers") if isinstance(data, dict) else None
    return [str(n) for n in found] if isinstance(found, list) else []


def languages(data: dict[str, Any]) -> list[str]:
    found = data.get("languages")
    return [str(x) for x in found] if isinstance(found, list) else []


def node_of(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    node = data["nodes"].get(node_id)
    if not isinstance(node, dict):
        raise EditError(f"There is no node '{node_id}' in the draft.")
    return node


# -- one node's form --------------------------------------------------------------------------
def edit_node(data: dict[str, Any], node_id: str, form: Form) -> None:
    node = node_of(data, node_id)
    langs = languages(data)
    for name in TEXTS:
        if any(f"{name}-{lang}" in form for lang in langs):
            texts = {lang: form.get(f"{name}-{lang}", "").strip() for lang in langs}
            texts = {lang: text for lang, text in texts.items() if text}
            _set(node, name, texts or None, keep_empty=name == "prompt")
    for name in ROUTES + WORDS:
        if name in form:
            _set(node, name, form[name].strip() or None)
    for name in NUMBERS:
        if name in form:
            _set(node, name, _number(form[name]))
    if "digits" in form:
        digits = [_number(d) for d in form["digits"].split(",") if d.strip()]
        _set(node, "digits", digits or None)
    kind = node.get("type")
    if kind == "menu":
        _edit_options(node, form, langs)
    elif kind == "language":
        _edit_keyed(node, "options", form, "language-", ("new-key", "new-language"))
    elif kind == "hours":
        _edit_hours(node, form)
    elif kind == "queue":
        new = ("new-overflow-status", "new-overflow-target")
        _edit_keyed(node, "overflow", form, "overflow-", new)
    elif kind == "script":
        _edit_keyed(node, "routes", form, "route-", ("new-route-outcome", "new-route-target"))


def _mapping(node: dict[str, Any], name: str) -> dict[Any, Any]:
    """A copy of the node's mapping ``name`` as plain values (its keys as written), for the
    form's changes; ``_set`` then puts back only what differs."""
    value = node.get(name)
    if not isinstance(value, dict):
        return {}
    return {key: roundtrip.meaning(item) for key, item in value.items()}


def _set(node: dict[str, Any], name: str, value: Any, keep_empty: bool = False) -> None:
    if value is None or (value == {} and not keep_empty):
        value = None
    roundtrip.put(node, name, value, order=NODE_KEYS)


def _number(text: str) -> Any:
    text = text.strip()
    if re.fullmatch(r"[0-9]+", text):  # ASCII: \d also takes "١٢", which int() reads as 12
        return int(text)
    if re.fullmatch(r"[0-9]+\.[0-9]+", text):
        return float(text)
    return text or None  # written as typed: the checks say what is wrong with it


def _phrases(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _edit_options(node: dict[str, Any], form: Form, langs: list[str]) -> None:
    options = _mapping(node, "options")
    speech = _mapping(node, "speech")
    for key in list(options):
        if f"target-{key}" not in form:
            continue
        target = form[f"target-{key}"].strip()
        if not target:
            options.pop(key)
            speech.pop(key, None)
            continue
        options[key] = target
        _edit_speech(speech, key, form, f"speech-{key}-", langs)
    new_key, new_target = form.get("new-key", "").strip(), form.get("new-target", "").strip()
    if new_key or new_target:
        options[new_key] = new_target
        _edit_speech(speech, new_key, form, "new-speech-", langs)
    _set(node, "options", options, keep_empty=True)
    _set(node, "speech", speech or None)


def _edit_speech(
    speech: dict[str, Any], key: str, form: Form, prefix: str, langs: list[str]
) -> None:
    if not any(prefix + lang in form for lang in langs):
        return
    per_language = {lang: _phrases(form.get(prefix + lang, "")) for lang in langs}
    per_language = {lang: words for lang, words in per_language.items() if words}
    if per_language:
        speech[key] = per_language
    else:
        speech.pop(key, None)


def _edit_keyed(
    node: dict[str, Any], name: str, form: Form, prefix: str, new: tuple[str, str]
) -> None:
    """A mapping of key -> value edited by ``<prefix><key>`` fields (empty: removed), plus
    one new pair."""
    mapping = _mapping(node, name)
    for key in list(mapping):
        if f"{prefix}{key}" in form:
            value = form[f"{prefix}{key}"].strip()
            if value:
                mapping[key] = value
            else:
                mapping.pop(key)
    key, value = (form.get(n, "").strip() for n in new)
    if key or value:
        mapping[key.upper() if name == "overflow" else key] = value
    _set(node, name, mapping or None)


def _edit_hours(node: dict[str, Any], form: Form) -> None:
    if "open-days-0" in form:
        rows = sorted(
            int(name.rsplit("-", 1)[1])
            for name in form
            if name.startswith("open-days-") and whole_number(name.rsplit("-", 1)[1]) is not None
        )
        weekly: dict[str, list[str]] = {}
        for row in rows:
            days = form.get(f"open-days-{row}", "").strip()
            times = [t.strip() for t in form.get(f"open-times-{row}", "").split(",") if t.strip()]
            if days:
                weekly[days] = times
        _set(node, "open", weekly, keep_empty=True)
    if "holidays" in form:
        dates = [line.strip() for line in form["holidays"].splitlines() if line.strip()]
        _set(node, "holidays", dates or None)


# -- adding and removing nodes ----------------------------------------------------------------
def add_node(data: dict[str, Any], node_id: str, kind: str) -> None:
    node_id = node_id.strip()
    if not ID.fullmatch(node_id):
        raise EditError("A node id is lower-case letters, digits, _ and -, starting with a letter.")
    if node_id in data["nodes"]:
        raise EditError(f"There is already a node '{node_id}'.")
    if kind not in NODE_TYPES:
        raise EditError(f"Choose a node type: {', '.join(NODE_TYPES)}.")
    blank = {lang: "" for lang in languages(data)}
    # Required keys left out (routes, names) are listed by the checks until filled in.
    templates: dict[str, dict[str, Any]] = {
        "prompt": {"prompt": blank},
        "menu": {"prompt": blank, "options": {}},
        "language": {"prompt": blank, "options": {}},
        "hours": {"open": {"mon-fri": ["08:00-17:00"]}},
        "queue": {"timeout": 120},
        "script": {},
        "number": {"prompt": blank, "digits": [10]},
        "hangup": {},
    }
    roundtrip.put(data["nodes"], node_id, {"type": kind, **templates[kind]})


def delete_node(data: dict[str, Any], node_id: str) -> None:
    """Remove the node; routes to it stay, and the checks list each one by line."""
    node_of(data, node_id)
    del data["nodes"][node_id]


# -- the tree ---------------------------------------------------------------------------------
@dataclass
class Edge:
    label: str
    target: str
    child: TreeNode | None  # None: shown before ("see above") or no such node
    seen: bool = False
    missing: bool = False


@dataclass
class TreeNode:
    id: str
    kind: str
    summary: str
    edges: list[Edge] = field(default_factory=list)


def edges_of(node: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, target node) of every route of a node, in reading order."""
    found: list[tuple[str, str]] = []
    if node.get("type") == "menu" and isinstance(node.get("options"), dict):
        found += [(f'key "{k}"', str(t)) for k, t in node["options"].items()]
    for name in ROUTES:
        if node.get(name):
            found.append((name, str(node[name])))
    if isinstance(node.get("overflow"), dict):
        found += [(f"overflow {k}", str(t)) for k, t in node["overflow"].items()]
    if isinstance(node.get("routes"), dict):
        found += [(f"outcome {k}", str(t)) for k, t in node["routes"].items()]
    return found


def summary(node: dict[str, Any], language: str) -> str:
    kind = node.get("type")
    if kind == "queue":
        return f"queue {node.get('queue', '?')}, up to {node.get('timeout', 120)} s"
    if kind == "script":
        return f"script {node.get('script', '?')}"
    if kind == "hours":
        opened = _mapping(node, "open")
        days = "; ".join(f"{d} {', '.join(map(str, t or []))}" for d, t in opened.items())
        return f"open {days or 'never'}; {len(node.get('holidays') or [])} holidays"
    if kind == "language" and isinstance(node.get("options"), dict):
        return "keys: " + ", ".join(f"{k} {v}" for k, v in node["options"].items())
    prompt = node.get("prompt")
    text = (
        str(prompt.get(language) or next(iter(prompt.values()), ""))
        if isinstance(prompt, dict)
        else ""
    )
    return text if len(text) <= 90 else text[:87] + "..."


def tree(data: dict[str, Any]) -> tuple[TreeNode | None, list[str]]:
    """The flow from its start node, and the nodes that cannot be reached from it. A node
    reached a second time is an edge marked ``seen`` (shown as "see above")."""
    nodes = {str(k): v for k, v in data["nodes"].items() if isinstance(v, dict)}
    language = str(data.get("default_language") or (languages(data) or [""])[0])
    seen: set[str] = set()

    def visit(node_id: str) -> TreeNode:
        seen.add(node_id)
        node = nodes[node_id]
        built = TreeNode(node_id, str(node.get("type", "?")), summary(node, language))
        for label, target in edges_of(node):
            if target not in nodes:
                built.edges.append(Edge(label, target, None, missing=True))
            elif target in seen:
                built.edges.append(Edge(label, target, None, seen=True))
            else:
                built.edges.append(Edge(label, target, visit(target)))
        return built

    start = str(data.get("start") or "")
    root = visit(start) if start in nodes else None
    return root, [node_id for node_id in nodes if node_id not in seen]
