"""Per agent and local day: first log-in, last log-out, first and last answered call, calls,
talk time, pauses and pause time.

Calls are counted in SQL by local day. Pauses are pairs of events (pause, then the next
unpause, log-out or log-in of that agent in that queue), paired here in Python: an agent has
a few dozen events a day. A pause with no end in the range runs to the end of the range (or
now). An agent paused in two queues at once is one pause: overlapping pauses are merged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.core.models import AgentEvent, QueueCall
from ivr.reports.calls import queue_scope
from ivr.reports.filters import ReportFilter
from ivr.reports.local_time import local_clock, local_day, local_text
from ivr.reports.tables import Table

COLUMNS = [
    "Day",
    "Agent",
    "First log-in",
    "Last log-out",
    "First call",
    "Last call",
    "Calls",
    "Talk time",
    "Pauses",
    "Pause time",
]


@dataclass
class AgentDay:
    first_login: datetime | None = None
    last_logout: datetime | None = None
    first_call: datetime | None = None
    last_call: datetime | None = None
    calls: int = 0
    talk_s: float = 0.0
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)


def agent_table(session: Session, f: ReportFilter, now: datetime) -> Table:
    days: dict[tuple[date, str], AgentDay] = defaultdict(AgentDay)
    _add_calls(session, f, days)
    _add_events(session, f, days, min(now, f.end))
    rows = [_row(day, agent, figures, f) for (day, agent), figures in sorted(days.items())]
    note = (
        "Times are local. Calls are calls an agent answered; a pause lasts until the agent's "
        "next unpause, log-out or log-in in that queue."
    )
    return Table("agents", "Agents per day", COLUMNS, rows, {7: "duration", 9: "duration"}, note)


def _add_calls(session: Session, f: ReportFilter, days: dict[tuple[date, str], AgentDay]) -> None:
    dialect = session.get_bind().dialect.name
    at = QueueCall.connected_at
    for span in f.spans():
        day = local_text(at, span.shift_min, dialect, "day").label("day")
        query = (
            select(
                day,
                QueueCall.agent,
                func.min(at),
                func.max(at),
                func.count(),
                func.sum(QueueCall.talk_s),
            )
            .where(at >= span.start, at < span.end, QueueCall.outcome == "answered")
            .where(QueueCall.agent.is_not(None), *queue_scope(f))
            .group_by(day, QueueCall.agent)
        )
        for text, agent, first, last, calls, talk in session.execute(query):
            figures = days[(date.fromisoformat(text), str(agent))]
            figures.first_call = _earliest(figures.first_call, first)
            figures.last_call = _latest(figures.last_call, last)
            figures.calls += int(calls)
            figures.talk_s += float(talk or 0)


def _add_events(
    session: Session, f: ReportFilter, days: dict[tuple[date, str], AgentDay], until: datetime
) -> None:
    query = select(AgentEvent.agent, AgentEvent.queue, AgentEvent.event, AgentEvent.at).where(
        AgentEvent.at >= f.start, AgentEvent.at < f.end
    )
    if f.queue:
        query = query.where(AgentEvent.queue == f.queue)
    paused: dict[tuple[str, str], datetime] = {}
    for agent, queue, event, at in session.execute(query.order_by(AgentEvent.at, AgentEvent.id)):
        figures = days[(local_day(at, f.zone), agent)]
        if event == "login":
            figures.first_login = _earliest(figures.first_login, at)
        elif event == "logout":
            figures.last_logout = _latest(figures.last_logout, at)
        began = paused.pop((agent, queue), None)
        if began is not None:
            days[(local_day(began, f.zone), agent)].pauses.append((began, at))
        if event == "pause":
            paused[(agent, queue)] = at
    for (agent, _queue), began in paused.items():
        days[(local_day(began, f.zone), agent)].pauses.append((began, max(began, until)))


def _merged(pauses: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(pauses):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _row(day: date, agent: str, figures: AgentDay, f: ReportFilter) -> list[Any]:
    pauses = _merged(figures.pauses)
    return [
        day.isoformat(),
        agent,
        local_clock(figures.first_login, f.zone),
        local_clock(figures.last_logout, f.zone),
        local_clock(figures.first_call, f.zone),
        local_clock(figures.last_call, f.zone),
        figures.calls,
        round(figures.talk_s),
        len(pauses),
        round(sum((end - start).total_seconds() for start, end in pauses)),
    ]


def _earliest(old: datetime | None, new: datetime | None) -> datetime | None:
    return new if old is None or (new is not None and new < old) else old


def _latest(old: datetime | None, new: datetime | None) -> datetime | None:
    return new if old is None or (new is not None and new > old) else old
