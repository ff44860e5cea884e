"""Reports for the admin web: call volume, queues, topics, satisfaction and agents over a range
of local days, as tables (every one exportable as CSV) built from SQL aggregates.

``report(database, filter, now)`` gives every table by name; ``report(..., only=name)`` builds
just what that one table needs (the CSV export). No web code here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ivr.core.db import Database
from ivr.reports.agents import agent_table
from ivr.reports.calls import queue_table, totals, volume_buckets, volume_tables
from ivr.reports.filters import DEFAULT_ZONE, ReportError, ReportFilter, read_filter
from ivr.reports.tables import Table, mean, ratio
from ivr.reports.topics import satisfaction_tables, topic_tables, unanswered_table

VOLUME_TABLES = ("summary", "calls_by_hour", "calls_by_day")
TOPIC_TABLES = ("categories", "self_service", "tags", "endings", "tickets")
SATISFACTION_TABLES = ("summary", "satisfaction_scores", "satisfaction_by", "satisfaction_agents")
NAMES = (
    *VOLUME_TABLES,
    "queues",
    *TOPIC_TABLES,
    "unanswered",
    *SATISFACTION_TABLES[1:],
    "agents",
)


def report(
    database: Database, f: ReportFilter, now: datetime, only: str | None = None
) -> dict[str, Table]:
    """The tables of the report, by name (all of them, or ``only`` the one named)."""
    with database.session(readonly=True) as session:
        return _build(session, f, now, only)


def _build(session: Session, f: ReportFilter, now: datetime, only: str | None) -> dict[str, Table]:
    def wanted(*names: str) -> bool:
        return only is None or only in names

    tables: dict[str, Table] = {}
    buckets: dict[str, list[int]] = {}
    unanswered = 0
    if wanted(*VOLUME_TABLES):
        buckets = volume_buckets(session, f)
        tables.update((t.name, t) for t in volume_tables(buckets, f))
    if wanted("summary", "queues"):
        tables["queues"] = queue_table(session, f)
    if wanted(*TOPIC_TABLES):
        tables.update((t.name, t) for t in topic_tables(session, f))
    if wanted("summary", "unanswered"):
        tables["unanswered"], unanswered = unanswered_table(session, f)
    if wanted(*SATISFACTION_TABLES):
        tables.update((t.name, t) for t in satisfaction_tables(session, f))
    if wanted("agents"):
        tables["agents"] = agent_table(session, f, now)
    if wanted("summary"):
        tables["summary"] = _summary(buckets, tables, unanswered, f)
    return {name: tables[name] for name in NAMES if name in tables and wanted(name)}


def _summary(
    buckets: dict[str, list[int]], tables: dict[str, Table], unanswered: int, f: ReportFilter
) -> Table:
    calls = totals(buckets)
    queues = tables["queues"].rows[-1] if tables["queues"].rows else None
    scores = tables["satisfaction_scores"].rows
    responses = sum(row[1] for row in scores)
    rows: list[list[Any]] = [
        ["Calls", calls["calls"]],
        ["Answered by an agent", calls["answered"]],
        ["Abandoned in a queue", calls["abandoned"]],
        ["Overflow (queue full, too long or no agent)", calls["overflow"]],
        ["After hours", calls["after_hours"]],
        ["AI-handled", calls["ai"]],
        ["AI-handled, no agent reached", calls["contained"]],
        ["Containment (%)", ratio(calls["contained"], calls["ai"])],
        ["AI-handled share of calls (%)", ratio(calls["ai"], calls["calls"])],
        ["Average wait before an agent answered (s)", queues[7] if queues else None],
        ["Average talk time (s)", queues[9] if queues else None],
        [
            f"Service level: answered within {f.answer_within_s} s (%)",
            queues[6] if queues else None,
        ],
        ["Questions the AI agent could not answer", unanswered],
        ["Satisfaction responses", responses],
        ["Average satisfaction (1-5)", mean(sum(r[0] * r[1] for r in scores), responses, 2)],
    ]
    note = (
        "Containment: AI-handled calls in which no agent answered, out of all AI-handled calls. "
        "AI-handled: the AI voice agent took part in the call."
    )
    return Table("summary", "Summary", ["Figure", "Value"], rows, note=note)


__all__ = ["DEFAULT_ZONE", "NAMES", "ReportError", "ReportFilter", "Table", "read_filter", "report"]
