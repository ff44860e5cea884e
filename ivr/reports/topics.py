"""What callers called about and how they found it: categories, self-service steps, tags,
endings, tickets, questions the AI agent could not answer, satisfaction scores."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from ivr.core.models import CallRecord, SurveyResponse, Ticket, UnansweredQuestion
from ivr.reports.calls import call_scope, started_between
from ivr.reports.filters import ReportFilter
from ivr.reports.tables import Table, mean, ratio

TOP = 15
SETTLED_BY: dict[str | None, str] = {
    None: "-",
    "ivr": "menus / self-service",
    "ai": "AI agent",
    "human": "sent to an agent",
}


def _in_range(column: Any, f: ReportFilter) -> list[Any]:
    return [column >= f.start, column < f.end]


def topic_tables(session: Session, f: ReportFilter) -> list[Table]:
    """Categories, self-service steps, tags and endings from one ``GROUP BY`` over the calls:
    the distinct combinations are few (JSON lists counted as their text); Python adds them
    up per category, step, tag and ending."""
    tags = cast(CallRecord.tags, Text).label("tags")
    steps = cast(CallRecord.self_service, Text).label("steps")
    facts = (CallRecord.category, CallRecord.outcome, CallRecord.handled_by, tags, steps)
    query = (
        select(*facts, func.count())
        .where(*started_between(session, f.start, f.end), *call_scope(f))
        .group_by(*facts)
    )
    counts: dict[str, Counter[Any]] = defaultdict(Counter)
    for category, outcome, handled_by, tag_list, step_list, n in session.execute(query):
        if category is not None:
            counts["categories"][category] += n
        counts["endings"][
            (outcome or "(still on)", SETTLED_BY.get(handled_by, handled_by or "-"))
        ] += n
        for tag in set(json.loads(tag_list or "[]") or []):
            counts["tags"][str(tag)] += n
        for step in set(json.loads(step_list or "[]") or []):
            counts["steps"][str(step)] += n
    return [
        Table(
            "categories", "Top call categories", ["Category", "Calls"], _top(counts["categories"])
        ),
        Table("self_service", "Self-service steps", ["Step", "Calls"], _top(counts["steps"], None)),
        Table("tags", "Call tags", ["Tag", "Calls"], _top(counts["tags"], None)),
        Table(
            "endings",
            "How calls ended",
            ["Ending", "Settled by", "Calls"],
            [[*key, n] for key, n in _top(counts["endings"], None)],
        ),
        _tickets(session, f),
    ]


def _top(counter: Counter[Any], limit: int | None = TOP) -> list[list[Any]]:
    ordered = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
    return [[key, n] for key, n in ordered[:limit]]


def _tickets(session: Session, f: ReportFilter) -> Table:
    count = func.count().label("n")
    query = (
        select(Ticket.level1, Ticket.category, count)
        .where(*_in_range(Ticket.created_at, f))
        .group_by(Ticket.level1, Ticket.category)
        .order_by(count.desc(), Ticket.category)
        .limit(TOP)
    )
    if f.flow:
        query = query.where(Ticket.call_id.in_(f.calls_of_flow()))
    rows = [list(r) for r in session.execute(query)]
    return Table("tickets", "Tickets by category", ["Kind", "Category", "Tickets"], rows)


def unanswered_table(session: Session, f: ReportFilter) -> tuple[Table, int]:
    """The questions asked most often that the AI agent could not answer, and how many."""
    scope = _in_range(UnansweredQuestion.asked_at, f)
    if f.flow:
        scope.append(UnansweredQuestion.call_id.in_(f.calls_of_flow()))
    total = session.scalar(select(func.count()).where(*scope)) or 0
    count = func.count().label("n")
    query = (
        select(UnansweredQuestion.text, UnansweredQuestion.language, count)
        .where(*scope)
        .group_by(UnansweredQuestion.text, UnansweredQuestion.language)
        .order_by(count.desc(), UnansweredQuestion.text)
        .limit(TOP)
    )
    rows = [list(r) for r in session.execute(query)]
    table = Table(
        "unanswered",
        "Questions the AI agent could not answer",
        ["Question", "Language", "Times asked"],
        rows,
        note=f"{total} in all; turn them into entries on the knowledge base page.",
    )
    return table, int(total)


def satisfaction_tables(session: Session, f: ReportFilter) -> list[Table]:
    scope = _in_range(SurveyResponse.answered_at, f)
    if f.queue:
        scope.append(SurveyResponse.queue == f.queue)
    if f.flow:
        scope.append(SurveyResponse.call_id.in_(f.calls_of_flow()))
    score, count = SurveyResponse.score, func.count()
    by_score = dict(session.execute(select(score, count).where(*scope).group_by(score)).all())
    responses = sum(by_score.values())
    scores = [[s, by_score.get(s, 0), ratio(by_score.get(s, 0), responses)] for s in range(1, 6)]
    who = session.execute(
        select(SurveyResponse.handled_by, count, func.sum(score))
        .where(*scope)
        .group_by(SurveyResponse.handled_by)
        .order_by(SurveyResponse.handled_by)
    )
    agents = session.execute(
        select(SurveyResponse.agent, count, func.sum(score))
        .where(*scope, SurveyResponse.agent.is_not(None))
        .group_by(SurveyResponse.agent)
        .order_by(SurveyResponse.agent)
    )
    return [
        Table(
            "satisfaction_scores",
            "Satisfaction scores",
            ["Score", "Responses", "Share"],
            scores,
            {2: "share"},
            note="Callers score 1 (bad) to 5 (very good) after an agent or the AI agent.",
        ),
        Table(
            "satisfaction_by",
            "Satisfaction by who answered",
            ["Answered by", "Responses", "Average score"],
            [[h, n, mean(total, n, 2)] for h, n, total in who],
        ),
        Table(
            "satisfaction_agents",
            "Satisfaction per agent",
            ["Agent", "Responses", "Average score"],
            [[a, n, mean(total, n, 2)] for a, n, total in agents],
        ),
    ]
