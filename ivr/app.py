"""Building the running IVR: services, servers, and their start and stop."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from ivr.accounts import make_accounts
from ivr.admin import AdminContext
from ivr.admin.users import Users
from ivr.agi.server import FastAgiServer
from ivr.agi.services import Services
from ivr.agi_scripts import load_scripts
from ivr.ai_agent.llm import Phraser
from ivr.asr.registry import Recognizers
from ivr.campaigns.dialer import start_campaign_dialer
from ivr.campaigns.store import Campaigns
from ivr.core.db import Database, migrate
from ivr.core.leases import QUEUES, SMS_OUTBOX, Leases
from ivr.core.limits import files_needed, raise_open_files
from ivr.core.live_state import make_state
from ivr.core.media_clock import MediaClock
from ivr.core.settings import Settings
from ivr.flow.loader import FlowError
from ivr.flow.store import FlowStore
from ivr.kb import KbStore, KnowledgeBase
from ivr.kb.embeddings import cache_of
from ivr.queues.ami_runtime import AmiRuntime, start_ami
from ivr.queues.config import load_queues
from ivr.records.announcements import Announcements
from ivr.records.callbacks import CallbackList
from ivr.records.calls import CallRecords
from ivr.records.surveys import Surveys
from ivr.records.writer import RecordWriter
from ivr.sms.gateways import make_gateway
from ivr.sms.outbox import Outbox
from ivr.sms.worker import SmsWorker
from ivr.tickets import Tickets
from ivr.tickets.categories import load_categories
from ivr.tts import PromptCache
from ivr.voice.media_server import MAX_HANDSHAKES, MediaServer
from ivr.web.server import WebServer, start_web
from ivr.wire.listener import REFUSING

log = logging.getLogger(__name__)
T = TypeVar("T")


def build_services(settings: Settings, keep_records: bool = True) -> Services:
    """Everything the calls of this process share. ``keep_records=False`` (benchmarks of the
    speech path) keeps no call records; the database still serves accounts, SMS, callbacks."""
    scripts = load_scripts()
    migrate(settings.db_url)
    database = Database(settings.db_url)
    flows = FlowStore(settings.dialplans_dir, {n: s.outcomes for n, s in scripts.items()})
    state = make_state(settings)
    # Every part reads the time through the services once they exist, so a test can move the
    # clock after building them (``services.clock = ...``).
    real = settings.clock()
    built: list[Services] = []

    def clock() -> datetime:
        return built[0].clock() if built else real()

    store = KbStore(database, clock, state)
    outbox = Outbox(database, clock)
    writer = RecordWriter(database, retry_s=settings.records_retry_s)  # call records, queued
    llm = None
    if settings.llm_url:
        llm = Phraser(
            settings.llm_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_s
        )
    services = Services(
        settings=settings,
        flows=flows,
        prompts=PromptCache(
            settings.prompts_dir, settings.tts_engines, settings.data_dir / "prompt_recordings"
        ),
        state=state,
        records=CallRecords(database, clock, settings.node, writer) if keep_records else None,
        scripts=scripts,
        recognizers=Recognizers.load(settings, speech_languages(settings, flows)),
        accounts=make_accounts(settings, database),
        outbox=outbox,
        callbacks=CallbackList(database, clock),
        kb=KnowledgeBase(store, settings.kb_threshold, state, cache_of(settings)),
        tickets=Tickets(
            database,
            clock,
            load_categories(settings.knowledge_dir / "categories.yaml"),
            settings.ticket_due_hours,
            outbox,
        ),
        surveys=Surveys(database, clock),
        announcements=Announcements(database, clock, state),
        queues=load_queues(settings.queues_dir),  # QueueError: file:line problems
        llm=llm,
        campaigns=Campaigns(database, clock),
        clock=real,
    )
    built.append(services)
    if not store.entries():  # the first start: the sample base; later the admins' edits rule
        count = store.load_dir(settings.knowledge_dir, by="seed")
        log.info("knowledge base: %d entries loaded from %s", count, settings.knowledge_dir)
        # index them now, not at the first question: the dense index builds meanwhile
        services.kb.reload_if_changed()
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
    leases: Leases | None = None

    def stop(self) -> None:
        if self.ami is not None:
            self.ami.stop()
        self.agi.stop()
        self.media.stop()
        self.sms_worker.stop()
        if self.leases is not None:
            self.leases.stop()  # given back: another node takes the work over at once
        self.web.stop()
        self.services.kb.close()
        if self.services.records is not None:
            self.services.records.close()  # the records still queued are written first
        self.services.state.close()


class StartError(Exception):
    """The IVR cannot start; the message is one line for the admin, naming what to change."""


def _listening(make: Callable[[], T], host: str, port: int, setting: str) -> T:
    """Bind a listening socket (``make``), turning a refusal into one clear line."""
    try:
        return make()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StartError(
                f"{host}:{port} is already in use (another `ivr serve`?): "
                f"set {setting} to a free port"
            ) from None
        raise StartError(f"cannot listen on {host}:{port} ({setting}): {exc.strerror}") from None


def start(settings: Settings, services: Services | None = None) -> RunningIvr:
    """Bind every port first (nothing has started if one is taken: StartError), then start."""
    services = services or build_services(settings)
    raise_open_files(files_needed(settings.max_calls, MAX_HANDSHAKES + REFUSING))
    with ExitStack() as undo:
        media = _listening(
            lambda: MediaServer(
                settings.media_host,
                settings.media_port,
                settings.media_advertise,
                MediaClock(settings.media_rate),
            ),
            settings.media_host,
            settings.media_port,
            "IVR_MEDIA_PORT",
        )
        undo.callback(media.stop)
        agi = _listening(
            lambda: FastAgiServer(
                services.scripts,
                services,
                media,
                settings.agi_host,
                settings.agi_port,
                max_calls=settings.max_calls,
                header_timeout=settings.agi_header_timeout_s,
                reply_timeout=settings.agi_reply_timeout_s,
            ),
            settings.agi_host,
            settings.agi_port,
            "IVR_AGI_PORT",
        )
        undo.callback(agi.stop)
        database = services.outbox.database
        admin = AdminContext(services, Users(database, lambda: services.clock()))
        web = _listening(
            lambda: start_web(settings, database, admin, clock=lambda: services.clock()),
            settings.http_host,
            settings.http_port,
            "IVR_HTTP_PORT",
        )
        undo.pop_all()
    media.start()
    # One node at a time sends SMS, and records queue events and calls back (ivr.core.leases).
    leases = Leases(database, settings.node, (SMS_OUTBOX, QUEUES), settings.lease_ttl_s).start()
    # Kannel's delivery reports come to the port the web side really got (0: any free one).
    reachable = replace(settings, http_port=web.port)
    sms_worker = SmsWorker(
        reachable,
        database,
        make_gateway(reachable),
        clock=lambda: services.clock(),
        lease=leases[SMS_OUTBOX],
    ).start()
    services.sms_worker = sms_worker
    # None without IVR_AMI_HOST: no live queue state
    ami = start_ami(
        settings,
        services.state,
        services.callbacks,
        lambda: services.clock(),
        lease=leases[QUEUES],
    )
    if ami is not None:
        services.queue_monitor = ami.monitor  # the flow engine's wait estimates
        if services.campaigns is not None:
            dialer = start_campaign_dialer(
                settings, services.campaigns, ami.client, services, may_run=ami.mine
            )
            ami.add(dialer)
    admin.ami = ami
    if services.records is not None:
        services.records.close_interrupted()  # queued before any call of this run
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
    return RunningIvr(services, media, agi, web, sms_worker, ami, leases)
