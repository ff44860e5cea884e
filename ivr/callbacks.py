"""The callback list: callers to be called back, one entry per number per day.

Written before the caller is told "we will call you back", so a promise made on the phone is
never lost. Placing the calls (AMI Originate when agents are free) reads this list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ivr.db import Database
from ivr.models import CallbackRequest


@dataclass(frozen=True)
class Booked:
    id: int
    new: bool  # False: this number already had a callback for that day


class CallbackList:
    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    def request(
        self, number: str, day: date, reason: str, language: str, call_id: str | None = None
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
