"""Starting the AMI side of ``ivr serve``: client, live queue state and callback dialer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ivr.ami.client import AmiClient
from ivr.core.clock import Clock
from ivr.core.live_state import LiveState
from ivr.core.settings import Settings
from ivr.queues.dialer import CallbackDialer
from ivr.queues.monitor import QueueMonitor
from ivr.records.callbacks import CallbackList
from ivr.wire.ami import Message

log = logging.getLogger(__name__)


@dataclass
class AmiRuntime:
    client: AmiClient
    monitor: QueueMonitor
    dialer: CallbackDialer

    def stop(self) -> None:
        self.dialer.stop()
        self.client.stop()


def start_ami(
    settings: Settings,
    state: LiveState,
    callbacks: CallbackList,
    clock: Clock,
    default_queue: str = "insurance",
    **dialer_options: Any,
) -> AmiRuntime | None:
    """Connect to Asterisk's AMI (``IVR_AMI_*``) when ``ami_host`` is set, else None.

    Its ``monitor`` is what the flow engine asks for wait estimates. The client reconnects by
    itself; ``stop()`` ends the dialer and logs off.
    """
    if not settings.ami_host:
        return None
    database = callbacks.database
    monitor = QueueMonitor(state, database, clock, callbacks=callbacks)
    holder: dict[str, CallbackDialer] = {}

    def on_event(event: Message) -> None:
        monitor.handle(event)
        if "dialer" in holder:
            holder["dialer"].on_event(event)

    client = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_user,
        settings.ami_secret,
        on_event=on_event,
        on_connect=monitor.rebuild,
    )
    dialer = CallbackDialer(
        callbacks, monitor, client, clock, default_queue=default_queue, **dialer_options
    )
    holder["dialer"] = dialer
    client.start()
    dialer.start()
    log.info("AMI: client for %s:%d started", settings.ami_host, settings.ami_port)
    return AmiRuntime(client, monitor, dialer)
