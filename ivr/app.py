"""Building the running IVR: services, servers, and their start and stop."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ivr.agi_scripts import load_scripts
from ivr.agi_server import FastAgiServer
from ivr.asr.registry import Recognizers
from ivr.call_records import CallRecords
from ivr.db import Database, migrate
from ivr.flow.loader import FlowError
from ivr.flow.store import FlowStore
from ivr.media_server import MediaServer
from ivr.services import Services
from ivr.settings import Settings
from ivr.state import make_state
from ivr.tts import PromptCache

log = logging.getLogger(__name__)


def build_services(settings: Settings, keep_records: bool = True) -> Services:
    scripts = load_scripts()
    records = None
    if keep_records:
        migrate(settings.db_url)
        records = CallRecords(Database(settings.db_url))
    flows = FlowStore(settings.dialplans_dir, set(scripts))
    return Services(
        settings=settings,
        flows=flows,
        prompts=PromptCache(settings.prompts_dir, settings.tts_engines),
        state=make_state(settings),
        records=records,
        scripts=scripts,
        recognizers=Recognizers.load(settings, speech_languages(settings, flows)),
    )


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

    def stop(self) -> None:
        self.agi.stop()
        self.media.stop()
        self.services.state.close()


def start(settings: Settings, services: Services | None = None) -> RunningIvr:
    services = services or build_services(settings)
    media = MediaServer(settings.media_host, settings.media_port, settings.media_advertise)
    media.start()
    agi = FastAgiServer(services.scripts, services, media, settings.agi_host, settings.agi_port)
    agi.start()
    log.info(
        "FastAGI on %s:%d, AudioSocket on %s:%d (advertised as %s)",
        agi.host,
        agi.port,
        media.host,
        media.port,
        media.address,
    )
    return RunningIvr(services, media, agi)
