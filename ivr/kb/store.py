"""The knowledge base in the database: entries per language, every version kept, rollback.

An entry is one topic in one language (``key`` is the same topic in every language). Each save
writes a new version and its copy in ``kb_entry_versions``; a rollback is a new version equal
to an old one, so the history only grows. Saving what is already there changes nothing, which
makes loading the seed files again harmless. Every change bumps ``kb:version`` in live state,
so the other workers rebuild their index before their next answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.core.db import Database
from ivr.core.languages import LANGUAGES
from ivr.core.models import KbEntry, KbEntryVersion, UnansweredQuestion
from ivr.core.privacy import mask_digits_in
from ivr.kb.text import fold

log = logging.getLogger(__name__)
KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
VERSION_KEY = "kb:version"


@dataclass(frozen=True)
class Entry:
    key: str
    language: str
    category: str
    tags: tuple[str, ...]
    question: str
    alternates: tuple[str, ...]
    answer: str
    active: bool
    version: int
    saved_at: datetime | None = None
    saved_by: str = ""


@dataclass(frozen=True)
class Draft:
    """What an admin or a file gives for one entry (no version yet)."""

    key: str
    language: str
    category: str
    tags: tuple[str, ...]
    question: str
    alternates: tuple[str, ...]
    answer: str
    active: bool = True

    def content(self) -> tuple[Any, ...]:
        """The comparable content, cleaned as it will be stored."""
        tags = [t.strip() for t in self.tags if t.strip()]
        alternates = [a.strip() for a in self.alternates if a.strip()]
        return (
            self.category.strip(),
            tags,
            self.question.strip(),
            alternates,
            self.answer.strip(),
            bool(self.active),
        )


def _entry(row: KbEntry) -> Entry:
    return Entry(
        row.key,
        row.language,
        row.category,
        tuple(row.tags or ()),
        row.question,
        tuple(row.alternates or ()),
        row.answer,
        row.active,
        row.version,
        row.updated_at,
        row.updated_by,
    )


def check(key: str, language: str, category: str, question: str, answer: str) -> None:
    """Clear errors for what an admin (or a seed file) got wrong."""
    if not KEY.fullmatch(key):
        raise ValueError(f"key {key!r}: lowercase letters, digits and dashes, at most 80")
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: one of {', '.join(LANGUAGES)}")
    if not category.strip():
        raise ValueError(f"{key}: a category is needed")
    if not question.strip():
        raise ValueError(f"{key} ({language}): the question is empty")
    if not answer.strip():
        raise ValueError(f"{key} ({language}): the answer is empty")


class KbStore:
    def __init__(
        self, database: Database, clock: Callable[[], datetime], state: Any = None
    ) -> None:
        self.database = database
        self.clock = clock
        self.state = state
        self.changes = 0  # saves by this process (the index rebuilds when it moves)

    def save(
        self,
        key: str,
        language: str,
        category: str,
        tags: Iterable[str],
        question: str,
        alternates: Iterable[str],
        answer: str,
        by: str,
        active: bool = True,
    ) -> Entry:
        """Create or edit one entry; a new version only when something really changed."""
        item = Draft(key, language, category, tuple(tags), question, tuple(alternates), answer)
        return self.save_all([replace(item, active=active)], by)[0][0]

    def save_all(self, items: Sequence[Draft], by: str) -> list[tuple[Entry, bool]]:
        """Save several entries in one transaction (all or none); each with whether it changed.

        Imports use this so that a file with a bad row leaves the base as it was.
        """
        for item in items:
            check(item.key, item.language, item.category, item.question, item.answer)
        out: list[tuple[Entry, bool]] = []
        with self.database.session() as session:
            now = self.clock()
            for item in items:
                out.append(_save_in(session, item, by, now))
        if any(changed for _, changed in out):
            self._changed()
        return out

    def _changed(self) -> None:
        """Tell the other workers (the change itself is saved already: live state down only
        delays their rebuild until it moves again)."""
        self.changes += 1
        if self.state is None:
            return
        try:
            self.state.incr(VERSION_KEY)
        except Exception as exc:
            log.error("knowledge base: saved, but other workers not told (live state: %s)", exc)

    def get(self, key: str, language: str) -> Entry | None:
        with self.database.session(readonly=True) as session:
            row = session.scalar(
                select(KbEntry).where(KbEntry.key == key, KbEntry.language == language)
            )
            return _entry(row) if row is not None else None

    def entries(
        self,
        language: str | None = None,
        category: str | None = None,
        text: str | None = None,
        active_only: bool = False,
    ) -> list[Entry]:
        query = select(KbEntry)
        if language:
            query = query.where(KbEntry.language == language)
        if category:
            query = query.where(KbEntry.category == category)
        if active_only:
            query = query.where(KbEntry.active.is_(True))
        with self.database.session(readonly=True) as session:
            rows = [_entry(r) for r in session.scalars(query.order_by(KbEntry.key, KbEntry.id))]
        if text:  # an admin types without diacritics as often as with them
            needle = fold(text.casefold())
            rows = [
                e
                for e in rows
                if needle in fold(" ".join((e.key, e.question, e.answer, *e.alternates)).casefold())
            ]
        return rows

    def history(self, key: str, language: str) -> list[Entry]:
        with self.database.session(readonly=True) as session:
            query = (
                select(KbEntryVersion)
                .join(KbEntry, KbEntry.id == KbEntryVersion.entry_id)
                .where(KbEntry.key == key, KbEntry.language == language)
                .order_by(KbEntryVersion.version)
            )
            return [
                Entry(
                    key,
                    language,
                    v.category,
                    tuple(v.tags or ()),
                    v.question,
                    tuple(v.alternates or ()),
                    v.answer,
                    v.active,
                    v.version,
                    v.saved_at,
                    v.saved_by,
                )
                for v in session.scalars(query)
            ]

    def rollback(self, key: str, language: str, version: int, by: str) -> Entry:
        """A new version with the content of ``version``."""
        old = next((v for v in self.history(key, language) if v.version == version), None)
        if old is None:
            raise ValueError(f"{key} ({language}) has no version {version}")
        return self.save(
            key, language, old.category, old.tags, old.question, old.alternates, old.answer, by,
            old.active,
        )  # fmt: skip

    def deactivate(self, key: str, language: str, by: str) -> Entry:
        entry = self.get(key, language)
        if entry is None:
            raise ValueError(f"no entry {key} ({language})")
        return self.save(
            key, language, entry.category, entry.tags, entry.question, entry.alternates,
            entry.answer, by, active=False,
        )  # fmt: skip

    def load_dir(self, folder: Path, by: str = "files") -> int:
        """Import ``<folder>/<language>.yaml`` (all files or none); how many entries changed.

        Loading the same files again changes nothing: equal entries get no new version.
        """
        items: list[Draft] = []
        for language in LANGUAGES:
            path = Path(folder) / f"{language}.yaml"
            if path.exists():
                items += read_file(path, language)
        return sum(changed for _, changed in self.save_all(items, by))

    def record_unanswered(
        self,
        call_id: str | None,
        language: str,
        text: str,
        best_key: str | None,
        best_score: float | None,
    ) -> None:
        with self.database.session() as session:
            session.add(
                UnansweredQuestion(
                    call_id=call_id,
                    language=language,
                    text=mask_digits_in(text),  # a caller may say an ID number
                    best_key=best_key,
                    best_score=best_score,
                    asked_at=self.clock(),
                    status="new",
                )
            )

    def unanswered(self, status: str = "new") -> list[UnansweredQuestion]:
        """The questions the agent could not answer, oldest first (detached rows)."""
        with self.database.session(readonly=True) as session:
            query = select(UnansweredQuestion).where(UnansweredQuestion.status == status)
            return list(session.scalars(query.order_by(UnansweredQuestion.id)))

    def mark_unanswered(self, question_id: int, status: str) -> None:
        """An admin's decision on one: "added" (an entry now covers it) or "dismissed"."""
        if status not in ("new", "added", "dismissed"):
            raise ValueError(f"status {status!r}: new, added or dismissed")
        with self.database.session() as session:
            row = session.get(UnansweredQuestion, question_id)
            if row is None:
                raise ValueError(f"no unanswered question {question_id}")
            row.status = status


