"""The AGI script registry: every script a call can ask for, by name.

A module of ``ivr/agi_scripts/`` defines ``run(call)`` and registers it at the bottom with
``register("<name>", run)``; a script that can end in several ways returns an outcome name
and lists its outcomes (``register("auth", run, outcomes=("ok", "locked"))``), which flows route
on (``routes:`` of a script node); Asterisk reaches it as ``agi://host:4573/<name>`` (FastAGI) or
``AGI(ivr-agi,<name>,...)`` (classic AGI). ``setup(services)`` is an optional one-time set-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivr.agi.services import Services
    from ivr.voice.call import Call

Run = Callable[["Call[Services]"], str | None]
Setup = Callable[["Services"], None]


@dataclass(frozen=True)
class Script:
    name: str
    run: Run
    setup: Setup | None = None
    outcomes: tuple[str, ...] = ()


_REGISTRY: dict[str, Script] = {}


def register(
    name: str, run: Run, setup: Setup | None = None, outcomes: tuple[str, ...] = ()
) -> None:
    if name in _REGISTRY and _REGISTRY[name].run is not run:
        raise ValueError(f"AGI script {name!r} is registered twice")
    _REGISTRY[name] = Script(name, run, setup, outcomes)


def registered() -> dict[str, Script]:
    return dict(_REGISTRY)
