"""Leases: work that must run on one node at a time, taken over by another node within seconds
when its holder dies.

Several ``ivr serve`` nodes share one database (and Redis). Most of what they do is per call
and runs on every node; two jobs must run on one node only:

* ``sms-outbox``: the SMS outbox worker (``ivr.sms.worker``). Each message is claimed on its
  own too, so two workers never send one message at once; the lease makes one node the sender.
* ``queues``: the AMI queue monitor's records and live state, and the callback dialer
  (``ivr.queues.ami_runtime``): one node turns each AMI event into rows and places calls back.

A lease is a row of ``leases`` in the shared database: its name, its holder and when it
expires. A node takes a free or expired lease, or renews its own, with one conditional
``UPDATE ... WHERE holder = me OR expires_at < now`` (atomic on PostgreSQL, which re-checks the
condition on the row it waited for, and on SQLite, whose writers take turns), every third of
``ttl_s``; a holder that stops renewing (killed, hung, cut off from the database) loses the
lease ``ttl_s`` after its last renewal and another node takes it at its next try: takeover
within ``ttl_s`` plus a third of it. A node that stops cleanly releases its leases at once.

The holder trusts its lease only until ``ttl_s - margin`` after it *asked* for the renewal, so
it stops working before any other node may start: no two nodes work at once, as long as the
nodes' clocks agree to within the margin (NTP). Expiry times are the nodes' epoch seconds.
The holder's name is ``<IVR_NODE_ID>/<token of this process>``: a node that restarts under the
same id waits for its old lease like any other node.

With SQLite and in-process live state there is one node, which takes every lease at start.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ivr.core.db import Database
from ivr.core.models import Lease as LeaseRow

log = logging.getLogger(__name__)
SMS_OUTBOX = "sms-outbox"
QUEUES = "queues"
TTL_S = 6.0


def holder_name(node: str) -> str:
    """This process's name as a lease holder: the node id and a token of its own."""
    return f"{node}/{uuid.uuid4().hex[:8]}"


class Lease:
    """One named lease as this node sees it: ``held`` says whether to work now."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._until = 0.0  # time.monotonic() up to which this node may work
        self.generation = 0
        self.reported = False  # what the listeners were last told
        self.listeners: list[Callable[[bool], None]] = []  # called with held, on each change

    @property
    def held(self) -> bool:
        return time.monotonic() < self._until


class Leases:
    """Takes and renews the named leases in a background thread (``start``/``stop``)."""

    def __init__(
        self,
        database: Database,
        node: str,
        names: tuple[str, ...] = (SMS_OUTBOX, QUEUES),
        ttl_s: float = TTL_S,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.holder = holder_name(node)
        self.ttl_s = ttl_s
        self.renew_s = ttl_s / 3
        self.margin_s = min(1.0, ttl_s / 4)
        self.wall = wall
        self.leases = {name: Lease(name) for name in names}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._database_down = False

    def __getitem__(self, name: str) -> Lease:
        return self.leases[name]

    # -- the loop ------------------------------------------------------------------------
    def start(self) -> Leases:
        self.renew_all()  # a lone node works from its first second
        self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop renewing and give the leases back, so another node takes over at once."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.ttl_s + 5)
            self._thread = None
        for lease in self.leases.values():
            if lease.held:
                self.release(lease.name)
            lease.reported = False

    def _run(self) -> None:
        while not self._stopping.wait(self.renew_s):
            self.renew_all()

    def renew_all(self) -> None:
        for lease in self.leases.values():
            if self._stopping.is_set():
                return
            asked = time.monotonic()
            try:
                generation = self.take(lease.name)
            except SQLAlchemyError as exc:  # the database is away: the lease runs out
                if not self._database_down:
                    log.warning("leases: the database does not answer (%s)", exc)
                self._database_down = True
                generation = None
            else:
                if self._database_down:
                    log.warning("leases: the database answers again")
                self._database_down = False
            self._note(lease, generation, asked)

    def _note(self, lease: Lease, generation: int | None, asked: float) -> None:
        if generation is not None:
            lease._until = asked + self.ttl_s - self.margin_s
            lease.generation = generation
        now = lease.held
        if now == lease.reported:
            return
        lease.reported = now
        if now:
            log.info("lease %s: held by this node (%s), generation %d", lease.name,
                     self.holder, generation)  # fmt: skip
        else:
            log.warning("lease %s: no longer held by this node (%s)", lease.name, self.holder)
        for listener in list(lease.listeners):
            try:
                listener(now)
            except Exception:
                log.exception("lease %s: a listener failed", lease.name)

    # -- the database --------------------------------------------------------------------
    def take(self, name: str) -> int | None:
        """Take ``name`` if it is free or expired, or renew it if this node holds it: its
        generation when this node holds it now, None when another node does."""
        now = self.wall()
        mine = LeaseRow.holder == self.holder
        with self.database.session() as session:
            changed = session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, or_(mine, LeaseRow.expires_at < now))
                .values(
                    holder=self.holder,
                    expires_at=now + self.ttl_s,
                    acquired_at=case((mine, LeaseRow.acquired_at), else_=now),
                    generation=case((mine, LeaseRow.generation), else_=LeaseRow.generation + 1),
                )
                .returning(LeaseRow.generation)
            ).first()
            if changed is not None:
                return int(changed[0])
            if session.get(LeaseRow, name) is not None:
                return None  # another node's, and not expired
        try:
            with self.database.session() as session:
                session.add(
                    LeaseRow(
                        name=name,
                        holder=self.holder,
                        expires_at=now + self.ttl_s,
                        acquired_at=now,
                        generation=1,
                    )
                )
            return 1
        except IntegrityError:  # another node made the row first: it holds the lease
            return None

    def release(self, name: str) -> None:
        lease = self.leases.get(name)
        if lease is not None:
            lease._until = 0.0
        try:
            with self.database.session() as session:
                session.execute(
                    update(LeaseRow)
                    .where(LeaseRow.name == name, LeaseRow.holder == self.holder)
                    .values(expires_at=0.0)
                )
            log.info("lease %s: released by %s", name, self.holder)
        except SQLAlchemyError as exc:
            log.warning("lease %s: could not be released (%s); it runs out", name, exc)

    def holders(self) -> dict[str, tuple[str, float]]:
        """Every lease row: name -> (holder, expires_at), as any node sees them."""
        with self.database.session(readonly=True) as session:
            rows = session.execute(select(LeaseRow.name, LeaseRow.holder, LeaseRow.expires_at))
            return {name: (holder, expires) for name, holder, expires in rows}
