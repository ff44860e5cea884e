"""callback: book a call back for the caller (one per number per day) and tell them.

Used where a flow offers a call back without a conversation: a caller who presses the
queue's call-back key while waiting (``KEY2`` route of a queue node). Outcomes "callback"
(booked and told) and "failed" (no usable caller ID: they heard so).
"""

from __future__ import annotations

from ivr.agi.registry import register
from ivr.agi.services import AgiCall
from ivr.self_service.help import book_callback


def run(call: AgiCall) -> str:
    reason = "left-queue" if "left-queue" in call.notes.tags else "requested"
    return book_callback(call, reason)


register("callback", run, outcomes=("callback", "failed"))
