"""What the AI voice agent uses of the running IVR (``ivr.agi.services.Services`` has it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ivr.ai_agent.llm import Phraser
from ivr.core.settings import Settings
from ivr.kb import KnowledgeBase
from ivr.self_service.help import HelpServices
from ivr.sms.outbox import Outbox
from ivr.sms.worker import SmsWorker
from ivr.tickets import Tickets
from ivr.voice.call import Call, CallScript


class AgentServices(HelpServices, Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def kb(self) -> KnowledgeBase: ...

    @property
    def tickets(self) -> Tickets: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def sms_worker(self) -> SmsWorker | None: ...

    @property
    def llm(self) -> Phraser | None: ...

    @property
    def scripts(self) -> Mapping[str, CallScript]: ...

    def note_tag(self, call_id: str, tag: str) -> None: ...
    def note_category(self, call_id: str, category: str) -> None: ...
    def note_self_service(self, call_id: str, step: str) -> None: ...


AgentCall = Call[AgentServices]
