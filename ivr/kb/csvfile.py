"""The knowledge base as a CSV file, for admins who edit entries in a spreadsheet.

Columns: key, language, category, tags (";"-separated), question, alternates
("|"-separated, since a question may hold a semicolon), answer, active (1/0, yes/no,
true/false). One row per entry and language. Every row is checked before anything is saved,
and the rows are saved in one transaction: a file with one bad row changes nothing, and the
error names its line (the header is line 1; a quoted answer over several lines counts as
the line it starts on).

Cells that a spreadsheet would run as a formula (text starting with = + - @) are written with a
leading single quote (``ivr.core.spreadsheet``), and that quote is dropped on import, so a file
exported and imported again changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from ivr.core.spreadsheet import safe_cell, unquoted_cell
from ivr.kb.store import Draft, Entry, KbStore, check

COLUMNS = ("key", "language", "category", "tags", "question", "alternates", "answer", "active")
TRUE = {"1", "yes", "true", "y", "x", "có", "是"}
FALSE = {"0", "no", "false", "n", "không", "否"}


class CsvError(ValueError):
    """Problems of an imported file, one per line of ``problems``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def write_csv(entries: Iterable[Entry], file: TextIO) -> int:
    """Write ``entries`` with a header; how many rows."""
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for e in entries:
        cells = [
            e.key,
            e.language,
            e.category,
            ";".join(e.tags),
            e.question,
            "|".join(e.alternates),
            e.answer,
            "1" if e.active else "0",
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
        count += 1
    return count


def read_csv(file: TextIO) -> list[Draft]:
    """The rows of ``file`` as drafts; ``CsvError`` listing every bad line if any is bad."""
    reader = csv.DictReader(file)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise CsvError([f"line 1: {_unreadable(exc)}"]) from None
    missing = [c for c in COLUMNS if c not in header and c != "active"]
    if missing:
        raise CsvError([f"line 1: missing column(s) {', '.join(missing)}"])
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise CsvError([f"line 1: unknown column(s) {', '.join(unknown)}"])
    problems: list[str] = []
    drafts: list[Draft] = []
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # the file cannot be read on: this line is the last problem
            problems.append(f"line {line + 1}: {_unreadable(exc)}")
            break
        try:
            draft = _draft(row)
            where = (draft.key, draft.language)
            if where in seen:
                raise ValueError(f"{draft.key} ({draft.language}) already on line {seen[where]}")
            seen[where] = line + 1
            drafts.append(draft)
        except ValueError as exc:
            problems.append(f"line {line + 1}: {exc}")
        line = reader.line_num
    if problems:
        raise CsvError(problems)
    return drafts


def _unreadable(exc: csv.Error) -> str:
    """The csv module's complaint in an admin's words."""
    if "field larger than field limit" in str(exc):
        return (
            f"a cell is longer than {csv.field_size_limit()} characters "
            '(a quote " opened and never closed?); nothing after it can be read'
        )
    return f"not readable as CSV ({exc}); nothing after it can be read"


def _draft(row: dict[str | None, str | list[str] | None]) -> Draft:
    if None in row:
        raise ValueError("more cells than columns (a comma inside an unquoted cell?)")
    cells = {str(k): unquoted_cell(v.strip()) if isinstance(v, str) else "" for k, v in row.items()}
    active = (cells.get("active") or "1").casefold()  # a blank cell: active
    if active not in TRUE | FALSE:
        raise ValueError(f"active {active!r}: use 1 or 0")
    draft = Draft(
        key=cells["key"],
        language=cells["language"],
        category=cells["category"],
        tags=tuple(t.strip() for t in cells["tags"].split(";") if t.strip()),
        question=cells["question"],
        alternates=tuple(a.strip() for a in cells["alternates"].split("|") if a.strip()),
        answer=cells["answer"],
        active=active in TRUE,
    )
    check(draft.key, draft.language, draft.category, draft.question, draft.answer)
    return draft


def export_csv(store: KbStore, file: TextIO, language: str | None = None) -> int:
    """Every entry of ``store`` (active or not) as CSV; how many rows."""
    return write_csv(store.entries(language=language), file)


def import_csv(store: KbStore, file: TextIO, by: str) -> int:
    """Save the rows of a CSV file, all or none; how many entries changed.

    :class:`CsvError` (a ValueError) lists every bad line; nothing is saved then.
    """
    return sum(changed for _, changed in store.save_all(read_csv(file), by))
