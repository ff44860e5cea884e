"""Call records: one row per call, written as the call goes (entry, path, language, outcome).

A call never waits for its record: every change goes to a ``RecordWriter`` (a queue in memory
and one writer thread, see ``ivr.records.writer``), so a locked or unreachable database delays
the record, not the caller; times are taken when the call does something, not when the row
is written. Each record names the node that handles the call (``IVR_NODE_ID``): a node that
starts again closes the records it left open when it died, as "interrupted", and no other
node's. Only call ids are logged here: the caller's number stays in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ivr.core.clock import Clock, utc_now
from ivr.core.db import Database
from ivr.core.models import CallRecord
from ivr.records.writer import RecordWriter

log = logging.getLogger(__name__)
REENTRIES = ("queue-result",)  # a call coming back to the IVR, not a new one
CALL_ID_ROOM = 135  # of call_id's 150 characters, the rest for "~<row id>"
INTERRUPTED = "interrupted"  # the outcome of a call its node died in
READ_WAIT_S = 10.0  # ``get`` first waits this long for the changes queued before it


class CallRecords:
    def __init__(
        self,
        db: Database,
        clock: Clock = utc_now,
        node: str = "",
        writer: RecordWriter | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.node = node
        self.writer = writer or RecordWriter(db)

    def _write(self, call_id: str, what: str, work: Callable[[Session], None]) -> None:
        self.writer.submit(call_id, what, work)

    def settle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for the changes queued so far to be written, but not at all
        while the database is in trouble; whether they are written."""
        return self.writer.healthy and self.writer.flush(timeout)

    def close(self, timeout: float = 10.0) -> None:
        self.writer.close(timeout)

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

        now = self.clock()

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
                        started_at=now,
                        flow=flow,
                        number_dialled=number_dialled,
                        caller=caller,
                        entry=entry,
                        path=[],
                        node=self.node or None,
                    )
                )
                session.flush()  # a unique clash surfaces here, inside the writer's retry
            else:
                row.ended_at, row.outcome = None, None  # the call goes on ...
                row.node = self.node or row.node  # ... on this node

        self._write(call_id, "start", work)

    def _update(self, call_id: str, what: str, change: Callable[[CallRecord], None]) -> None:
        def work(session: Session) -> None:
            row = self._row(session, call_id, lock=True)
            if row is None:
                log.warning("call %s: no call record to update (%s)", call_id, what)
                return
            change(row)

        self._write(call_id, what, work)

    def visit(self, call_id: str, node_id: str) -> None:
        """Add a flow node to the call's path."""

        def change(row: CallRecord) -> None:
            row.path = [*row.path, node_id]  # a new list: JSON columns do not see in-place edits

        self._update(call_id, "visit", change)

    def set_language(self, call_id: str, lang: str) -> None:
        def change(row: CallRecord) -> None:
            row.language = lang

        self._update(call_id, "language", change)

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

        self._update(call_id, "note", change)

    def finish(
        self, call_id: str, outcome: str, queue: str | None = None, queue_status: str | None = None
    ) -> None:
        """Close the record; ``queue``/``queue_status`` are kept when not given again."""

        now = self.clock()

        def change(row: CallRecord) -> None:
            row.ended_at, row.outcome = now, outcome
            if queue is not None:
                row.queue = queue
            if queue_status is not None:
                row.queue_status = queue_status

        self._update(call_id, "finish", change)

    def close_interrupted(self) -> None:
        """Close the records this node left open (it died in those calls) as "interrupted".

        Queued before any call of this run, so it never closes one of them; records of other
        nodes (their calls may well be going on) are left alone.
        """
        if not self.node:
            return
        now, node = self.clock(), self.node

        def work(session: Session) -> None:
            closed = session.execute(
                update(CallRecord)
                .where(CallRecord.node == node, CallRecord.ended_at.is_(None))
                .values(ended_at=now, outcome=INTERRUPTED)
            )
            count = getattr(closed, "rowcount", 0)
            if count:
                log.warning("node %s: %d call records left open are closed as %s",
                            node, count, INTERRUPTED)  # fmt: skip

        self._write("-", "close interrupted calls", work)

    def get(self, call_id: str) -> dict[str, Any] | None:
        """The call's record as a plain dict of its columns, or None (after the changes
        queued before this read are written, unless the database is away)."""
        self.writer.flush(READ_WAIT_S)
        with self.db.session(readonly=True) as session:
            row = self._row(session, call_id)
            if row is None:
                return None
            return {
                column.key: getattr(row, column.key) for column in CallRecord.__mapper__.columns
            }
