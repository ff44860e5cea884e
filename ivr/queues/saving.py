"""Saving a queue's settings from the admin web the way ``ivr queues render`` goes, so the web
and the command line can never disagree: the new file is checked with ``load_queues`` on a copy
of the folder (every problem by file:line, nothing written), then written (atomic replace), then
queues.conf and extensions_queues.conf are rendered into the Asterisk folder (``default_etc``),
and Asterisk is asked over AMI to reload what changed: ``Action: Reload`` with ``Module:
app_queue.so`` for queues.conf and ``pbx_config.so`` for the dialplan (manager.c answers
``Module Reloaded``).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.ami.client import AmiError
from ivr.core.settings import Settings
from ivr.flow import comments, roundtrip
from ivr.flow.yaml_reader import Problem
from ivr.queues.ami_actions import AmiAnswer, AmiProblem, send
from ivr.queues.ami_runtime import AmiRuntime
from ivr.queues.config import QueueConfig, QueueError, agent_endpoints, load_queues
from ivr.queues.editing import (
    FORM_FIELDS,
    apply_form,
    form_values,
    queue_file,
    queue_text,
    version_of,
)
from ivr.queues.render import EXTENSIONS_QUEUES_CONF, QUEUES_CONF, default_etc, write_files

# The module whose reload reads each rendered file again.
RELOAD_MODULE = {QUEUES_CONF: "app_queue.so", EXTENSIONS_QUEUES_CONF: "pbx_config.so"}
_save_lock = threading.Lock()


@dataclass
class SaveResult:
    problems: list[Problem] = field(default_factory=list)
    conflict: bool = False
    changes: list[str] = field(default_factory=list)  # "ring_timeout: 20 -> 25"
    rendered: list[str] = field(default_factory=list)  # the Asterisk files that changed
    etc_dir: Path | None = None
    reloads: list[AmiAnswer] = field(default_factory=list)
    reload_error: str = ""
    queues: dict[str, QueueConfig] | None = None  # every queue as saved, when one was

    def field_problems(self) -> dict[str, list[str]]:
        """Form field -> its messages (a problem belongs to the longest field its path starts
        with; others go under "")."""
        found: dict[str, list[str]] = {}
        for p in self.problems:
            owner = max(
                (f for f in (*FORM_FIELDS, "overflow.to_ai_agent") if _under(p.path, f)),
                key=len,
                default="",
            )
            found.setdefault(owner, []).append(p.message)
        return found


def _under(path: str, name: str) -> bool:
    return path == name or path.startswith(name + ".")


def save_queue(
    settings: Settings, ami: AmiRuntime | None, queue: QueueConfig, form: Mapping[str, Any]
) -> SaveResult:
    """Check, write, render, reload: see the module docstring. Nothing is written when the
    new file has problems or the file changed since the form was opened (``conflict``); after
    a save, ``queues`` holds every queue as now written (for the flow engine's next call)."""
    path = queue_file(settings, queue)
    etc_dir = default_etc(settings)
    pjsip = etc_dir / "pjsip.conf"
    agents = agent_endpoints(pjsip) if pjsip.is_file() else None
    with _save_lock:
        original = path.read_text(encoding="utf-8")
        if form.get("version") != version_of(original):
            return SaveResult(conflict=True)
        try:
            data = roundtrip.load(original)  # TooDeep too: a file nested thousands deep
        except roundtrip.YAMLError as exc:
            message = f"the file cannot be changed from here: {str(exc).splitlines()[0]}"
            return SaveResult(problems=[Problem(path.name, 1, "", message)])
        if not isinstance(data, dict):
            message = "the file cannot be changed from here: it is not a mapping of settings"
            return SaveResult(problems=[Problem(path.name, 1, "", message)])
        new = queue_text(original, apply_form(data, form))
        result = SaveResult(changes=_changes(form_values(original), form_values(new)))
        result.problems = _check(path, new, agents) or _lost_comments(path, original, new)
        if result.problems or not result.changes:
            return result
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(path)
        queues = load_queues(path.parent, agents)
        result.etc_dir = etc_dir
        result.rendered = write_files(etc_dir, queues) if etc_dir.is_dir() else []
        result.queues = queues
    _reload(ami, result)
    return result


def _check(path: Path, new: str, agents: set[str] | None) -> list[Problem]:
    with tempfile.TemporaryDirectory(prefix="queues-check-") as folder:
        copy = Path(folder)
        for other in path.parent.glob("*.yaml"):
            shutil.copyfile(other, copy / other.name)
        (copy / path.name).write_text(new, encoding="utf-8")
        try:
            load_queues(copy, agents)
        except QueueError as exc:
            return list(exc.problems)
    return []


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [
        f"{k}: {old.get(k) or '-'} -> {new.get(k) or '-'}" for k in new if old.get(k) != new.get(k)
    ]


def _reload(ami: AmiRuntime | None, result: SaveResult) -> None:
    if not result.rendered or ami is None:
        return
    try:
        for name in result.rendered:
            answer = send(ami, "Reload", Module=RELOAD_MODULE[name])
            answer.action = f"Reload {RELOAD_MODULE[name]}"
            result.reloads.append(answer)
    except AmiProblem as exc:
        result.reload_error = exc.message
        return
    if QUEUES_CONF in result.rendered:
        try:  # members a reload added or removed: take Asterisk's view again
            ami.monitor.rebuild(ami.client)
        except AmiError:
            pass


def _lost_comments(path: Path, original: str, new: str) -> list[Problem]:
    """The comments ``new`` lost, but for those inside a setting the form removed."""
    removed = [c.text for c in comments.removed_with_content(original, new)]
    return [
        Problem(path.name, c.line + 1, "", f"the save would lose the comment {c.text!r}")
        for c in comments.subtract(comments.lost(original, new), removed)
    ]
