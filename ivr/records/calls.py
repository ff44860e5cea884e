"""Call records: one row per call, written as the call goes (entry, path, language, outcome).

Every method is its own short transaction, so the threads of many calls can share one
``CallRecords``. Only call ids are logged here: the caller's number stays in the database.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ivr.core.clock import Clock, utc_now
from ivr.core.db import Database
from ivr.core.models import CallRecord

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 4
BACKOFF_S = 0.05
REENTRIES = ("queue-result",)  # a call coming back to the IVR, not a new one
CALL_ID_ROOM = 135  # of call_id's 150 characters, the rest for "~<row id>"


def _is_locked(exc: OperationalError) -> bool:
    """SQLite's SQLITE_BUSY / SQLITE_LOCKED: another writer held the database too long."""
    return "database is locked" in str(exc.orig) or "database table is locked" in str(exc.orig)


class CallRecords:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in its own transaction, retrying a locked SQLite with a short backoff.

        A unique-key clash is retried too: two first writes of one call id raced, and the
        retry finds the row the other one made.
        """
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.db.session() as session:
                    return work(session)
            except OperationalError as exc:
                if not _is_locked(exc) or attempt == ATTEMPTS:
                    raise
            except IntegrityError:
                if attempt == ATTEMPTS:
                    raise
            time.sleep(BACKOFF_S * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    @staticmethod
    def _row(session: Session, call_id: str, lock: bool = False) -> CallRecord | None:
        query = select(CallRecord).where(CallRecord.call_id == call_id)
        if lock:  # PostgreSQL: FOR UPDATE; SQLite: already serialized by BEGIN IMMEDIATE
            query = query.with_for_update()
        return session.scalars(query).first()

    def start(self, call_id: str, flow: str, number_dialled: str, caller: str, entry: str) -> None:
        """Open the record of a call.

        A second start of the same call (back from ``Queue()`` with ``entry="queue-result"``)
        keeps the row: its start time, entry, path and queue stay, and later visits and the
        final outcome are added to it.

        A call id is Asterisk's uniqueid, ``<epoch>.<counter>``: unique on one Asterisk system,
        but two systems without ``systemname`` in asterisk.conf (or one restarted within a
        second, or a faulty peer) can give two calls the same one. A new call (``entry`` not
        a re-entry) whose id has a record that is closed already is a different call: the
        earlier record is kept under ``<call id>~<its row id>`` and the new call gets its own.
        A record still open is the same call starting again (the dialplan retrying another
        node), and goes on. (Two calls with one id at once on one node are told apart by the
        FastAGI server, which gives the second its own id.)
        """

        def work(session: Session) -> None:
            row = self._row(session, call_id, lock=True)
            if row is not None and row.ended_at is not None and entry not in REENTRIES:
                row.call_id = f"{call_id[:CALL_ID_ROOM]}~{row.id}"
                log.warning(
                    "call %s: the id was used by an earlier call (started %s); its record is "
                    "kept as %s (set systemname in asterisk.conf when several Asterisk "
                    "systems share this database)",
                    call_id, row.started_at.isoformat(), row.call_id,
                )  # fmt: skip
                session.flush()
                row = None
            if row is None:
                session.add(
                    CallRecord(
                        call_id=call_id,
                        started_at=self.clock(),
                        flow=flow,
                        number_dialled=number_dialled,
                        caller=caller,
                        entry=entry,
                        path=[],
                    )
                )
                session.flush()  # a unique clash surfaces here, inside the retry
            else:
                row.ended_at, row.outcome = None, None  # the call goes on

        self._write(work)

    def _update(self, call_id: str, change: Callable[[CallRecord], None]) -> None:
        def work(session: Session) -> None:
            row = self._row(session, call_id, lock=True)
            if row is None:
                log.warning("call %s: no call record to update", call_id)
                return
            change(row)

        self._write(work)

    def visit(self, call_id: str, node_id: str) -> None:
        """Add a flow node to the call's path."""

        def change(row: CallRecord) -> None:
            row.path = [*row.path, node_id]  # a new list: JSON columns do not see in-place edits

        self._update(call_id, change)

    def set_language(self, call_id: str, lang: str) -> None:
        def change(row: CallRecord) -> None:
            row.language = lang

        self._update(call_id, change)

    def note(
        self,
        call_id: str,
        tag: str | None = None,
        self_service: str | None = None,
        category: str | None = None,
        handled_by: str | None = None,
    ) -> None:
        """What the call went through, for reports: a tag ("after-hours", "overflow",
        "ticket"), a self-service step ("balance"), the caller's topic, who settled it
        ("ivr", "ai", "human"). Tags and steps are kept once each, in order."""

        def change(row: CallRecord) -> None:
            if tag and tag not in row.tags:
                row.tags = [*row.tags, tag]
            if self_service and self_service not in row.self_service:
                row.self_service = [*row.self_service, self_service]
            if category:
                row.category = category
            if handled_by:
                row.handled_by = handled_by

        self._update(call_id, change)

    def finish(
        self, call_id: str, outcome: str, queue: str | None = None, queue_status: str | None = None
    ) -> None:
        """Close the record; ``queue``/``queue_status`` are kept when not given again."""

        def change(row: CallRecord) -> None:
            row.ended_at, row.outcome = self.clock(), outcome
            if queue is not None:
                row.queue = queue
            if queue_status is not None:
                row.queue_status = queue_status

        self._update(call_id, change)

    def get(self, call_id: str) -> dict[str, Any] | None:
        """The call's record as a plain dict of its columns, or None."""
        with self.db.session(readonly=True) as session:
            row = self._row(session, call_id)
            if row is None:
                return None
            return {
                column.key: getattr(row, column.key) for column in CallRecord.__mapper__.columns
            }
