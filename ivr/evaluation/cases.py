"""The rows of ``expected.tsv`` and what a run made of each.

Columns, tab-separated, a header line first::

    file            language  kind      expected        context
    balance-1.wav   en        menu      2               health_hotline:main_menu
    card-4.wav      vi        digits    0123456789
    lost-card.wav   en        question  card-lost
    weather.wav     en        question  none

``kind`` is ``menu`` (``expected`` the option's key; ``context`` the flow and menu node),
``digits`` (the digit string) or ``question`` (a knowledge-base key). ``none`` expects the IVR
to take nothing: the recording belongs to no option, holds no number, asks off topic.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

KINDS = ("menu", "digits", "question")
NONE = "none"


class CaseError(ValueError):
    """``expected.tsv`` is not usable; the message names the line."""


@dataclass(frozen=True)
class Case:
    file: Path
    language: str
    kind: str
    expected: str
    context: str = ""
    line: int = 0


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: str  # what the IVR took ("none" when nothing), "confirm:<key>" for a menu to confirm
    noise: str = "clean"  # "clean" or "<snr> dB"

    @property
    def verdict(self) -> str:
        """right, wrong, confirm, rejected (nothing taken where something was expected) or
        accepted (something taken where nothing was: out of scope)."""
        expected, got = self.case.expected, self.got
        if got.startswith("confirm:"):
            return "confirm"
        if expected == NONE:
            return "right" if got == NONE else "accepted"
        if got == NONE:
            return "rejected"
        return "right" if got == expected else "wrong"


def read_cases(folder: Path) -> list[Case]:
    path = folder / "expected.tsv"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CaseError(f"{path}: cannot read it ({exc.strerror})") from None
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    if not rows or [c.strip() for c in rows[0][:4]] != ["file", "language", "kind", "expected"]:
        raise CaseError(f"{path}:1: the header must be: file language kind expected [context]")
    cases = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row] + [""] * 5
        file, language, kind, expected, context = cells[:5]
        where = f"{path}:{number}"
        if kind not in KINDS:
            raise CaseError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if not (folder / file).is_file():
            raise CaseError(f"{where}: no file {file!r} in {folder}")
        if kind == "menu" and ":" not in context:
            raise CaseError(f"{where}: a menu row names its flow and node: flow:node")
        if not expected:
            raise CaseError(f"{where}: expected is empty (write none for nothing)")
        cases.append(Case(folder / file, language, kind, expected, context, number))
    if not cases:
        raise CaseError(f"{path}: no rows")
    return cases
