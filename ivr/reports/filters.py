"""What a report covers: local dates, a queue or flow, the service-level target; read from the
query string of the reports page with plain-words errors for anything wrong."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, cast, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ivr.core.digits import whole_number
from ivr.core.models import CallRecord
from ivr.reports.local_time import Span, day_start, spans

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
PRESETS = {"today": 0, "yesterday": 1, "7": 6, "30": 29}  # days back from today
MAX_DAYS = 366
ANSWER_WITHIN_S = 20
AI_SCRIPT = "ai_agent"


class ReportError(ValueError):
    """A report parameter that cannot be used; the message says why, in plain words."""


@dataclass(frozen=True)
class ReportFilter:
    first: date  # local dates, both included
    last: date
    zone: ZoneInfo
    queue: str | None = None
    flow: str | None = None
    answer_within_s: int = ANSWER_WITHIN_S
    # (flow, node id) of the nodes that run the AI voice agent: a call whose path passed one
    # was AI-handled even when the AI then sent it to a queue (handled_by says "human" then)
    ai_nodes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def start(self) -> datetime:
        return day_start(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return day_start(self.last + timedelta(days=1), self.zone)

    def spans(self) -> list[Span]:
        return spans(self.start, self.end, self.zone)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def calls_of_flow(self) -> Any:
        """The call ids of the chosen flow in (about) the range: to narrow tables without a
        flow column (queue calls, surveys, tickets) to one flow."""
        return select(CallRecord.call_id).where(
            CallRecord.flow == self.flow,
            CallRecord.started_at >= self.start - timedelta(days=1),
            CallRecord.started_at < self.end,
        )

    def ai_handled(self) -> ColumnElement[bool]:
        passed = [
            and_(CallRecord.flow == flow, json_has(CallRecord.path, node))
            for flow, node in self.ai_nodes
        ]
        return or_(CallRecord.handled_by == "ai", *passed)


def json_has(column: Any, item: str) -> ColumnElement[bool]:
    """A JSON list of strings holds ``item``: a LIKE on its text (SQLite keeps JSON as text;
    PostgreSQL casts json to text), with ``item`` in quotes so "overflow" does not match
    "no-overflow"."""
    escaped = item.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, Text).like(f'%"{escaped}"%', escape="\\")


def read_filter(
    params: Mapping[str, str],
    today: date,
    zone: ZoneInfo,
    ai_nodes: Iterable[tuple[str, str]] = (),
) -> ReportFilter:
    """The filter the query string asks for: ``preset`` (today, yesterday, 7, 30) or ``start``
    and ``end`` (YYYY-MM-DD, local), ``queue``, ``flow``, ``within`` (seconds)."""
    first, last = _dates(params, today)
    if last < first:
        raise ReportError(f"The end date {last} is before the start date {first}.")
    if (last - first).days + 1 > MAX_DAYS:
        raise ReportError(f"A report covers at most {MAX_DAYS} days; choose a shorter range.")
    within = _seconds(params.get("within", "").strip())
    return ReportFilter(
        first,
        last,
        zone,
        queue=_name(params, "queue"),
        flow=_name(params, "flow"),
        answer_within_s=within,
        ai_nodes=tuple(ai_nodes),
    )


def _dates(params: Mapping[str, str], today: date) -> tuple[date, date]:
    preset = params.get("preset", "").strip()
    start, end = params.get("start", "").strip(), params.get("end", "").strip()
    if preset and not (start or end):
        if preset not in PRESETS:
            raise ReportError(f"Unknown range {preset!r}: choose today, yesterday, 7 or 30 (days).")
        back = PRESETS[preset]
        last = today - timedelta(days=1) if preset == "yesterday" else today
        return today - timedelta(days=back), last
    first = _date("start", start) if start else today
    return first, _date("end", end) if end else (first if start else today)


def _date(name: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(
            f"The {name} date {text!r} is not a date: write it as YYYY-MM-DD."
        ) from None


def _seconds(text: str) -> int:
    if not text:
        return ANSWER_WITHIN_S
    seconds = whole_number(text)
    if seconds is None or not 1 <= seconds <= 3600:
        raise ReportError(
            f"The service-level target {text!r} must be a whole number of seconds, 1 to 3600."
        )
    return seconds


def _name(params: Mapping[str, str], key: str) -> str | None:
    value = params.get(key, "").strip()
    if len(value) > 100:
        raise ReportError(f"The {key} name is too long.")
    return value or None
