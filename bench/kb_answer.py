"""Knowledge-base answers: accuracy on held-out questions, and retrieval latency at 5,000 entries.

Loads the sample base (knowledge/{vi,zh,en}.yaml) into a temporary SQLite database and asks
the held-out questions of bench/data/kb_heldout.yaml (callers' paraphrases, never copies of
an entry's wording, plus out-of-scope questions that must not be answered). Prints per
language, for the lexical scorer alone:

* top-1 accuracy on the in-scope questions (the right entry first, whatever the score);
* at the threshold in force and at a few others: answered right, answered wrong (the entry
  was wrong), not answered, and the false-answer rate on out-of-scope questions;
* latency of one search on a 5,000-entry base per language, p50/p95, with the index build
  time. The extra entries are made by recombining the real ones (the first half of one
  question with the second half of another, and so for alternates) so that the vocabulary
  and the posting lists are as long as in a real base of that size; the held-out questions
  are asked again there, so the accuracy among 5,000 near-duplicates is printed too.

Then the hybrid retrieval (``KnowledgeBase.decide``: lexical + sentence embeddings, answer /
clarify / refuse) against the lexical scorer at the threshold in force, on the test half of
bench/data/kb_paraphrases/ (frozen; split by topic, see its README) and on kb_heldout.yaml:
top-1, answered right / wrong, clarified on the right / a wrong entry, refused, off-topic
questions answered / clarified, and the CPU time of one decision (p50/p95, this process, one
thread). A clarification on a wrong entry is counted apart: the caller says no and hears no
wrong answer. The entries' vectors come from the shipped knowledge/embeddings/.

Usage:
    python bench/kb_answer.py [--threshold 0.35] [--entries 5000] [--repeat 5]
                              [--split test|tune|all] [--skip lexical,hybrid,latency]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
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
from ivr.kb import EmbeddingCache, Entry, KbStore, KnowledgeBase  # noqa: E402
from ivr.kb.retrieval import Index  # noqa: E402

HELD_OUT = PROJECT_ROOT / "bench" / "data" / "kb_heldout.yaml"
PARAPHRASES = PROJECT_ROOT / "bench" / "data" / "kb_paraphrases"
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


Case = tuple[str, tuple[str, ...] | None]  # a question and the keys that answer it (None: off)


def paraphrases(language: str, split: str) -> list[Case]:
    """bench/data/kb_paraphrases/<language>.tsv, one half: a topic (an in-scope question's
    first key; an off-topic question's text) is "tune" when its md5 is even, else "test"."""
    out: list[Case] = []
    with open(PARAPHRASES / f"{language}.tsv", encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t"):
            keys = None if row["key"] == "-" else tuple(row["key"].split("|"))
            topic = keys[0] if keys else row["question"]
            half = "tune" if int(hashlib.md5(topic.encode()).hexdigest(), 16) % 2 == 0 else "test"
            if split in ("all", half):
                out.append((row["question"], keys))
    return out


def outcomes(kb: KnowledgeBase, language: str, cases: list[Case]) -> dict[str, float]:
    """Rates of in-scope questions (top1 ... refused) and of off-topic ones (off_*); CPU ms."""
    count: dict[str, float] = dict.fromkeys(
        ("top1", "right", "wrong", "clarify_ok", "clarify_bad", "refused", "off_ans", "off_clar"),
        0,
    )
    times = []
    for question, keys in cases:
        started = time.process_time()
        decision = kb.decide(question, language)
        times.append(time.process_time() - started)
        top = decision.hit.key if decision.hit is not None else None
        if keys is None:
            count["off_ans"] += decision.action == "answer"
            count["off_clar"] += decision.action == "clarify"
            continue
        ok = top in keys
        count["top1"] += ok
        if decision.action == "answer":
            count["right" if ok else "wrong"] += 1
        elif decision.action == "clarify":
            count["clarify_ok" if ok else "clarify_bad"] += 1
        else:
            count["refused"] += 1
    n_in = sum(k is not None for _, k in cases)
    n_off = len(cases) - n_in
    rates = {k: v / max(n_off if k.startswith("off") else n_in, 1) for k, v in count.items()}
    q = statistics.quantiles(times, n=20)
    return {**rates, "n_in": n_in, "n_off": n_off, "p50": statistics.median(times) * 1000,
            "p95": q[18] * 1000}  # fmt: skip


def hybrid_table(lexical: KnowledgeBase, hybrid: KnowledgeBase, split: str, held: HeldOut) -> None:
    print(
        f"\nhybrid (KnowledgeBase.decide) against the lexical scorer at {lexical.threshold}"
        f" alone; dense index for {', '.join(hybrid.dense_languages()) or 'no language'}"
    )
    print(
        "  lang set          in off | method  top-1  right  wrong  clar ok/bad  refused |"
        " off ans/clar | CPU ms p50 p95"
    )
    pct = "{:5.1f}".format
    for language in ("vi", "zh", "en"):
        rows = held[language]
        sets = {
            f"paraphr.{split}": paraphrases(language, split),
            "heldout": [(str(r["q"]), (str(r["key"]),) if r["key"] else None) for r in rows],
        }
        for name, cases in sets.items():
            for method, kb in (("lexical", lexical), ("hybrid", hybrid)):
                r = outcomes(kb, language, cases)
                print(
                    f"  {language:4s} {name:13s} {r['n_in']:3.0f} {r['n_off']:3.0f} | {method:7s}"
                    f" {pct(100 * r['top1'])}  {pct(100 * r['right'])}  {pct(100 * r['wrong'])}"
                    f"  {pct(100 * r['clarify_ok'])}/{pct(100 * r['clarify_bad'])}"
                    f"  {pct(100 * r['refused'])} | {pct(100 * r['off_ans'])}/"
                    f"{pct(100 * r['off_clar'])} | {r['p50']:5.1f} {r['p95']:5.1f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=Settings().kb_threshold)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--knowledge", type=Path, default=PROJECT_ROOT / "knowledge")
    parser.add_argument("--split", choices=("test", "tune", "all"), default="test")
    parser.add_argument("--skip", default="", help="comma-separated: lexical,hybrid,latency")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    held_out = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'kb.db'}"
        migrate(url)
        database = Database(url)
        store = KbStore(database, lambda: datetime.now(UTC))
        store.load_dir(args.knowledge, by="bench")
        kb = KnowledgeBase(store, args.threshold)
        if "lexical" not in skip:
            accuracy(kb, held_out, args.threshold)
        if "hybrid" not in skip:
            cache = EmbeddingCache(Path(folder) / "embeddings", args.knowledge / "embeddings")
            started = time.perf_counter()
            hybrid = KnowledgeBase(store, args.threshold, embeddings=cache)
            hybrid.wait_ready()
            print(
                f"\nhybrid index ready in {time.perf_counter() - started:.1f} s"
                f" ({cache.embedded} texts embedded, the others from the shipped vectors)"
            )
            hybrid_table(kb, hybrid, args.split, held_out)
        if "latency" not in skip:
            latency(store, held_out, args.entries, args.repeat)
        database.close()


if __name__ == "__main__":
    main()
