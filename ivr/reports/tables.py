"""A report table: a name (its CSV address), a title, columns and rows of plain values.

The page and the CSV export show the same rows; columns of kind "duration" hold seconds,
written as h:mm:ss on the page and as seconds in the CSV. Text cells of the CSV that a
spreadsheet would run as a formula (a caller's question "=HYPERLINK(...)") are neutralised.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from ivr.core.spreadsheet import safe_cell


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    kinds: dict[int, str] = field(default_factory=dict)  # column index -> "duration", "share"
    note: str = ""

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([safe_cell(column) for column in self.columns])
        for row in self.rows:
            writer.writerow(["" if value is None else safe_cell(value) for value in row])
        return out.getvalue()

    def cell(self, index: int, value: Any) -> str:
        """A value as the page shows it."""
        if value is None:
            return ""
        kind = self.kinds.get(index)
        if kind == "duration":
            return clock_duration(float(value))
        if kind == "share":
            return f"{value} %"
        return str(value)


def clock_duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def ratio(part: float, whole: float, digits: int = 1) -> float | None:
    """``part`` / ``whole`` in percent, None when there is nothing to divide."""
    return round(100 * part / whole, digits) if whole else None


def mean(total: float | None, count: float | None, digits: int = 1) -> float | None:
    return round(float(total or 0) / count, digits) if count else None
