"""The SMS worker: claims due messages from the outbox and hands them to the gateway.

One thread, one message at a time: claim (a short transaction), send, record the result (a
second short transaction). Several workers, in one process or many, share the outbox safely
(see ivr.sms.outbox). The lease of a claim is sized from the gateway's timeout, so a worker
still waiting on a slow gateway keeps its message; a worker that died leaves the message to
be claimed again once the lease has passed.

With several ``ivr serve`` nodes, the worker of one node sends: it works only while its node
holds the ``sms-outbox`` lease (``ivr.core.leases``), and another node's worker takes over
within seconds of that node's death. ``ivr sms worker`` runs without a lease: start as many as
the gateway's throughput needs.

The one honest gap: if the process dies after the gateway took a message and before the
``sent`` commit (a few milliseconds), the message is sent again after the lease. No gateway
offers an idempotency key that would prevent it. A delivery report arriving in that window
marks the message sent and closes the gap (Kannel reports "accepted" within milliseconds).
"""

from __future__ import annotations

import logging
import threading

from ivr.core.clock import Clock, utc_now
from ivr.core.db import Database
from ivr.core.leases import Lease
from ivr.core.privacy import mask_digits_in, mask_number
from ivr.core.settings import Settings
from ivr.sms.gateway import Gateway, OutgoingSms, PermanentFailure, TemporaryFailure
from ivr.sms.outbox import Outbox

log = logging.getLogger(__name__)
LEASE_FACTOR = 3  # a lease lasts three gateway timeouts ...
LEASE_MARGIN_S = 1.0  # ... and a second for the commits around the send
POLL_S = 1.0  # how often an idle worker looks for due messages and receipts


def lease_seconds(gateway: Gateway) -> float:
    return LEASE_FACTOR * gateway.timeout_s + LEASE_MARGIN_S


class SmsWorker:
    """``start()`` runs the worker in a background thread, ``stop()`` ends it.

    With no gateway (``IVR_SMS_GATEWAY=none``) it does nothing: messages wait in the outbox
    for a worker that has one.
    """

    def __init__(
        self,
        settings: Settings,
        database: Database,
        gateway: Gateway | None,
        poll_s: float = POLL_S,
        clock: Clock = utc_now,
        lease: Lease | None = None,
    ) -> None:
        """``lease``: work only while it is held (None: always)."""
        self.outbox = Outbox(database, clock)
        self.lease = lease
        self.gateway = gateway
        self.max_attempts = settings.sms_max_attempts
        self.retry_base_s = settings.sms_retry_base_s
        self.poll_s = poll_s
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SmsWorker:
        if self.gateway is None:
            log.info("sms worker: no gateway (IVR_SMS_GATEWAY=none), messages stay queued")
            return self
        self._stopping.clear()
        if self.lease is not None:
            self.lease.listeners.append(self._lease_changed)
        self._thread = threading.Thread(target=self._run, name="sms-worker", daemon=True)
        self._thread.start()
        log.info("sms worker started: %s gateway", self.gateway.name)
        return self

    def _lease_changed(self, held: bool) -> None:
        if held:
            self.wake()

    def wake(self) -> None:
        """Look for due messages now rather than at the next poll (after an enqueue)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the message in hand (at most one gateway timeout), then stop."""
        self._stopping.set()
        self._wake.set()
        if self.lease is not None and self._lease_changed in self.lease.listeners:
            self.lease.listeners.remove(self._lease_changed)
        if self._thread is not None:
            timeout = self.gateway.timeout_s + 5 if self.gateway else 5
            self._thread.join(timeout)
            self._thread = None
        if self.gateway is not None:
            self.gateway.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                handled = self.run_once()
                self.record_receipts()
            except Exception:  # the database or a gateway broke unexpectedly: keep going
                log.exception("sms worker: unexpected error, retrying in %.1f s", self.poll_s)
                handled = False
            if not handled:
                self._wake.wait(self.poll_s)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim and send one due message; False when none is due (or another node sends)."""
        gateway = self.gateway
        if gateway is None or (self.lease is not None and not self.lease.held):
            return False
        claim = self.outbox.claim(lease_seconds(gateway), self.max_attempts)
        if claim is None:
            return False
        message = OutgoingSms(claim.id, claim.to, claim.text)
        try:
            reference = gateway.send(message)
        except (TemporaryFailure, PermanentFailure) as exc:
            permanent = isinstance(exc, PermanentFailure)
            status = self.outbox.mark_failed_attempt(
                claim, str(exc), permanent, self.max_attempts, self.retry_base_s
            )
            log.warning(
                "sms %s to %s: attempt %s failed (%s): %s",
                claim.id,
                mask_number(claim.to),
                claim.attempts,
                status,
                mask_digits_in(str(exc)),
            )
            return True
        # The window that can duplicate a message if the process dies: keep it one commit.
        self.outbox.mark_sent(claim, gateway.name, reference)
        log.info("sms %s to %s: sent (attempt %s)", claim.id, mask_number(claim.to), claim.attempts)
        return True

    def record_receipts(self) -> int:
        """Match the receipts the gateway got on its own connection to messages; how many."""
        if self.gateway is None:
            return 0
        recorded = 0
        for receipt in self.gateway.receipts():
            message_id = self.outbox.message_for_reference(self.gateway.name, receipt.reference)
            if message_id is None:
                log.info("sms receipt for an unknown reference: %s", receipt.status)
                continue
            self.outbox.record_report(message_id, receipt.status, receipt.code, receipt.detail)
            recorded += 1
        return recorded
