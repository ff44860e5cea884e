"""The callback list: callers to be called back, one entry per number per day.

Written before the caller is told "we will call you back", so a promise made on the phone is
never lost. Placing the calls (``ivr.queues.dialer``: AMI Originate when agents are free)
reads this list: ``due`` callbacks are ``claim``-ed (pending -> calling, one CallbackAttempt
row per try) and ``finish``-ed when Asterisk reports how the try ended (done, failed after the
last attempt, or pending again with ``next_attempt_at`` for a retry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ivr.core.db import Database
from ivr.core.models import CallbackAttempt, CallbackRequest


@dataclass(frozen=True)
class Booked:
    id: int
    new: bool  # False: this number already had a callback for that day


class CallbackList:
    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    def request(
        self,
        number: str,
        day: date,
        reason: str,
        language: str,
        call_id: str | None = None,
        queue: str | None = None,
    ) -> Booked:
        """Book a callback to ``number`` for ``day`` (the hotline's local date)."""
        existing = self._find(number, day)
        if existing is not None:
            return Booked(existing, new=False)
        try:
            with self.database.session() as session:
                row = CallbackRequest(
                    number=number,
                    requested_on=day,
                    call_id=call_id,
                    reason=reason,
                    language=language,
                    status="pending",
                    created_at=self.clock(),
                    queue=queue,
                )
                session.add(row)
                session.flush()
                return Booked(row.id, new=True)
        except IntegrityError:  # another worker booked the same number and day just now
            found = self._find(number, day)
            if found is None:
                raise
            return Booked(found, new=False)

    def _find(self, number: str, day: date) -> int | None:
        with self.database.session(readonly=True) as session:
            query = select(CallbackRequest.id).where(
                CallbackRequest.number == number, CallbackRequest.requested_on == day
            )
            return session.scalar(query)

    def pending(self) -> list[CallbackRequest]:
        with self.database.session(readonly=True) as session:
            query = select(CallbackRequest).where(CallbackRequest.status == "pending")
            return list(session.scalars(query.order_by(CallbackRequest.id)))

    def get(self, callback_id: int) -> CallbackRequest | None:
        with self.database.session(readonly=True) as session:
            return session.get(CallbackRequest, callback_id)

    def attempts(self, callback_id: int) -> list[CallbackAttempt]:
        with self.database.session(readonly=True) as session:
            query = select(CallbackAttempt).where(CallbackAttempt.callback_id == callback_id)
            return list(session.scalars(query.order_by(CallbackAttempt.id)))

    def due(self, queue: str, default_queue: str, limit: int = 10) -> list[CallbackRequest]:
        """Pending callbacks for ``queue`` whose time has come, oldest first; a callback with
        no queue belongs to ``default_queue``."""
        now = self.clock()
        mine = CallbackRequest.queue == queue
        if queue == default_queue:
            mine = or_(mine, CallbackRequest.queue.is_(None))
        query = select(CallbackRequest).where(
            CallbackRequest.status == "pending",
            mine,
            or_(CallbackRequest.next_attempt_at.is_(None), CallbackRequest.next_attempt_at <= now),
        )
        with self.database.session(readonly=True) as session:
            return list(session.scalars(query.order_by(CallbackRequest.id).limit(limit)))

    def calling(
        self, queue: str, default_queue: str, answered_since: datetime | None = None
    ) -> int:
        """Callbacks of ``queue`` being placed right now, and those answered since
        ``answered_since`` (that customer is on the way into the queue)."""
        mine = CallbackRequest.queue == queue
        if queue == default_queue:
            mine = or_(mine, CallbackRequest.queue.is_(None))
        busy = CallbackRequest.status == "calling"
        if answered_since is not None:
            recent = (CallbackRequest.status == "done") & (
                CallbackRequest.done_at >= answered_since
            )
            busy = or_(busy, recent)
        query = select(func.count()).where(busy, mine)
        with self.database.session(readonly=True) as session:
            return int(session.scalar(query) or 0)

    def claim(self, callback_id: int, action_id: str) -> bool:
        """pending -> calling and a new attempt row; False if someone else took it first."""
        now = self.clock()
        with self.database.session() as session:
            changed = session.execute(
                update(CallbackRequest)
                .where(CallbackRequest.id == callback_id, CallbackRequest.status == "pending")
                .values(status="calling", attempts=CallbackRequest.attempts + 1)
            )
            if not getattr(changed, "rowcount", 0):
                return False
            session.add(
                CallbackAttempt(callback_id=callback_id, started_at=now, action_id=action_id)
            )
            return True

    def finish(
        self,
        action_id: str,
        outcome: str,
        answered: bool,
        max_attempts: int,
        retry_s: Callable[[int], float],
    ) -> CallbackRequest | None:
        """Close the attempt ``action_id``: the callback is done when answered, failed when
        ``max_attempts`` are used up, else pending again after ``retry_s(attempts)`` seconds.
        None when the attempt is unknown or already closed (a repeated report)."""
        now = self.clock()
        with self.database.session() as session:
            attempt = session.scalars(
                select(CallbackAttempt).where(CallbackAttempt.action_id == action_id)
            ).first()
            if attempt is None or attempt.ended_at is not None:
                return None
            attempt.ended_at, attempt.outcome = now, outcome
            row = session.get(CallbackRequest, attempt.callback_id)
            if row is None:
                return None
            row.outcome = outcome
            if answered:
                row.status, row.done_at, row.next_attempt_at = "done", now, None
            elif row.attempts >= max_attempts:
                row.status, row.done_at, row.next_attempt_at = "failed", now, None
            else:
                row.status = "pending"
                row.next_attempt_at = now + timedelta(seconds=retry_s(row.attempts))
            return row

    def open_attempts(self, started_before: datetime) -> list[str]:
        """ActionIDs of attempts still open that started before ``started_before`` (their
        OriginateResponse was lost, e.g. with the AMI connection)."""
        query = select(CallbackAttempt.action_id).where(
            CallbackAttempt.ended_at.is_(None), CallbackAttempt.started_at < started_before
        )
        with self.database.session(readonly=True) as session:
            return list(session.scalars(query))
