"""Starting the AMI side of ``ivr serve``: client, live queue state and callback dialer.

Every node keeps an AMI client (the admin web's queue actions go through it), but with several
nodes only the holder of the ``queues`` lease (``ivr.core.leases``) turns AMI events into queue
records and live state and places calls back: two nodes recording one event would race to
write it twice. A node that takes the lease over rebuilds the live state from Asterisk's
QueueStatus first, as after a reconnect; the calls-back attempts the last holder left open are
closed by the OriginateResponse events every AMI session receives, or as lost after a while.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ivr.ami.client import AmiClient
from ivr.core.clock import Clock
from ivr.core.leases import Lease
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
    # True while this node holds the queues lease (or has no lease): the one node that
    # handles AMI events and places calls (back and campaigns)
    mine: Callable[[], bool] = lambda: True
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
    lease: Lease | None = None,
    **dialer_options: Any,
) -> AmiRuntime | None:
    """Connect to Asterisk's AMI (``IVR_AMI_*``) when ``ami_host`` is set, else None.

    Its ``monitor`` is what the flow engine asks for wait estimates. The client reconnects by
    itself; ``stop()`` ends the dialer and logs off. ``lease``: handle events and call back
    only while it is held (None: always).
    """
    if not settings.ami_host:
        return None
    database = callbacks.database
    monitor = QueueMonitor(state, database, clock, callbacks=callbacks)
    holder: dict[str, AmiRuntime] = {}

    def mine() -> bool:
        return lease is None or lease.held

    def on_event(event: Message) -> None:
        if not mine():
            return
        monitor.handle(event)
        if "runtime" in holder:
            runtime = holder["runtime"]
            runtime.dialer.on_event(event)
            for worker in list(runtime.workers):
                worker.on_event(event)

    def on_connect(connected: AmiClient) -> None:
        if mine():
            monitor.rebuild(connected)

    client = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_user,
        settings.ami_secret,
        on_event=on_event,
        on_connect=on_connect,
    )
    dialer = CallbackDialer(
        callbacks,
        monitor,
        client,
        clock,
        default_queue=default_queue,
        may_run=mine,
        **dialer_options,
    )
    runtime = holder["runtime"] = AmiRuntime(client, monitor, dialer, mine)

    def taken_over(held: bool) -> None:  # the events of the last holder's time: Asterisk's view
        if held and client.connected:
            threading.Thread(target=_rebuild, name="ami-takeover", daemon=True).start()

    def _rebuild() -> None:
        try:
            monitor.rebuild(client)
        except Exception:
            log.exception("AMI: rebuilding the queue state on taking over failed")
        dialer.wake()

    if lease is not None:
        lease.listeners.append(taken_over)
    client.start()
    dialer.start()
    log.info("AMI: client for %s:%d started", settings.ami_host, settings.ami_port)
    return runtime
