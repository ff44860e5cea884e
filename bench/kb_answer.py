"""Knowledge-base answers: accuracy on held-out questions, and retrieval latency at 5,000 entries.

Loads the sample base (knowledge/{vi,zh,en}.yaml) into a temporary SQLite database and asks
the held-out questions of bench/data/kb_heldout.yaml (callers' paraphrases, never copies of
an entry's wording, plus out-of-scope questions that must not be answered). Prints per
language:

* top-1 accuracy on the in-scope questions (the right entry first, whatever the score);
* at the threshold in force and at a few others: answered right, answered wrong (the entry
  was wrong), not answered, and the false-answer rate on out-of-scope questions;
* latency of one search on a 5,000-entry base per language, p50/p95, with the index build
  time. The extra entries are made by recombining the real ones (the first half of one
  question with the second half of another, and so for alternates) so that the vocabulary
  and the posting lists are as long as in a real base of that size; the held-out questions
  are asked again there, so the accuracy among 5,000 near-duplicates is printed too.

Usage:
    python bench/kb_answer.py [--threshold 0.35] [--entries 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.core.db import Database, migrate  # noqa: E402
from ivr.core.settings import PROJECT_ROOT, Settings  # noqa: E402
from ivr.kb import Entry, KbStore, KnowledgeBase  # noqa: E402
from ivr.kb.retrieval import Index  # noqa: E402

HELD_OUT = PROJECT_ROOT / "bench" / "data" / "kb_heldout.yaml"
THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
HeldOut = dict[str, list[dict[str, str | None]]]


def _rates(
    kb: KnowledgeBase, language: str, items: list[tuple[str, str | None]], threshold: float
) -> dict[str, float]:
    right = wrong = silent = false = 0
    in_scope = [(q, k) for q, k in items if k is not None]
    out_scope = [q for q, k in items if k is None]
    for question, key in in_scope:
        hits = kb.search(question, language, 1)
        if not hits or hits[0].score < threshold:
            silent += 1
        elif hits[0].key == key:
            right += 1
        else:
            wrong += 1
    for question in out_scope:
        hits = kb.search(question, language, 1)
        false += bool(hits) and hits[0].score >= threshold
    n = max(len(in_scope), 1)
    return {
        "right": right / n,
        "wrong": wrong / n,
        "silent": silent / n,
        "false": false / max(len(out_scope), 1),
    }


def accuracy(kb: KnowledgeBase, held_out: HeldOut, chosen: float) -> None:
    print(f"held-out questions: {HELD_OUT.relative_to(PROJECT_ROOT)}; threshold in force {chosen}")
    for language, rows in held_out.items():
        items = [(str(r["q"]), r["key"]) for r in rows]
        in_scope = [(q, k) for q, k in items if k is not None]
        top1 = sum(
            bool(hits := kb.search(q, language, 1)) and hits[0].key == k for q, k in in_scope
        ) / max(len(in_scope), 1)
        at = _rates(kb, language, items, chosen)
        print(
            f"\n{language}: {kb.count(language)} entries, {len(in_scope)} in-scope and "
            f"{len(items) - len(in_scope)} out-of-scope questions"
        )
        print(f"  top-1 accuracy (in scope): {top1:.1%}")
        print(
            f"  at {chosen}: answered right {at['right']:.1%}, wrong {at['wrong']:.1%}, "
            f"not answered {at['silent']:.1%}; out-of-scope answered {at['false']:.1%}"
        )
        print("  threshold  right  wrong  silent  out-of-scope answered")
        for threshold in THRESHOLDS:
            r = _rates(kb, language, items, threshold)
            print(
                f"  {threshold:9.2f}  {r['right']:5.0%}  {r['wrong']:5.0%}  {r['silent']:6.0%}"
                f"  {r['false']:5.0%}"
            )


def _splice(a: str, b: str, language: str) -> str:
    if language == "zh":
        return a[: len(a) // 2] + b[len(b) // 2 :]
    wa, wb = a.split(), b.split()
    return " ".join(wa[: len(wa) // 2] + wb[len(wb) // 2 :])


def synthetic(entries: list[Entry], language: str, total: int, rng: random.Random) -> list[Entry]:
    """The real entries plus recombined ones up to ``total``."""
    real = [e for e in entries if e.language == language and e.active]
    out = list(real)
    while len(out) < total:
        a, b = rng.sample(real, 2)
        alternates = tuple(
            _splice(x, y, language) for x, y in zip(a.alternates, b.alternates, strict=False)
        )
        out.append(
            replace(
                a,
                key=f"synthetic-{len(out)}",
                question=_splice(a.question, b.question, language),
                alternates=alternates,
            )
        )
    return out


def latency(store: KbStore, held_out: HeldOut, total: int, repeat: int) -> None:
    rng = random.Random(2026)
    entries = store.entries(active_only=True)
    print(f"\nlatency: one search among {total} entries per language, {repeat} passes")
    print("  (top-1 there is a worst case: the made-up entries are halves of the real ones)")
    for language, rows in held_out.items():
        started = time.perf_counter()
        index = Index(synthetic(entries, language, total, rng), language)
        built = time.perf_counter() - started
        questions = [(str(r["q"]), r["key"]) for r in rows]
        times = []
        for _ in range(repeat):
            for question, _key in questions:
                t0 = time.perf_counter()
                index.search(question, 3)
                times.append(time.perf_counter() - t0)
        in_scope = [(q, k) for q, k in questions if k is not None]
        top1 = sum(index.search(q, 1)[0].key == k for q, k in in_scope) / max(len(in_scope), 1)
        q = statistics.quantiles(times, n=100)
        print(
            f"  {language}: p50 {q[49] * 1000:.2f} ms, p95 {q[94] * 1000:.2f} ms, "
            f"p99 {q[98] * 1000:.2f} ms; index built in {built:.1f} s; "
            f"top-1 among {len(index.entries)} entries {top1:.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=Settings().kb_threshold)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--knowledge", type=Path, default=PROJECT_ROOT / "knowledge")
    args = parser.parse_args()
    held_out = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'kb.db'}"
        migrate(url)
        database = Database(url)
        store = KbStore(database, lambda: datetime.now(UTC))
        store.load_dir(args.knowledge, by="bench")
        kb = KnowledgeBase(store, args.threshold)
        accuracy(kb, held_out, args.threshold)
        latency(store, held_out, args.entries, args.repeat)
        database.close()


if __name__ == "__main__":
    main()
