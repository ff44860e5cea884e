"""The emergency announcement: a message, per language, every caller hears first, between a
start and an end time.

The incident rule of the seeds is read as: an announcement is a short-lived incident notice.
Its end defaults to 30 minutes after its start; a longer one (up to ``MAX_HOURS``) needs the
supervisor to confirm it explicitly (``longer=True``), so nothing stays on by accident.
At least one language needs a text; a caller whose language has none hears the text of the
flow's default language, or else the first one given (see ``for_language``).

Every call asks ``current``: the rows are cached in-process for ``CACHE_SECONDS``, and a
change bumps ``announcement:version`` in live state, which every process compares on each
call, so with shared live state (Redis) a change reaches every worker's next call; without
it, at most ``CACHE_SECONDS`` later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.core.db import Database
from ivr.core.languages import LANGUAGES
from ivr.core.live_state import LiveState
from ivr.core.models import Announcement

log = logging.getLogger(__name__)

VERSION_KEY = "announcement:version"
CACHE_SECONDS = 2.0
DEFAULT_MINUTES = 30
MAX_HOURS = 24
MAX_CHARACTERS = 600


class AnnouncementError(ValueError):
    """What is wrong with an announcement, per form field (texts, starts_at, ends_at)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Active:
    texts: dict[str, str]
    starts_at: datetime
    ends_at: datetime


def for_language(texts: dict[str, str], language: str, default: str) -> tuple[str, str]:
    """(language, text) a caller in ``language`` hears: theirs, the default's, or the first."""
    for choice in (language, default):
        if texts.get(choice):
            return choice, texts[choice]
    first = next(iter(texts))
    return first, texts[first]


class Announcements:
    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        state: LiveState,
        max_minutes: int = DEFAULT_MINUTES,
    ) -> None:
        self.database = database
        self.clock = clock
        self.state = state
        self.max_minutes = max_minutes
        self._lock = threading.Lock()
        self._cached: tuple[str | None, float, list[Active]] | None = None

    # -- changes --------------------------------------------------------------------------
    def check(
        self,
        texts: dict[str, str],
        starts_at: datetime,
        ends_at: datetime | None,
        longer: bool = False,
    ) -> tuple[dict[str, str], datetime]:
        """The texts to keep and the end time, or AnnouncementError with every problem."""
        problems: dict[str, str] = {}
        kept = {lang: " ".join(t.split()) for lang, t in texts.items() if t and t.strip()}
        unknown = sorted(set(kept) - set(LANGUAGES))
        if unknown:
            problems["texts"] = f"Unknown language {', '.join(unknown)}: use vi, zh or en."
        elif not kept:
            problems["texts"] = "Write the announcement in at least one language."
        for lang, text in kept.items():
            if len(text) > MAX_CHARACTERS:
                problems[f"text_{lang}"] = (
                    f"The {lang} text has {len(text)} characters; at most {MAX_CHARACTERS} "
                    "(callers hear it before anything else: keep it short)."
                )
        if ends_at is None:
            ends_at = starts_at + timedelta(minutes=self.max_minutes)
        length = ends_at - starts_at
        if ends_at <= starts_at:
            problems["ends_at"] = "The end must be after the start."
        elif ends_at <= self.clock():
            problems["ends_at"] = "The end is already past: choose a later end."
        elif length > timedelta(hours=MAX_HOURS):
            problems["ends_at"] = f"An announcement lasts at most {MAX_HOURS} hours."
        elif length > timedelta(minutes=self.max_minutes) and not longer:
            problems["ends_at"] = (
                f"The incident rule keeps an announcement on for {self.max_minutes} minutes; "
                f"this one lasts {_minutes(length)}. Tick 'keep it on longer' to confirm, or "
                "choose an earlier end."
            )
        if problems:
            raise AnnouncementError(problems)
        return kept, ends_at

    def switch_on(
        self,
        texts: dict[str, str],
        starts_at: datetime,
        ends_at: datetime | None,
        by: str,
        longer: bool = False,
    ) -> Announcement:
        """A new announcement; it replaces any other that is on or scheduled."""
        kept, ends_at = self.check(texts, starts_at, ends_at, longer)
        now = self.clock()
        with self.database.session() as session:
            self._end_all(session, now, by)
            row = Announcement(
                texts=kept,
                starts_at=starts_at,
                ends_at=ends_at,
                created_by=by,
                created_at=now,
            )
            session.add(row)
        self._changed()
        log.info("announcement %d on by %s (%s to %s)", row.id, by, starts_at, ends_at)
        return row

    def switch_off(self, by: str) -> int:
        """End every announcement that is on or scheduled; how many there were."""
        with self.database.session() as session:
            count = self._end_all(session, self.clock(), by)
        self._changed()
        log.info("announcement off by %s (%d ended)", by, count)
        return count

    def _end_all(self, session: Session, now: datetime, by: str) -> int:
        rows = session.scalars(select(Announcement).where(Announcement.ends_at > now)).all()
        for row in rows:
            row.ends_at = max(now, row.starts_at)
            row.ended_by = by
        return len(rows)

    def _changed(self) -> None:
        self.state.incr(VERSION_KEY)
        with self._lock:
            self._cached = None

    # -- reading --------------------------------------------------------------------------
    def current(self, now: datetime | None = None) -> dict[str, str] | None:
        """The texts callers hear now (language -> text), or None."""
        now = now or self.clock()
        for active in self._rows(now):
            if active.starts_at <= now < active.ends_at:
                return dict(active.texts)
        return None

    def _rows(self, now: datetime) -> list[Active]:
        version = self.state.get(VERSION_KEY)
        with self._lock:
            cached = self._cached
        if cached is not None and cached[0] == version:
            if time.monotonic() - cached[1] < CACHE_SECONDS:
                return cached[2]
        with self.database.session(readonly=True) as session:
            rows = session.scalars(select(Announcement).where(Announcement.ends_at > now)).all()
            active = [Active(dict(r.texts), r.starts_at, r.ends_at) for r in rows]
        with self._lock:
            self._cached = (version, time.monotonic(), active)
        return active

    def history(self, limit: int = 20) -> list[Announcement]:
        with self.database.session(readonly=True) as session:
            query = select(Announcement).order_by(Announcement.id.desc()).limit(limit)
            return list(session.scalars(query).all())


def _minutes(length: timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} h {minutes % 60:02d} min"
