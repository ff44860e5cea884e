"""AGI scripts: one module a behaviour, each a plain function of one call.

A module defines ``run(call)`` and registers it at the bottom with
``register("<name>", run)``; a script that can end in several ways returns an outcome name
and lists its outcomes (``register("auth", run, outcomes=("ok", "locked"))``), which flows route
on (``routes:`` of a script node); Asterisk reaches it as ``agi://host:4573/<name>`` (FastAGI) or
``AGI(ivr-agi,<name>,...)`` (classic AGI). ``setup(services)`` is an optional one-time set-up.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Run = Callable[[Any], str | None]
Setup = Callable[[Any], None]


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


def load_scripts() -> dict[str, Script]:
    """Import every module of this package (each registers itself) and return the registry."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(_REGISTRY)


def script_outcomes() -> dict[str, tuple[str, ...]]:
    """Script name -> the outcomes it can end with: what the flow loader checks routes by."""
    return {name: script.outcomes for name, script in load_scripts().items()}
