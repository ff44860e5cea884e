"""Call volume by local hour and day, and the queues' figures: all counted by ``GROUP BY``.

A call counts on the local day and hour it started. "Answered by an agent" and "abandoned"
come from the queue calls (AMI) of the same call id: a call answered on a second try after
abandoning once counts as answered only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import Session

from ivr.core.models import CallRecord, QueueCall, UtcDateTime
from ivr.reports.filters import ReportFilter, json_has
from ivr.reports.local_time import local_text
from ivr.reports.tables import Table, mean, ratio

SCAN_SHARE = 0.25  # SQLite: above this share of all calls, reading the table beats the index
LATE = timedelta(hours=12)  # a call may join a queue this long after it started
VOLUME = ["Calls", "Answered by an agent", "Abandoned", "Overflow", "After hours", "AI-handled"]
VOLUME_KEYS = ["calls", "answered", "abandoned", "overflow", "after_hours", "ai", "contained"]
DONE = ("answered", "abandoned", "left")  # queue calls over (not still waiting)


def call_scope(f: ReportFilter) -> list[Any]:
    scope = []
    if f.flow:
        scope.append(CallRecord.flow == f.flow)
    if f.queue:
        scope.append(CallRecord.queue == f.queue)
    return scope


def queue_scope(f: ReportFilter) -> list[Any]:
    scope = []
    if f.queue:
        scope.append(QueueCall.queue == f.queue)
    if f.flow:
        scope.append(QueueCall.call_id.in_(f.calls_of_flow()))
    return scope


def started_between(session: Session, start: datetime, end: datetime) -> list[Any]:
    """``CallRecord.started_at`` in ``[start, end)``. SQLite keeps no statistics on how many
    rows a range holds and always takes the index; for a range holding most calls (a month of
    a month's data) a plain scan is about three times faster, so there the index is hidden
    (``+started_at``) after a quick count through it."""
    column: Any = CallRecord.started_at
    if session.get_bind().dialect.name == "sqlite":
        inside = session.scalar(select(func.count()).where(column >= start, column < end))
        every = session.scalar(select(func.max(CallRecord.id))) or 0
        if every and (inside or 0) > SCAN_SHARE * every:
            column = literal_column(f"+{CallRecord.__tablename__}.started_at", UtcDateTime())
    return [column >= start, column < end]


def _queue_ends(f: ReportFilter) -> Any:
    """Per call id: whether an agent answered it, whether it abandoned a queue."""
    return (
        select(
            QueueCall.call_id,
            func.max(case((QueueCall.outcome == "answered", 1), else_=0)).label("answered"),
            func.max(case((QueueCall.outcome == "abandoned", 1), else_=0)).label("abandoned"),
        )
        .where(QueueCall.joined_at >= f.start, QueueCall.joined_at < f.end + LATE)
        .group_by(QueueCall.call_id)
        .subquery()
    )


def volume_buckets(session: Session, f: ReportFilter) -> dict[str, list[int]]:
    """Local "YYYY-MM-DD HH" -> counts in ``VOLUME_KEYS`` order."""
    dialect = session.get_bind().dialect.name
    ends = _queue_ends(f)
    answered = func.coalesce(ends.c.answered, 0)
    ai = f.ai_handled()
    counts = [
        func.count(),
        func.sum(answered),
        func.sum(case((and_(ends.c.abandoned == 1, answered == 0), 1), else_=0)),
        func.sum(case((json_has(CallRecord.tags, "overflow"), 1), else_=0)),
        func.sum(case((json_has(CallRecord.tags, "after-hours"), 1), else_=0)),
        func.sum(case((ai, 1), else_=0)),
        func.sum(case((and_(ai, answered == 0), 1), else_=0)),
    ]
    buckets: dict[str, list[int]] = {}
    for span in f.spans():
        hour = local_text(CallRecord.started_at, span.shift_min, dialect, "hour").label("hour")
        query = (
            select(hour, *counts)
            .select_from(CallRecord)
            .outerjoin(ends, ends.c.call_id == CallRecord.call_id)
            .where(*started_between(session, span.start, span.end))
            .where(*call_scope(f))
            .group_by(hour)
        )
        for key, *values in session.execute(query):
            old = buckets.get(key, [0] * len(VOLUME_KEYS))
            buckets[key] = [a + int(b or 0) for a, b in zip(old, values, strict=True)]
    return buckets


def volume_tables(buckets: dict[str, list[int]], f: ReportFilter) -> list[Table]:
    """Calls per local hour of the day (all days of the range added up) and per day."""
    width = len(VOLUME)
    by_hour = {f"{h:02d}": [0] * width for h in range(24)}
    by_day = {day.isoformat(): [0] * width for day in f.days()}
    for key, values in buckets.items():
        day, hour = key.split(" ")
        for target in (by_hour.get(hour), by_day.get(day)):
            if target is not None:
                target[:] = [a + b for a, b in zip(target, values[:width], strict=True)]
    return [
        Table("calls_by_hour", "Calls per hour of the day", ["Hour", *VOLUME], _rows(by_hour)),
        Table("calls_by_day", "Calls per day", ["Day", *VOLUME], _rows(by_day)),
    ]


def _rows(table: dict[str, list[int]]) -> list[list[Any]]:
    return [[key, *values] for key, values in table.items()]


def totals(buckets: dict[str, list[int]]) -> dict[str, int]:
    sums = [sum(values[i] for values in buckets.values()) for i in range(len(VOLUME_KEYS))]
    return dict(zip(VOLUME_KEYS, sums, strict=True))


QUEUE_COLUMNS = [
    "Queue",
    "Offered",
    "Answered",
    "Abandoned",
    "Left without an agent",
    "Answered within target",
    "Service level",
    "Average wait, answered (s)",
    "Average wait, abandoned (s)",
    "Average talk (s)",
    "Talk time",
]


def queue_table(session: Session, f: ReportFilter) -> Table:
    """Per queue (and all together): queue calls that joined in the range and are over."""
    outcome, hold = QueueCall.outcome, QueueCall.hold_s
    answered = outcome == "answered"
    query = (
        select(
            QueueCall.queue,
            func.count(),
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((outcome == "abandoned", 1), else_=0)),
            func.sum(case((outcome == "left", 1), else_=0)),
            func.sum(case((and_(answered, hold <= f.answer_within_s), 1), else_=0)),
            func.sum(case((answered, hold), else_=0)),
            func.sum(case((outcome == "abandoned", hold), else_=0)),
            func.sum(QueueCall.talk_s),
            func.count(QueueCall.talk_s),
        )
        .where(QueueCall.joined_at >= f.start, QueueCall.joined_at < f.end)
        .where(outcome.in_(DONE), *queue_scope(f))
        .group_by(QueueCall.queue)
        .order_by(QueueCall.queue)
    )
    raw = [[name, *(float(v or 0) for v in values)] for name, *values in session.execute(query)]
    total = ["All queues", *(sum(r[i] for r in raw) for i in range(1, 10))]
    rows = [_queue_row(r) for r in [*raw, total]] if raw else []
    note = (
        f"Service level: queue calls answered within {f.answer_within_s} s out of all offered "
        "(answered, abandoned, or left when no agent came). Waits are time in the queue."
    )
    kinds = {6: "share", 10: "duration"}
    return Table("queues", "Queues", QUEUE_COLUMNS, rows, kinds, note)


def _queue_row(r: list[Any]) -> list[Any]:
    name, offered, answered, abandoned, left, within, hold_a, hold_b, talk, talked = r
    return [
        name,
        int(offered),
        int(answered),
        int(abandoned),
        int(left),
        int(within),
        ratio(within, offered),
        mean(hold_a, answered),
        mean(hold_b, abandoned),
        mean(talk, talked),
        round(talk),
    ]
