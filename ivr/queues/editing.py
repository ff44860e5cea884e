"""The queue settings form and ``queues/<name>.yaml``: the form's values read from a file, and
the file with the form's values put in.

A save changes only the lines of the settings that changed (``ivr.flow.roundtrip``): comments,
order and quotes stay, a new key goes after the keys before it in ``KEY_ORDER``; a save that
would lose a comment (other than one inside a setting the form removed) is refused
(``ivr.queues.saving``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ivr.core.languages import LANGUAGES
from ivr.core.settings import Settings
from ivr.flow import roundtrip
from ivr.flow.yaml_reader import check_depth
from ivr.queues.config import OVERFLOW_CHOICES, STRATEGIES, QueueConfig

NUMBERS = ("ring_timeout", "retry", "wrapup", "max_wait", "max_length", "announcements.frequency")
OPTIONAL_NUMBERS = ("announcements.periodic.every", "overflow.predicted_wait")
LISTS = ("members", "dynamic_members")
TEXTS = tuple(f"announcements.periodic.text.{lang}" for lang in LANGUAGES)
CHOICES = {
    "strategy": STRATEGIES,
    "announcements.position": ("yes", "no"),
    "announcements.hold_time": ("yes", "no", "once"),
}
FORM_FIELDS = ("description", *CHOICES, *NUMBERS, *OPTIONAL_NUMBERS, *LISTS, *TEXTS)
KEY_ORDER = {
    "": ("name", "description", "language", "strategy", "members", "dynamic_members",
         "ring_timeout", "retry", "wrapup", "max_wait", "max_length", "announcements", "overflow",
         "hours", "leave_keys"),
    "announcements": ("position", "hold_time", "frequency", "periodic"),
    "announcements.periodic": ("every", "text"),
    "overflow": ("predicted_wait", "to_ai_agent"),
}  # fmt: skip


def queue_file(settings: Settings, queue: QueueConfig) -> Path:
    return Path(settings.queues_dir) / queue.file


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class UnreadableQueueFile(ValueError):
    """The queue file is not YAML the form can show (changed by hand since the IVR read it)."""


def form_values(text: str) -> dict[str, Any]:
    """The form's values (strings; the statuses a list) from a queue file's text;
    ``UnreadableQueueFile`` when it is not YAML or nests thousands of levels deep (PyYAML
    builds by recursion: that was a RecursionError and a 500 page)."""
    try:
        check_depth(text)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise UnreadableQueueFile(str(exc).splitlines()[0]) from None
    if not isinstance(data, dict):
        raise UnreadableQueueFile("it is not a mapping of queue settings")
    values: dict[str, Any] = {}
    for name in FORM_FIELDS:
        value = _get(data, name)
        if name in LISTS:
            value = ", ".join(value or [])
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        values[name] = "" if value is None else str(value)
    values["overflow.to_ai_agent"] = sorted(_get(data, "overflow.to_ai_agent") or [])
    return values


def apply_form(data: dict[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """The queue file's data (``roundtrip.load``) with the form's values put in: only what
    differs is changed, keys the form does not edit are kept."""
    for name in ("description", *CHOICES):
        value: Any = str(form.get(name, "")).strip()
        if name == "announcements.position":
            value = {"yes": True, "no": False}.get(value, value)
        _set(data, name, value)
    for name in NUMBERS:
        _set(data, name, _number(form.get(name, "")))
    for name in LISTS:
        names = [n for n in re.split(r"[\s,]+", str(form.get(name, ""))) if n]
        _set(data, name, names or None)
    every = _number(form.get("announcements.periodic.every", ""))
    texts = {
        lang: str(form.get(f"announcements.periodic.text.{lang}", "")).strip() for lang in LANGUAGES
    }
    if every in ("", 0):
        _set(data, "announcements.periodic", None)
    else:
        periodic = {"every": every, "text": {k: v for k, v in texts.items() if v}}
        _set(data, "announcements.periodic", periodic)
    wait = _number(form.get("overflow.predicted_wait", ""))
    _set(data, "overflow.predicted_wait", None if wait == "" else wait)
    chosen = form.get("overflow.to_ai_agent") or []
    kept = [s for s in _get(data, "overflow.to_ai_agent") or [] if s in chosen]  # file's order
    added = [s for s in OVERFLOW_CHOICES if s in chosen and s not in kept]
    _set(data, "overflow.to_ai_agent", [str(s) for s in kept] + added)
    return data


def _number(raw: Any) -> Any:
    """A whole number as an int; anything else as typed, for the loader to name the problem."""
    text = str(raw or "").strip()
    return int(text) if re.fullmatch(r"[0-9]+", text) else text  # not "²": isdigit() takes it


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    """``roundtrip.put`` at a dotted path (None: removed), making the mappings on the way."""
    *parents, last = path.split(".")
    for depth, part in enumerate(parents):
        if not isinstance(data.get(part), dict):
            if value is None:
                return
            roundtrip.put(data, part, {}, order=KEY_ORDER.get(".".join(parents[:depth]), ()))
        data = data[part]
    roundtrip.put(data, last, value, order=KEY_ORDER.get(".".join(parents), ()))


def queue_text(original: str, data: Mapping[str, Any]) -> str:
    """The new file: ``original`` with only the lines of the settings that changed."""
    return roundtrip.dump(data, original)
