"""Run the script a call asked for, and make sure every way out is clean and logged."""

from __future__ import annotations

import logging
import time

from ivr.agi.registry import Script
from ivr.agi.services import AgiCall
from ivr.voice.call import AgiError, CallerHungUp
from ivr.wire.channel_vars import IVR_ERROR

log = logging.getLogger(__name__)


def run_script(call: AgiCall, scripts: dict[str, Script], name: str | None = None) -> str:
    """Run the named script (default: the FastAGI path) on the call. Returns how it ended.

    Endings: "done", "caller-hangup", "unknown-script", "error". Never raises: a broken
    script must not take the server down, and the socket is closed by the caller afterwards.
    """
    name = name if name is not None else call.env.script
    script = scripts.get(name)
    if script is None:
        _unknown_script(call, name, scripts)
        return "unknown-script"
    started = time.monotonic()
    log.info("call %s: script %s started", call.id, name)
    try:
        script.run(call)
        ending = "done"
    except CallerHungUp as exc:
        log.info("call %s: caller hung up (%s)", call.id, exc)
        ending = "caller-hangup"
    except AgiError as exc:
        log.error("call %s: script %s stopped on an AGI error: %s", call.id, name, exc)
        ending = "error"
    except Exception:
        log.exception("call %s: script %s failed", call.id, name)
        ending = "error"
    log.info(
        "call %s: script %s ended (%s) after %.1f s",
        call.id,
        name,
        ending,
        time.monotonic() - started,
    )
    return ending


def _unknown_script(call: AgiCall, name: str, scripts: dict[str, Script]) -> None:
    """Tell Asterisk and the log clearly; the dialplan can test IVR_ERROR and route on."""
    known = ", ".join(sorted(scripts)) or "none"
    message = f"hotline-ivr: unknown AGI script {name!r} (known: {known})"
    log.error("call %s: %s", call.id, message)
    try:
        call.verbose(message, 1)
        call.set_variable(IVR_ERROR, f"unknown-script:{name}")
    except (CallerHungUp, AgiError):
        pass
