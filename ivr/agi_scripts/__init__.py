"""AGI scripts: one module a behaviour, each a plain function of one call.

A module defines ``run(call)`` and registers it at the bottom with
``register("<name>", run)``; Asterisk reaches it as ``agi://host:4573/<name>`` (FastAGI) or
``AGI(ivr-agi,<name>,...)`` (classic AGI). ``setup(services)`` is an optional one-time set-up.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Run = Callable[[Any], None]
Setup = Callable[[Any], None]


@dataclass(frozen=True)
class Script:
    name: str
    run: Run
    setup: Setup | None = None


_REGISTRY: dict[str, Script] = {}


def register(name: str, run: Run, setup: Setup | None = None) -> None:
    if name in _REGISTRY and _REGISTRY[name].run is not run:
        raise ValueError(f"AGI script {name!r} is registered twice")
    _REGISTRY[name] = Script(name, run, setup)


def load_scripts() -> dict[str, Script]:
    """Import every module of this package (each registers itself) and return the registry."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(_REGISTRY)


def script_names() -> set[str]:
    return set(load_scripts())
