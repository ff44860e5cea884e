"""Drafts, publishing and history of the flow files (``dialplans/*.yaml``).

An admin's edit is first a draft (table ``flow_drafts``), saved whatever its state so no work
is lost, and checked on every save exactly as the engine checks the folder: the draft is read
together with the other published files, so a number or flow id claimed twice is found too.
Publishing refuses an invalid draft; a valid one is written over ``dialplans/<file>`` at once
(a temporary file in the same folder, then ``os.replace``: a call never reads half a file) and
becomes the next version (table ``flow_versions``). The flow store re-reads the folder when a
file changes, so the next call follows it.

The files stay the truth: a file with no version yet becomes version 1 "by files" the first time
it is looked at, and a file edited on disk by hand becomes a new version "by files" the same way,
so history shows it and a draft begun before it is flagged as out of date.

Publishing never drops a comment line nobody deleted (belt and braces: the forms keep comments,
``ivr.flow.roundtrip``). The draft remembers the comment lines the admin deleted: a text the
admin typed (the raw editor) deleted those the working text had and it has not; a form edit
deleted only those it removed together with what it deleted (the notes inside a deleted node).
At publish, the comment lines of the version the draft was begun from (the published file,
unless the admin chose to replace a newer one) that the draft lacks and the admin did not delete
are named, and nothing is published.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ivr.core.db import Database
from ivr.core.digits import whole_number
from ivr.core.models import FlowDraft, FlowVersion
from ivr.flow import comments
from ivr.flow.loader import FlowError, load_flows
from ivr.flow.yaml_reader import Problem

FILE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,100}\.yaml")
BY_FILES = "files"


class DraftError(Exception):
    """A draft cannot be published (or a file name is wrong); ``problems`` says where."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class NoSuchFile(DraftError):
    pass


@dataclass(frozen=True)
class Version:
    file: str
    version: int
    text: str
    by: str
    at: datetime
    note: str


@dataclass(frozen=True)
class Draft:
    file: str
    text: str
    base_version: int
    by: str
    at: datetime
    removed_comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileState:
    """One flow file as the list page shows it."""

    file: str
    version: int
    draft: Draft | None
    problems: int  # of the draft (0 without one)
    conflict: str


