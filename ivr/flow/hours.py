"""Business hours: a weekly schedule of opening intervals, closed all day on holidays.

Everything is wall-clock time in the schedule's own zone: ``now`` (any aware datetime) is
converted to that zone first, so "Mon-Fri 07:30-17:00 in Asia/Ho_Chi_Minh" means what the staff
of that office read on their clocks, on either side of a daylight-saving change. In a zone with
DST a wall-clock time that is skipped (spring forward) is never open; one that occurs twice
(fall back) is open both times.

The parsing helpers at the bottom turn the strings of a flow file (``mon-fri``, ``07:30-11:30``,
``2026-09-02``, ``Asia/Ho_Chi_Minh``) into values and raise ``ValueError`` with a message meant
for the admin who wrote them; the loader adds the file, line and path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from difflib import get_close_matches
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()

# An interval ending at "24:00" ends at midnight. ``time`` stops at 23:59:59.999999, so that end
# is stored as ``time.max`` and is the one end that counts as inclusive in ``is_open``.
END_OF_DAY = time.max

Interval = tuple[time, time]


@dataclass(frozen=True)
class Hours:
    """When a service is open. ``weekly`` maps weekday (0 = Monday) to half-open intervals
    ``[start, end)`` in wall-clock time of ``timezone``; a day that is absent is closed.
    ``holidays`` are dates in that zone, closed all day whatever the weekly schedule says."""

    timezone: str
    weekly: dict[int, tuple[Interval, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)


def is_open(hours: Hours, now: datetime) -> bool:
    """Whether ``hours`` is open at the instant ``now`` (which must be timezone-aware)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("is_open needs a timezone-aware datetime")
    local = now.astimezone(ZoneInfo(hours.timezone))
    if local.date() in hours.holidays:
        return False
    wall = local.time()  # naive wall-clock time of day
    return any(
        start <= wall and (wall < end or end == END_OF_DAY)
        for start, end in hours.weekly.get(local.weekday(), ())
    )


HOLIDAYS_AHEAD_DAYS = 365


def holidays_expired(hours: Hours, now: datetime) -> str | None:
    """A warning when ``hours`` lists holidays but none in the coming 12 months (the list was
    written for a past year: every public holiday would count as a working day), else None."""
    if not hours.holidays:
        return None  # no list at all: open on holidays by choice
    today = now.astimezone(ZoneInfo(hours.timezone)).date()
    if any(0 <= (day - today).days < HOLIDAYS_AHEAD_DAYS for day in hours.holidays):
        return None
    return (
        f"no holiday in the coming 12 months (the last is {max(hours.holidays)}): "
        "add next year's public holidays"
    )


# -- parsing the forms of a flow file -------------------------------------------------------

_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
_INTERVAL = re.compile(rf"({_CLOCK})\s*-\s*({_CLOCK}|24:00)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_days(spec: str) -> tuple[int, ...]:
    """``"mon"`` -> (0,); ``"mon-fri"`` -> (0, 1, 2, 3, 4). A range may wrap past Sunday
    (``"fri-mon"`` is Friday to Monday)."""
    first, sep, last = spec.strip().lower().partition("-")
    names = [first, last] if sep else [first]
    if any(name not in DAYS for name in names):
        raise ValueError(
            f"'{spec}' is not a day or a range of days "
            "(one of mon tue wed thu fri sat sun, or a range such as mon-fri)"
        )
    start, end = DAYS.index(names[0]), DAYS.index(names[-1])
    return tuple((start + i) % 7 for i in range((end - start) % 7 + 1))


def parse_interval(text: str) -> Interval:
    """``"07:30-11:30"`` -> (07:30, 11:30); an end of ``"24:00"`` becomes ``END_OF_DAY``."""
    match = _INTERVAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"'{text}' is not a time range HH:MM-HH:MM (24-hour clock, e.g. 07:30-11:30)"
        )
    start = time.fromisoformat(match.group(1))
    end = END_OF_DAY if match.group(2) == "24:00" else time.fromisoformat(match.group(2))
    if end <= start:
        raise ValueError(f"the time range '{text}' ends before it starts")
    return start, end


def find_overlap(intervals: list[Interval]) -> tuple[Interval, Interval] | None:
    """The first two intervals of one day that overlap, if any."""
    ordered = sorted(intervals)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later[0] < earlier[1]:
            return earlier, later
    return None


def format_interval(interval: Interval) -> str:
    start, end = interval
    return f"{start:%H:%M}-{'24:00' if end == END_OF_DAY else f'{end:%H:%M}'}"


def parse_holiday(text: str) -> date:
    """``"2026-09-02"`` -> date(2026, 9, 2); only the ISO form YYYY-MM-DD."""
    try:
        if _DATE.fullmatch(text.strip()):
            return date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise ValueError(f"'{text}' is not a date written YYYY-MM-DD (e.g. 2026-09-02)")


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone known here, else ``ValueError`` with a suggestion."""
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    close = get_close_matches(name, available_timezones(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else " (an IANA name such as Asia/Ho_Chi_Minh)"
    raise ValueError(f"unknown time zone '{name}'{hint}")
