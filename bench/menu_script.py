"""The DTMF menu both sides of bench/agi_throughput.py run: the same code, FastAGI or classic.

Run as a program it is a classic AGI script (``python bench/menu_script.py menu``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.agi.registry import Script  # noqa: E402

PROMPT = "bench-menu"  # a 20 ms sound the benchmark writes into its sounds folder


def menu(call: Any) -> None:
    call.answer()
    choice = call.get_data(PROMPT, 2000, 1)
    if choice.digits not in {"1", "2", "3"}:
        choice = call.get_data(PROMPT, 2000, 1)
    call.set_variable("MENU_CHOICE", choice.digits or "none")
    call.verbose(f"menu choice {choice.digits or 'none'}", 3)


SCRIPTS = {"menu": Script("menu", menu)}

if __name__ == "__main__":
    from ivr.agi.stdio import run_classic
    from ivr.core.settings import Settings

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sys.exit(run_classic(sys.argv[1], SCRIPTS, Settings.from_env()))
