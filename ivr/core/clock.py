"""The IVR's one clock: what time it is, in UTC.

Every part that needs the date or time (opening hours, ticket deadlines, call records, SMS
retries, sessions of the admin web) takes a :data:`Clock`, and the running IVR and each CLI
command build theirs with :func:`make_clock` from the settings. ``IVR_CLOCK`` starts the clock at
a chosen instant instead of now; it then runs forward at the real pace. It exists for tests and
trials ("what does a caller hear on Sunday at 10:00?"), so a server or command started in a
subprocess keeps the same calendar as the test that started it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_instant(text: str, name: str = "IVR_CLOCK") -> datetime:
    """An ISO 8601 instant with its UTC offset ("2026-11-23T09:00+07:00", "...Z")."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{name} must be a date and time with its offset, like 2026-11-23T09:00+07:00, "
            f"got {text!r}"
        ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} needs a UTC offset (+07:00 or Z), got {text!r}")
    return instant.astimezone(UTC)


def make_clock(start: datetime | None = None) -> Clock:
    """The real clock, or one that reads ``start`` now and runs on from it."""
    if start is None:
        return utc_now
    anchor = time.monotonic()

    def now() -> datetime:
        return start + timedelta(seconds=time.monotonic() - anchor)

    return now


def parse_window(text: str, name: str) -> tuple[time_of_day, time_of_day]:
    """``"08:00-20:00"`` -> (08:00, 20:00): local hours of a day, the start before the end."""
    try:
        first, second = (time_of_day.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"{name} must be HH:MM-HH:MM, got {text!r}") from None
    if first >= second:
        raise ValueError(f"{name} must end after it starts, got {text!r}")
    return first, second
