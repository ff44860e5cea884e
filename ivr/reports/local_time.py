"""Local days and hours, counted in SQL.

The database keeps UTC; reports are by the hotline's local day and hour. Grouping by a local
hour in SQL needs the zone's UTC offset, which changes with daylight saving (not in Vietnam,
but a hotline elsewhere may have it). So a date range is cut into spans with one offset each
(one span unless the clocks change inside the range) and each span is grouped by its own
shifted time: the same ``GROUP BY`` on SQLite (``strftime`` with a minutes modifier) and
PostgreSQL (``to_char`` of the UTC time plus an interval).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, func
from sqlalchemy.sql.elements import ColumnElement

STEP = timedelta(minutes=15)  # clock changes fall on a quarter hour in every zone


@dataclass(frozen=True)
class Span:
    start: datetime  # UTC, included
    end: datetime  # UTC, excluded
    shift_min: int  # the zone's UTC offset all through the span, in minutes


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment the local ``day`` begins."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _offset_min(moment: datetime, zone: ZoneInfo) -> int:
    offset = moment.astimezone(zone).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def spans(start: datetime, end: datetime, zone: ZoneInfo) -> list[Span]:
    """``[start, end)`` cut where the zone's UTC offset changes."""
    first = _offset_min(start, zone)
    if all(_offset_min(m, zone) == first for m in _daily(start, end)):
        return [Span(start, end, first)]
    pieces: list[Span] = []
    piece_start, offset, moment = start, first, start
    while moment < end:
        now = _offset_min(moment, zone)
        if now != offset:
            pieces.append(Span(piece_start, moment, offset))
            piece_start, offset = moment, now
        moment += STEP
    pieces.append(Span(piece_start, end, offset))
    return pieces


def _daily(start: datetime, end: datetime) -> list[datetime]:
    moments = []
    moment = start
    while moment < end:
        moments.append(moment)
        moment += timedelta(hours=6)
    return [*moments, end - timedelta(microseconds=1)]


def local_text(column: Any, shift_min: int, dialect: str, unit: str) -> ColumnElement[str]:
    """``column`` (UTC) shifted by ``shift_min`` as text: "YYYY-MM-DD HH" (unit "hour") or
    "YYYY-MM-DD" (unit "day")."""
    if dialect == "sqlite":
        pattern = "%Y-%m-%d %H" if unit == "hour" else "%Y-%m-%d"
        return func.strftime(pattern, column, f"{shift_min:+d} minutes", type_=String)
    pattern = "YYYY-MM-DD HH24" if unit == "hour" else "YYYY-MM-DD"
    shifted = func.timezone("UTC", column) + func.make_interval(0, 0, 0, 0, 0, shift_min)
    return func.to_char(shifted, pattern, type_=String)


def local_clock(moment: datetime | None, zone: ZoneInfo) -> str:
    """A UTC moment as the local time of day, "HH:MM:SS" ("" for none)."""
    return moment.astimezone(zone).strftime("%H:%M:%S") if moment else ""


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
