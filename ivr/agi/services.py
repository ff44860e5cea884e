"""The shared services of a running IVR, built once and handed to every call."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ivr.accounts import AccountLookup
from ivr.agi.registry import Script
from ivr.ai_agent.llm import Phraser
from ivr.asr.registry import Recognizers
from ivr.campaigns.store import Campaigns
from ivr.core.clock import Clock, utc_now
from ivr.core.live_state import ACTIVE_CALLS, LiveState
from ivr.core.settings import Settings
from ivr.flow.store import FlowStore
from ivr.kb import KnowledgeBase
from ivr.queues.config import QueueConfig
from ivr.queues.monitor import QueueMonitor
from ivr.records.announcements import Announcements
from ivr.records.callbacks import CallbackList
from ivr.records.calls import CallRecords
from ivr.records.surveys import Surveys
from ivr.sms.outbox import Outbox
from ivr.sms.worker import SmsWorker
from ivr.tickets import Tickets
from ivr.tts import PromptCache
from ivr.voice.call import Call

log = logging.getLogger(__name__)
SETTLE_S = 0.5  # the longest a call's end waits for its record to be written


@dataclass
class Services:
    settings: Settings
    flows: FlowStore
    prompts: PromptCache
    state: LiveState
    records: CallRecords | None  # None: keep no call records (benchmarks of speech)
    recognizers: Recognizers | None  # a speech recognizer per language (None: keys only)
    accounts: AccountLookup  # persons and balances
    outbox: Outbox  # SMS are written here first, sent by the worker
    callbacks: CallbackList
    kb: KnowledgeBase  # what the AI agent answers from
    tickets: Tickets  # messages callers leave
    surveys: Surveys  # satisfaction scores
    announcements: Announcements  # heard first by every caller
    queues: dict[str, QueueConfig]  # queue name -> its settings (queues/*.yaml)
    queue_monitor: QueueMonitor | None = None  # live queues (AMI), or None without AMI
    sms_worker: SmsWorker | None = None  # this process's worker, woken on enqueue
    llm: Phraser | None = None  # rewords answers, when IVR_LLM_URL is set
    campaigns: Campaigns | None = None  # outbound notices (None: no database, e.g. benches)
    scripts: dict[str, Script] = field(default_factory=dict)
    clock: Clock = utc_now

    def _safely(self, call_id: str, work: Callable[..., object], *args: Any, **kw: Any) -> None:
        """Bookkeeping (records, live state) never stops a caller's flow: a failure is logged.

        Only the driver's own message is logged, not SQLAlchemy's, which lists the parameters
        (the caller's number among them).
        """
        try:
            work(*args, **kw)
        except Exception as exc:
            reason = str(getattr(exc, "orig", None) or exc)[:200]
            log.error(
                "call %s: %s failed: %s: %s",
                call_id,
                getattr(work, "__qualname__", work),
                type(exc).__name__,
                reason,
            )

    def call_started(self, call_id: str, flow: str, number: str, caller: str, entry: str) -> None:
        info = json.dumps({"flow": flow, "since": time.time()})
        self._safely(call_id, self.state.hset, ACTIVE_CALLS, call_id, info)
        self._safely(call_id, self.state.incr, f"flow:{flow}:{entry}")
        if self.records is not None:
            self._safely(call_id, self.records.start, call_id, flow, number, caller, entry)

    def note_visit(self, call_id: str, flow: str, node: str) -> None:
        self._safely(call_id, self.state.incr, f"flow:{flow}:node:{node}")
        if self.records is not None:
            self._safely(call_id, self.records.visit, call_id, node)

    def note(self, call_id: str, **facts: str) -> None:
        """Facts for the call record (see ``CallRecords.note``); never stops the call."""
        if self.records is not None:
            self._safely(call_id, self.records.note, call_id, **facts)

    def note_tag(self, call_id: str, tag: str) -> None:
        self._safely(call_id, self.state.incr, f"calls:tag:{tag}")
        self.note(call_id, tag=tag)

    def note_self_service(self, call_id: str, step: str) -> None:
        self.note(call_id, self_service=step)

    def note_category(self, call_id: str, category: str) -> None:
        self.note(call_id, category=category)

    def note_language(self, call_id: str, language: str) -> None:
        if self.records is not None:
            self._safely(call_id, self.records.set_language, call_id, language)

    def call_ended(
        self,
        call_id: str,
        flow: str,
        outcome: str,
        queue: str | None = None,
        queue_status: str | None = None,
    ) -> None:
        self._safely(call_id, self.state.hdel, ACTIVE_CALLS, call_id)
        self._safely(call_id, self.state.incr, f"flow:{flow}:outcome:{outcome}")
        if self.records is not None:
            self._safely(
                call_id,
                self.records.finish,
                call_id,
                outcome,
                queue=queue,
                queue_status=queue_status,
            )
            # The record complete when the AGI socket closes, as readers expect, unless the
            # database is in trouble: then the dialplan goes on without waiting for it.
            self.records.settle(SETTLE_S)


# A call as every script of ``ivr/agi_scripts/`` gets it: with all the services.
AgiCall = Call[Services]
