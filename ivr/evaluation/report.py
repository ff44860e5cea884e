"""The figures of a run: per language, kind and noise, how each verdict counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ivr.evaluation.cases import Outcome

VERDICTS = ("right", "wrong", "confirm", "rejected", "accepted")


def table(outcomes: Iterable[Outcome]) -> str:
    groups: dict[tuple[str, str, str], Counter[str]] = {}
    for outcome in outcomes:
        key = (outcome.case.language, outcome.case.kind, outcome.noise)
        groups.setdefault(key, Counter())[outcome.verdict] += 1
    header = f"{'language':<9}{'kind':<10}{'line':<8}{'n':>5}" + "".join(
        f"{v:>14}" for v in VERDICTS
    )
    lines = [header]
    for (language, kind, noise), counts in sorted(groups.items()):
        total = sum(counts.values())
        cells = "".join(f"{counts[v]:>5} ({100 * counts[v] / total:5.1f}%)" for v in VERDICTS)
        lines.append(f"{language:<9}{kind:<10}{noise:<8}{total:>5}{cells}")
    return "\n".join(lines)
