"""Building the running IVR: services, servers, and their start and stop."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from ivr.accounts import make_accounts
from ivr.admin import AdminContext
from ivr.admin.users import Users
from ivr.agent.llm import Phraser
from ivr.agi_scripts import load_scripts
from ivr.agi_server import FastAgiServer
from ivr.ami.runtime import AmiRuntime, start_ami
from ivr.announcements import Announcements
from ivr.asr.registry import Recognizers
from ivr.call_records import CallRecords
from ivr.callbacks import CallbackList
from ivr.db import Database, migrate
from ivr.flow.loader import FlowError
from ivr.flow.store import FlowStore
from ivr.kb import KbStore, KnowledgeBase
from ivr.media_clock import MediaClock
from ivr.media_server import MediaServer
from ivr.queue_config import load_queues
from ivr.services import Services
from ivr.settings import Settings
from ivr.sms.gateway import make_gateway
from ivr.sms.outbox import Outbox
from ivr.sms.worker import SmsWorker
from ivr.state import make_state
from ivr.survey import Surveys
from ivr.tickets import Tickets
from ivr.tickets.categories import load_categories
from ivr.tts import PromptCache
from ivr.web.server import WebServer, start_web

log = logging.getLogger(__name__)


def build_services(settings: Settings, keep_records: bool = True) -> Services:
    """Everything the calls of this process share. ``keep_records=False`` (benchmarks of the
    speech path) keeps no call records; the database still serves accounts, SMS, callbacks."""
    scripts = load_scripts()
    migrate(settings.db_url)
    database = Database(settings.db_url)
    flows = FlowStore(settings.dialplans_dir, {n: s.outcomes for n, s in scripts.items()})
    services = Services(
        settings=settings,
        flows=flows,
        prompts=PromptCache(
            settings.prompts_dir, settings.tts_engines, settings.data_dir / "prompt_recordings"
        ),
        state=make_state(settings),
        records=CallRecords(database) if keep_records else None,
        scripts=scripts,
        recognizers=Recognizers.load(settings, speech_languages(settings, flows)),
        accounts=make_accounts(settings, database),
        outbox=Outbox(database),
    )
    clock = lambda: services.clock()  # noqa: E731  (tests move the clock after building)
    services.callbacks = CallbackList(database, clock)
    store = KbStore(database, clock, services.state)
    if not store.entries():  # the first start: the sample base; later the admins' edits rule
        count = store.load_dir(settings.knowledge_dir, by="seed")
        log.info("knowledge base: %d entries loaded from %s", count, settings.knowledge_dir)
    services.kb = KnowledgeBase(store, settings.kb_threshold, services.state)
    services.tickets = Tickets(
        database,
        clock,
        load_categories(settings.knowledge_dir / "categories.yaml"),
        settings.ticket_due_hours,
        services.outbox,
    )
    services.surveys = Surveys(database, clock)
    services.announcements = Announcements(database, clock, services.state)
    services.queues = load_queues(settings.queues_dir)  # QueueError: file:line problems
    if settings.llm_url:
        services.llm = Phraser(
            settings.llm_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_s
        )
    return services


def speech_languages(settings: Settings, flows: FlowStore) -> list[str]:
    """The languages of the flows in force, and any other language IVR_ASR names."""
    try:
        in_flows = [lang for flow in flows.current() for lang in flow.languages]
    except FlowError:
        in_flows = []  # reported by the flow store; a later fix still finds the engines here
    return list(dict.fromkeys(in_flows + list(settings.asr_engines)))


@dataclass
class RunningIvr:
    services: Services
    media: MediaServer
    agi: FastAgiServer
    web: WebServer
    sms_worker: SmsWorker
    ami: AmiRuntime | None = None

    def stop(self) -> None:
        if self.ami is not None:
            self.ami.stop()
        self.agi.stop()
        self.media.stop()
        self.sms_worker.stop()
        self.web.stop()
        self.services.state.close()


def start(settings: Settings, services: Services | None = None) -> RunningIvr:
    services = services or build_services(settings)
    media = MediaServer(
        settings.media_host,
        settings.media_port,
        settings.media_advertise,
        MediaClock(settings.media_rate),
    )
    media.start()
    database = services.outbox.database
    admin = AdminContext(services, Users(database, lambda: services.clock()))
    web = start_web(settings, database, admin)
    # Kannel's delivery reports come to the port the web side really got (0: any free one).
    reachable = replace(settings, http_port=web.port)
    sms_worker = SmsWorker(reachable, database, make_gateway(reachable)).start()
    services.sms_worker = sms_worker
    ami = start_ami(settings, services)  # None without IVR_AMI_HOST: no live queue state
    admin.ami = ami
    agi = FastAgiServer(services.scripts, services, media, settings.agi_host, settings.agi_port)
    agi.start()
    log.info(
        "FastAGI on %s:%d, AudioSocket on %s:%d (advertised as %s), web on %s:%d",
        agi.host,
        agi.port,
        media.host,
        media.port,
        media.address,
        settings.http_host,
        web.port,
    )
    return RunningIvr(services, media, agi, web, sms_worker, ami)
