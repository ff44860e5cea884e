"""The shared services of a running IVR, built once and handed to every call."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ivr.agi_scripts import Script
from ivr.flow.engine import now_utc
from ivr.flow.store import FlowStore
from ivr.settings import Settings
from ivr.state import LiveState
from ivr.tts import PromptCache

log = logging.getLogger(__name__)
ACTIVE_CALLS = "calls:active"


@dataclass
class Services:
    settings: Settings
    flows: FlowStore
    prompts: PromptCache
    state: LiveState
    records: Any = None  # ivr.call_records.CallRecords, or None to keep no records
    scripts: dict[str, Script] = field(default_factory=dict)
    clock: Callable[[], datetime] = now_utc

    def call_started(self, call_id: str, flow: str, number: str, caller: str, entry: str) -> None:
        self.state.hset(ACTIVE_CALLS, call_id, json.dumps({"flow": flow, "since": time.time()}))
        self.state.incr(f"flow:{flow}:{entry}")
        if self.records is not None:
            self.records.start(call_id, flow, number, caller, entry)

    def note_visit(self, call_id: str, flow: str, node: str) -> None:
        self.state.incr(f"flow:{flow}:node:{node}")
        if self.records is not None:
            self.records.visit(call_id, node)

    def note_language(self, call_id: str, language: str) -> None:
        if self.records is not None:
            self.records.set_language(call_id, language)

    def call_ended(
        self,
        call_id: str,
        flow: str,
        outcome: str,
        queue: str | None = None,
        queue_status: str | None = None,
    ) -> None:
        self.state.hdel(ACTIVE_CALLS, call_id)
        self.state.incr(f"flow:{flow}:outcome:{outcome}")
        if self.records is not None:
            self.records.finish(call_id, outcome, queue=queue, queue_status=queue_status)
