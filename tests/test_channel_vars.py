"""The dialplan and the IVR use the same channel variable names (ivr.wire.channel_vars)."""

from __future__ import annotations

import re
from pathlib import Path

from ivr.wire import channel_vars

ETC = Path(__file__).resolve().parent.parent / "asterisk" / "etc"


def test_every_ivr_variable_of_the_dialplan_is_named_once_in_python() -> None:
    used: set[str] = set()
    for conf in ETC.glob("extensions*.conf"):
        used |= set(re.findall(r"\bIVR_[A-Z_]+\b", conf.read_text(encoding="utf-8")))
    assert {"IVR_QUEUE", "IVR_AGI", "IVR_QUEUE_EXIT"} <= used, "the dialplan was read"
    assert used <= set(channel_vars.ALL), sorted(used - set(channel_vars.ALL))