class FlowDrafts:
    def __init__(
        self,
        database: Database,
        directory: Path,
        known_scripts: Collection[str] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.directory = Path(directory)
        self.known_scripts = known_scripts
        self.clock = clock

    # -- reading ------------------------------------------------------------------------------
    def files(self) -> list[FileState]:
        names = sorted(p.name for p in self.directory.glob("*.yaml"))
        with self.database.session(readonly=True) as session:
            drafted = {d.file for d in session.scalars(select(FlowDraft))}
        states = []
        for name in sorted(set(names) | drafted):
            draft = self.draft(name)
            problems = len(self.problems(name, draft.text)) if draft else 0
            version = self.published(name).version if name in names else 0
            states.append(FileState(name, version, draft, problems, self.conflict(name)))
        return states

    def published(self, file: str) -> Version:
        """The version in force: the file on disk, recorded as a version "by files" if the
        history does not have this text yet."""
        self._check_name(file)
        path = self.directory / file
        if not path.is_file():
            raise NoSuchFile(f"There is no flow file {file}.")
        text = path.read_text(encoding="utf-8-sig")
        with self.database.session() as session:
            latest = self._latest(session, file)
            if latest is not None and latest.text == text:
                return _version(latest)
            note = "as found on disk" if latest is None else "edited on disk, outside the admin web"
            return _version(self._add_version(session, file, text, BY_FILES, note))

    def draft(self, file: str) -> Draft | None:
        self._check_name(file)
        with self.database.session(readonly=True) as session:
            row = session.scalar(select(FlowDraft).where(FlowDraft.file == file))
            return None if row is None else _draft(row)

    def working_text(self, file: str) -> str:
        """The draft if there is one, else the published text."""
        draft = self.draft(file)
        return draft.text if draft else self.published(file).text

    def conflict(self, file: str) -> str:
        """Why the draft is out of date ("" when it is not): the published file changed
        (by hand or by another publish) since the draft was begun."""
        draft = self.draft(file)
        if draft is None or not (self.directory / file).is_file():
            return ""
        current = self.published(file)
        if current.version == draft.base_version:
            return ""
        return (
            f"The published file changed since this draft was begun from version "
            f"{draft.base_version}: version {current.version} by {current.by} "
            f"({current.note or 'published'}). Compare them before publishing, or the draft "
            f"replaces that change."
        )

    def problems(self, file: str, text: str | None = None) -> list[Problem]:
        """Every problem of ``text`` (default: the working text) read with the other published
        files, as the engine would read the folder; file names are the bare names."""
        self._check_name(file)
        text = self.working_text(file) if text is None else text
        with tempfile.TemporaryDirectory(prefix="flow-check-") as tmp:
            folder = Path(tmp)
            for other in self.directory.glob("*.yaml"):
                if other.name != file:
                    (folder / other.name).write_bytes(other.read_bytes())
            (folder / file).write_text(text, encoding="utf-8")
            try:
                load_flows(folder, self.known_scripts)
            except FlowError as exc:
                return [Problem(Path(p.file).name, p.line, p.path, p.message) for p in exc.problems]
        return []

    def history(self, file: str) -> list[Version]:
        """Newest first."""
        if (self.directory / file).is_file():
            self.published(file)  # records a hand edit first
        else:
            self._check_name(file)
        with self.database.session(readonly=True) as session:
            query = (
                select(FlowVersion)
                .where(FlowVersion.file == file)
                .order_by(FlowVersion.version.desc())
            )
            return [_version(v) for v in session.scalars(query)]

    def text_of(self, file: str, which: str) -> str:
        """``which``: a version number, "draft" or "published"."""
        if which == "draft":
            draft = self.draft(file)
            if draft is None:
                raise DraftError(f"{file} has no draft.")
            return draft.text
        if which == "published":
            return self.published(file).text
        number = whole_number(which)  # ASCII digits: "²" passes isdigit() and fails int()
        if number is None:
            raise DraftError(f"'{which}' is not a version: a number, draft or published.")
        for version in self.history(file):
            if version.version == number:
                return version.text
        raise DraftError(f"{file} has no version {which}.")

    def diff(self, file: str, a: str, b: str) -> str:
        """A unified diff from ``a`` to ``b`` (version numbers, "draft" or "published")."""
        old, new = self.text_of(file, a), self.text_of(file, b)
        label = {"draft": "draft", "published": "published"}
        lines = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"{file} ({label.get(a, 'version ' + a)})",
            f"{file} ({label.get(b, 'version ' + b)})",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)

    # -- changing -----------------------------------------------------------------------------
    def save_draft(
        self, file: str, text: str, by: str, edited_from: str | None = None
    ) -> list[Problem]:
        """Store the draft whatever it holds (work is never lost); return its problems.
        ``edited_from``: the text a form edit changed into ``text`` (None: the admin typed it)."""
        base = self.published(file).version
        if edited_from is None:
            removed = comments.lost(self.working_text(file), text)
        else:
            removed = comments.removed_with_content(edited_from, text)
        with self.database.session() as session:
            row = session.scalar(select(FlowDraft).where(FlowDraft.file == file))
            if row is None:
                row = FlowDraft(file=file, base_version=base)
                session.add(row)
            row.text, row.saved_by, row.saved_at = text, by, self.clock()
            if removed:
                row.removed_comments = [*(row.removed_comments or []), *(c.text for c in removed)]
        return self.problems(file, text)

    def discard(self, file: str) -> bool:
        self._check_name(file)
        with self.database.session() as session:
            done = session.execute(delete(FlowDraft).where(FlowDraft.file == file))
            return bool(getattr(done, "rowcount", 0))

    def publish(self, file: str, by: str, note: str = "") -> Version:
        """Put the draft in force: written to disk, a new version; the draft is gone."""
        draft = self.draft(file)
        if draft is None:
            raise DraftError(f"{file} has no draft to publish: save a change first.")
        self._check_comments(draft)
        return self._put_in_force(file, draft.text, by, note)

    def _check_comments(self, draft: Draft) -> None:
        """Refuse a draft that lacks comment lines of the version it was begun from that the
        admin did not delete (see the module docstring)."""
        if draft.base_version == 0:
            return
        base = self.text_of(draft.file, str(draft.base_version))
        lost = comments.subtract(comments.lost(base, draft.text), list(draft.removed_comments))
        if lost:
            named = "; ".join(f"line {c.line + 1}: {c.text}" for c in lost[:5])
            more = f" (and {len(lost) - 5} more)" if len(lost) > 5 else ""
            raise DraftError(
                f"{draft.file} was not published: the draft lost {len(lost)} comment line(s) "
                f"nobody deleted: {named}{more}. Put them back with the text editor and save "
                "(a comment deleted in the text editor is the admin's choice: it does not stop "
                "a publish)."
            )

    def rollback(self, file: str, version: int, by: str) -> Version:
        """Publish an old version's text again, as a new version (checked like any publish:
        another file may have taken its number since). A draft is kept."""
        text = self.text_of(file, str(version))
        return self._put_in_force(file, text, by, f"rollback to v{version}", keep_draft=True)

    def _put_in_force(
        self, file: str, text: str, by: str, note: str, keep_draft: bool = False
    ) -> Version:
        problems = self.problems(file, text)
        if problems:
            raise DraftError(
                f"{file} has {len(problems)} problem(s) and was not published.", problems
            )
        if (self.directory / file).is_file():
            self.published(file)  # a hand edit made meanwhile is in the history before ours
        _write_atomically(self.directory / file, text)
        with self.database.session() as session:
            version = self._add_version(session, file, text, by, note[:300])
            if not keep_draft:
                session.execute(delete(FlowDraft).where(FlowDraft.file == file))
            return _version(version)

    def create(self, file: str, text: str, by: str) -> list[Problem]:
        """A new flow file, begun as a draft only (nothing on disk until it is published)."""
        self._check_name(file)
        if (self.directory / file).exists() or self.draft(file) is not None:
            raise DraftError(f"{file} already exists.")
        with self.database.session() as session:
            session.add(
                FlowDraft(file=file, text=text, base_version=0, saved_by=by, saved_at=self.clock())
            )
        return self.problems(file, text)

    # -- helpers ------------------------------------------------------------------------------
    def _check_name(self, file: str) -> None:
        if not FILE_NAME.fullmatch(file):
            raise NoSuchFile(
                f"'{file}' is not a flow file name: lower-case letters, digits, _ and -, "
                "ending in .yaml."
            )

    def _latest(self, session: Session, file: str) -> FlowVersion | None:
        query = (
            select(FlowVersion)
            .where(FlowVersion.file == file)
            .order_by(FlowVersion.version.desc())
            .limit(1)
        )
        return session.scalar(query)

    def _add_version(
        self, session: Session, file: str, text: str, by: str, note: str
    ) -> FlowVersion:
        number = session.scalar(
            select(func.max(FlowVersion.version)).where(FlowVersion.file == file)
        )
        version = FlowVersion(
            file=file,
            version=(number or 0) + 1,
            text=text,
            published_by=by,
            published_at=self.clock(),
            note=note,
        )
        session.add(version)
        session.flush()
        return version


def _write_atomically(path: Path, text: str) -> None:
    """A temporary file beside it (not ``*.yaml``: the flow store never reads it), then
    ``os.replace``: a reader sees the old file or the new one, never half of one."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _version(row: FlowVersion) -> Version:
    return Version(
        row.file, row.version, row.text, row.published_by, row.published_at, row.note or ""
    )


def _draft(row: FlowDraft) -> Draft:
    removed = tuple(row.removed_comments or ())
    return Draft(row.file, row.text, row.base_version, row.saved_by, row.saved_at, removed)
