"""Queue calls and agent events in the database, from AMI events: idempotent by design.

An AMI session that drops and comes back can show the same moment twice (an event re-sent,
a QueueStatus entry for a caller whose join was already recorded), so every write is a state
transition that happens at most once: a join adds a row only when that caller has no waiting
row in that queue; connect, complete, abandon and leave only move a row forward; an agent event
is written only when it differs from that agent's last one in that queue.

The caller's call record (same Uniqueid: the channel that ran the AGI is the one in the queue)
gets its wait and talk seconds, and ``handled_by = human`` once an agent answered.

Asterisk may report ``QueueCallerLeave`` just before ``AgentConnect`` or ``QueueCallerAbandon``
for the same caller, so a row marked ``left`` can still become ``answered`` or ``abandoned``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.core.db import Database
from ivr.core.models import AgentEvent, CallRecord, QueueCall

RECENT = 20  # answered calls in the moving averages of hold and talk time
OPEN = ("waiting", "left")  # outcomes a later event may still change


class QueueRecords:
    def __init__(self, database: Database, clock: Callable[[], datetime], zone: str) -> None:
        self.database = database
        self.clock = clock
        self.zone = ZoneInfo(zone)

    @staticmethod
    def _record(session: Session, call_id: str, **fields: object) -> None:
        """Copy the queue times to the call record, when this IVR keeps one for the call."""
        row = session.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
        if row is not None:
            for name, value in fields.items():
                setattr(row, name, value)

    def _latest(self, session: Session, call_id: str, queue: str) -> QueueCall | None:
        query = select(QueueCall).where(QueueCall.call_id == call_id, QueueCall.queue == queue)
        return session.scalars(query.order_by(QueueCall.joined_at.desc()).limit(1)).first()

    def joined(
        self, call_id: str, queue: str, caller: str, position: int, wait_s: float = 0
    ) -> bool:
        """A caller entered the queue ``wait_s`` ago; False when already recorded as waiting."""
        with self.database.session() as session:
            row = self._latest(session, call_id, queue)
            if row is not None and row.outcome == "waiting":
                return False
            joined_at = self.clock() - timedelta(seconds=wait_s)
            session.add(
                QueueCall(
                    call_id=call_id,
                    queue=queue,
                    caller=caller,
                    joined_at=joined_at,
                    position=position,
                    outcome="waiting",
                )
            )
            return True

    def connected(self, call_id: str, queue: str, caller: str, agent: str, hold_s: float) -> bool:
        """An agent answered; False when this answer was already recorded."""
        now = self.clock()
        with self.database.session() as session:
            row = self._latest(session, call_id, queue)
            if row is not None and row.outcome not in OPEN:
                return False
            if row is None:  # the join was lost (a reconnect): the hold time dates it
                row = QueueCall(
                    call_id=call_id,
                    queue=queue,
                    caller=caller,
                    joined_at=now - timedelta(seconds=hold_s),
                )
                session.add(row)
            row.outcome, row.agent, row.hold_s = "answered", agent, hold_s
            row.connected_at, row.ended_at = now, None
            self._record(session, call_id, wait_s=hold_s, handled_by="human")
            return True

    def completed(
        self, call_id: str, queue: str, caller: str, agent: str, hold_s: float, talk_s: float
    ) -> bool:
        """The call with the agent ended; False when its end was already recorded."""
        now = self.clock()
        with self.database.session() as session:
            row = self._latest(session, call_id, queue)
            if row is not None and row.talk_s is not None:
                return False
            if row is None or row.outcome not in ("answered", *OPEN):
                row = QueueCall(
                    call_id=call_id,
                    queue=queue,
                    caller=caller,
                    joined_at=now - timedelta(seconds=hold_s + talk_s),
                )
                session.add(row)
            if row.outcome != "answered":  # the connect was missed: the times say when
                row.outcome, row.hold_s = "answered", hold_s
                row.connected_at = now - timedelta(seconds=talk_s)
            row.agent, row.talk_s, row.ended_at = agent, talk_s, now
            self._record(session, call_id, wait_s=row.hold_s, talk_s=talk_s, handled_by="human")
            return True

    def abandoned(self, call_id: str, queue: str, caller: str, hold_s: float) -> bool:
        """The caller hung up while waiting; False when already recorded."""
        now = self.clock()
        with self.database.session() as session:
            row = self._latest(session, call_id, queue)
            if row is not None and row.outcome == "abandoned":
                return False
            if row is None or row.outcome not in OPEN:
                row = QueueCall(
                    call_id=call_id,
                    queue=queue,
                    caller=caller,
                    joined_at=now - timedelta(seconds=hold_s),
                )
                session.add(row)
            row.outcome, row.hold_s, row.ended_at = "abandoned", hold_s, now
            self._record(session, call_id, wait_s=hold_s)
            return True

    def left(self, call_id: str, queue: str) -> bool:
        """Queue() returned without an agent (timeout, full, or a connect comes next)."""
        now = self.clock()
        with self.database.session() as session:
            row = self._latest(session, call_id, queue)
            if row is None or row.outcome != "waiting":
                return False
            row.outcome, row.ended_at = "left", now
            row.hold_s = max(0.0, (now - row.joined_at).total_seconds())
            self._record(session, call_id, wait_s=row.hold_s)
            return True

    def close_missing(self, queue: str, present: set[str], before: datetime) -> int:
        """After a reconnect: waiting rows of callers QueueStatus no longer lists left while we
        were away (a later AgentComplete can still turn them into answered calls)."""
        with self.database.session() as session:
            query = select(QueueCall).where(
                QueueCall.queue == queue,
                QueueCall.outcome == "waiting",
                QueueCall.joined_at < before,
            )
            rows = [row for row in session.scalars(query) if row.call_id not in present]
            for row in rows:
                row.outcome, row.ended_at = "left", before
                row.hold_s = max(0.0, (before - row.joined_at).total_seconds())
            return len(rows)

    def agent_event(self, agent: str, queue: str, event: str, reason: str = "") -> bool:
        """login / logout / pause / unpause, unless it repeats this agent's last one here."""
        with self.database.session() as session:
            query = select(AgentEvent.event).where(
                AgentEvent.agent == agent, AgentEvent.queue == queue
            )
            last = session.scalars(query.order_by(AgentEvent.id.desc()).limit(1)).first()
            if last == event:
                return False
            session.add(
                AgentEvent(agent=agent, queue=queue, event=event, at=self.clock(), reason=reason)
            )
            return True

    def today_start(self) -> datetime:
        day = self.clock().astimezone(self.zone).date()
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def stats(self, queue: str) -> dict[str, float | int | None]:
        """Today's answered and abandoned counts and recent average hold and talk times."""
        start = self.today_start()
        with self.database.session(readonly=True) as session:
            answered = session.scalar(
                select(func.count()).where(
                    QueueCall.queue == queue, QueueCall.connected_at >= start
                )
            )
            abandoned = session.scalar(
                select(func.count()).where(
                    QueueCall.queue == queue,
                    QueueCall.outcome == "abandoned",
                    QueueCall.ended_at >= start,
                )
            )
            recent = select(QueueCall.hold_s, QueueCall.talk_s).where(
                QueueCall.queue == queue, QueueCall.outcome == "answered"
            )
            holds = list(
                session.execute(recent.order_by(QueueCall.connected_at.desc()).limit(RECENT))
            )
            talks = list(
                session.execute(
                    recent.where(QueueCall.talk_s.is_not(None))
                    .order_by(QueueCall.ended_at.desc())
                    .limit(RECENT)
                )
            )
        return {
            "answered_today": int(answered or 0),
            "abandoned_today": int(abandoned or 0),
            "avg_hold_s": _mean([h for h, _ in holds if h is not None]),
            "avg_talk_s": _mean([t for _, t in talks if t is not None]),
        }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None
