"""Understanding: how many callers' answers the IVR gets right, through the real call path,
clean and on a noisy line, and what the understanding layer costs per turn.

    python bench/understanding.py FOLDER [--noise 12] [--rate 10]

FOLDER holds 8 kHz WAV recordings and ``expected.tsv`` (see ``ivr/evaluation/cases.py``; the
same input as ``ivr evaluate``). Keep the recordings you tune on apart from the ones you
report: this prints what a held-out folder gives. Then it times ``ivr.understanding.choice.pick``
(the text-level part added to every menu turn) on the sample flow's menus, CPU per call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.core.settings import PROJECT_ROOT, Settings  # noqa: E402
from ivr.evaluation.cases import read_cases  # noqa: E402
from ivr.evaluation.report import table  # noqa: E402
from ivr.evaluation.runner import evaluate, local_ivr  # noqa: E402
from ivr.flow.loader import load_flows  # noqa: E402
from ivr.flow.model import MenuNode  # noqa: E402
from ivr.understanding.choice import pick  # noqa: E402

SAID = [
    "balance",
    "I'd like to know my balance please",
    "a question about my health insurance card and what it covers",
    "what will the weather be like tomorrow in the city",
    "press two",
]


def pick_cost(rounds: int = 2000) -> tuple[float, float]:
    """p50 and p95 CPU microseconds of one ``pick`` on the sample flow's menus."""
    flows = load_flows(PROJECT_ROOT / "dialplans", None)
    menus = [n for f in flows for n in f.nodes.values() if isinstance(n, MenuNode)]
    costs = []
    for i in range(rounds):
        menu, said = menus[i % len(menus)], SAID[i % len(SAID)]
        phrases = menu.phrases("en")
        start = time.process_time()
        pick(said, phrases, "en")
        costs.append((time.process_time() - start) * 1e6)
    costs.sort()
    return statistics.median(costs), costs[int(len(costs) * 0.95)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--noise", type=float, action="append", default=[])
    parser.add_argument("--rate", type=float, default=10.0)
    args = parser.parse_args()
    cases = read_cases(args.folder)
    running = local_ivr(Settings.from_env(), args.rate)
    try:
        outcomes = evaluate(running, cases, [None, *args.noise])
    finally:
        running.stop()
    print(table(outcomes))
    p50, p95 = pick_cost()
    print(f"understanding (pick) per menu answer: p50 {p50:.0f} us, p95 {p95:.0f} us CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