def _content(row: KbEntry) -> tuple[Any, ...]:
    tags, alternates = list(row.tags or ()), list(row.alternates or ())
    return (row.category, tags, row.question, alternates, row.answer, row.active)


def _save_in(session: Session, item: Draft, by: str, now: datetime) -> tuple[Entry, bool]:
    """One entry saved inside ``session``: a new version and its copy, or nothing if equal."""
    content = item.content()
    row = session.scalar(
        select(KbEntry).where(KbEntry.key == item.key, KbEntry.language == item.language)
    )
    if row is not None and _content(row) == content:
        return _entry(row), False
    if row is None:
        row = KbEntry(key=item.key, language=item.language, version=0)
        session.add(row)
    row.category, row.tags, row.question, row.alternates, row.answer, row.active = content
    row.version += 1
    row.updated_at, row.updated_by = now, by
    session.flush()
    session.add(
        KbEntryVersion(
            entry_id=row.id,
            version=row.version,
            category=row.category,
            tags=row.tags,
            question=row.question,
            alternates=row.alternates,
            answer=row.answer,
            active=row.active,
            saved_at=now,
            saved_by=by,
        )
    )
    session.flush()
    return _entry(row), True


FIELDS = {"key", "category", "tags", "question", "alternates", "answer", "active"}


def read_file(path: Path, language: str) -> list[Draft]:
    """The entries of one seed file, checked: ``path: entry N (key): problem`` on errors."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping with 'language' and 'entries'")
    if data.get("language", language) != language:
        raise ValueError(f"{path}: says language {data.get('language')!r}, expected {language}")
    items = data.get("entries")
    if not isinstance(items, list):
        raise ValueError(f"{path}: no 'entries' list")
    seen: set[str] = set()
    out = []
    for n, item in enumerate(items, 1):
        where = f"{path}: entry {n} ({item.get('key') if isinstance(item, dict) else '?'})"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: not a mapping")
        unknown = set(item) - FIELDS
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        draft = Draft(
            key=str(item.get("key", "")),
            language=language,
            category=str(item.get("category", "")),
            tags=tuple(str(t) for t in item.get("tags") or []),
            question=str(item.get("question", "")),
            alternates=tuple(str(a) for a in item.get("alternates") or []),
            answer=str(item.get("answer", "")),
            active=bool(item.get("active", True)),
        )
        try:
            check(draft.key, language, draft.category, draft.question, draft.answer)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if draft.key in seen:
            raise ValueError(f"{where}: key used twice")
        seen.add(draft.key)
        out.append(draft)
    return out
