"""AGI scripts: one module a behaviour, each a plain function of one call.

Each module registers itself with :func:`ivr.agi.registry.register`; importing this package's
modules (:func:`load_scripts`) fills the registry.
"""

from __future__ import annotations

import importlib
import pkgutil

from ivr.agi.registry import Script, registered


def load_scripts() -> dict[str, Script]:
    """Import every module of this package (each registers itself) and return the registry."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return registered()


def script_outcomes() -> dict[str, tuple[str, ...]]:
    """Script name -> the outcomes it can end with: what the flow loader checks routes by."""
    return {name: script.outcomes for name, script in load_scripts().items()}
