"""Starting the AMI side of ``ivr serve``: client, live queue state and callback dialer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from ivr.ami.client import AmiClient
from ivr.core.clock import Clock
from ivr.core.live_state import LiveState
from ivr.core.settings import Settings
from ivr.queues.dialer import CallbackDialer
from ivr.queues.monitor import QueueMonitor
from ivr.records.callbacks import CallbackList
from ivr.wire.ami import Message

log = logging.getLogger(__name__)


class Worker(Protocol):
    def on_event(self, event: Message) -> None: ...

    def stop(self) -> None: ...


@dataclass
class AmiRuntime:
    client: AmiClient
    monitor: QueueMonitor
    dialer: CallbackDialer
    workers: list[Worker] = field(default_factory=list)  # others fed the AMI events

    def add(self, worker: Worker) -> None:
        """Feed ``worker`` every AMI event from now on and stop it with the runtime."""
        self.workers.append(worker)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
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
    holder: dict[str, AmiRuntime] = {}

    def on_event(event: Message) -> None:
        monitor.handle(event)
        if "runtime" in holder:
            runtime = holder["runtime"]
            runtime.dialer.on_event(event)
            for worker in list(runtime.workers):
                worker.on_event(event)

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
    runtime = holder["runtime"] = AmiRuntime(client, monitor, dialer)
    client.start()
    dialer.start()
    log.info("AMI: client for %s:%d started", settings.ami_host, settings.ami_port)
    return runtime
