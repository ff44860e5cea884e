"""``ivr kb load|search|export|import|history|rollback|embed``: the knowledge base for admins.

Every change goes through ``KbStore`` with the configured live state, so running workers see
``kb:version`` move and rebuild their index before their next answer. Bad input (an unknown
language, a file with bad rows, a version that does not exist) exits 1 with the reason on
stderr; nothing is half-saved.

``ivr kb embed`` writes the vectors shipped for the seed files' texts
(``knowledge/embeddings/``), so that a fresh IVR has its dense index in a second; ``--check``
only says whether they cover every text (the tests run it).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ivr.core.db import Database, migrate
from ivr.core.languages import LANGUAGES
from ivr.core.live_state import make_state
from ivr.core.settings import Settings
from ivr.kb import Decision, EmbeddingCache, Entry, KbStore, KnowledgeBase, dense
from ivr.kb.csvfile import CsvError, export_csv, import_csv
from ivr.kb.embeddings import cache_of, key, read, write
from ivr.kb.hybrid import TUNING, texts_of
from ivr.kb.store import read_file

SEED = "embeddings"  # the shipped vectors: <knowledge folder>/embeddings/<encoder>.npz
REGENERATE = "ivr kb embed"


def command(args: argparse.Namespace, settings: Settings) -> int:
    actions = {
        "load": load,
        "search": search,
        "export": export,
        "import": import_,
        "history": history,
        "rollback": rollback,
        "embed": embed,
    }
    language = getattr(args, "language", None)
    if language is not None and language not in LANGUAGES:
        return _fail(f"language {language!r}: one of {', '.join(LANGUAGES)}")
    try:
        return actions[args.kb_action](args, settings)
    except CsvError as exc:
        for problem in exc.problems:
            print(f"ivr kb: {problem}", file=sys.stderr)
        return _fail(f"{len(exc.problems)} problem(s); nothing imported")
    except (ValueError, OSError) as exc:
        return _fail(str(exc))


def _fail(message: str) -> int:
    print(f"ivr kb: {message}", file=sys.stderr)
    return 1


def _store(settings: Settings) -> KbStore:
    migrate(settings.db_url)
    return KbStore(Database(settings.db_url), settings.clock(), make_state(settings))


def _who(args: argparse.Namespace) -> str:
    return str(getattr(args, "by", None) or f"cli:{getpass.getuser()}")


def load(args: argparse.Namespace, settings: Settings) -> int:
    folder = Path(args.directory or settings.knowledge_dir)
    if not folder.is_dir():
        return _fail(f"{folder}: no such folder")
    store = _store(settings)
    changed = store.load_dir(folder, by=_who(args))
    print(f"{changed} entries new or changed from {folder}; {len(store.entries())} in the base")
    return 0


def search(args: argparse.Namespace, settings: Settings) -> int:
    if not args.text.strip():
        return _fail("nothing to search for")
    if args.limit < 1:
        return _fail("--limit must be 1 or more")
    kb = KnowledgeBase(_store(settings), settings.kb_threshold, None, cache_of(settings))
    kb.wait_ready()  # the dense index too (embedding the texts the shipped vectors lack)
    decision = kb.decide(args.text, args.language, args.limit)
    if not decision.hits:
        print(f"no entry in {args.language} shares a word with that question")
        return 0
    for hit in decision.hits:
        print(f"{hit.score:.3f}  {hit.key}  {hit.question}")
    print(explain(decision, args.language, kb.threshold))
    return 0


def explain(decision: Decision, language: str, threshold: float) -> str:
    """What the agent does with the question, and the scores and limits that decided it."""
    hit = decision.hit
    key = hit.key if hit is not None else "-"
    if decision.dense is None:
        limits = f"lexical score alone: answers at {threshold:.2f}"
        scores = f"lexical {decision.lexical:.2f}"
    else:
        t = TUNING[language]
        limits = f"answers at {t.answer:.2f} with a margin of {t.margin:.2f}"
        limits += f", asks at {t.clarify:.2f}" if t.clarify < t.answer else ""
        scores = (
            f"fused {decision.score:.2f}, margin {decision.margin:.2f}, lexical "
            f"{decision.lexical:.2f}, dense {decision.dense:+.2f}"
        )
    action = {
        "answer": f"answers with {key}",
        "clarify": f"asks whether the caller means {key}",
        "refuse": "is not sure: does not answer",
    }[decision.action]
    return f"the agent {action} ({scores}; {limits})"


def export(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    if args.file == "-":
        export_csv(store, sys.stdout, args.language)
        return 0
    with open(args.file, "w", encoding="utf-8", newline="") as file:
        count = export_csv(store, file, args.language)
    print(f"{count} entries written to {args.file}")
    return 0


def import_(args: argparse.Namespace, settings: Settings) -> int:
    with open(args.file, encoding="utf-8-sig", newline="") as file:  # -sig: Excel's BOM
        changed = import_csv(_store(settings), file, by=_who(args))
    print(f"{changed} entries new or changed from {args.file}")
    return 0


def history(args: argparse.Namespace, settings: Settings) -> int:
    versions = _store(settings).history(args.key, args.language)
    if not versions:
        return _fail(f"no entry {args.key} ({args.language})")
    for v in versions:
        when = f"{v.saved_at:%Y-%m-%d %H:%M}" if v.saved_at else "?"
        state = "" if v.active else " [inactive]"
        print(f"v{v.version}  {when}  {v.saved_by}{state}  {v.question}  ->  {v.answer}")
    return 0


def rollback(args: argparse.Namespace, settings: Settings) -> int:
    entry = _store(settings).rollback(args.key, args.language, args.version, by=_who(args))
    print(f"{entry.key} ({entry.language}): version {entry.version}, as version {args.version}")
    return 0


def seed_texts(folder: Path) -> dict[str, list[str]]:
    """Per encoder, the texts of ``folder``'s seed files that it embeds (as the store will
    hold them: trimmed; inactive entries are not indexed)."""
    out: dict[str, list[str]] = {}
    for language in LANGUAGES:
        path = folder / f"{language}.yaml"
        if not path.exists():
            continue
        entries = []
        for draft in read_file(path, language):
            category, tags, question, alternates, answer, active = draft.content()
            entries.append(
                Entry(draft.key, language, category, tuple(tags), question, tuple(alternates),
                      answer, active, 0)
            )  # fmt: skip
        for name, texts in texts_of(entries, language).items():
            out.setdefault(name, []).extend(texts)
    return {name: list(dict.fromkeys(texts)) for name, texts in out.items()}


def missing_from_seed(folder: Path) -> dict[str, int]:
    """Per encoder, how many texts of the seed files the shipped vectors lack (all of them
    when the encoder's package is not installed: its vectors' keys cannot be known)."""
    missing = {}
    for name, texts in seed_texts(folder).items():
        identity = dense.identity(name)
        known = read(folder / SEED / f"{name}.npz", identity) if identity else {}
        missing[name] = sum(key(identity or "", t) not in known for t in texts)
    return missing


def embed(args: argparse.Namespace, settings: Settings) -> int:
    folder = Path(args.directory or settings.knowledge_dir)
    if not folder.is_dir():
        return _fail(f"{folder}: no such folder")
    if args.check:
        missing = missing_from_seed(folder)
        for name, count in missing.items():
            print(f"{name}: {count} texts without a shipped vector" if count else f"{name}: ok")
        if any(missing.values()):
            return _fail(f"the vectors in {folder / SEED} are stale: run `{REGENERATE}`")
        return 0
    wanted = seed_texts(folder)
    encoders = dense.load(wanted)
    if set(encoders) != set(wanted):
        return _fail(f"needs {', '.join(sorted(set(wanted) - set(encoders)))}: see the log")
    cache = EmbeddingCache(None, folder / SEED)  # reuses the vectors of unchanged texts
    for name, texts in wanted.items():
        encoder = encoders[name]
        vectors = cache.vectors(encoder, texts)
        assert vectors is not None
        path = folder / SEED / f"{name}.npz"
        rows = {key(encoder.identity, t): v for t, v in zip(texts, vectors, strict=True)}
        write(path, encoder.identity, rows)
        print(f"{path}: {len(texts)} texts, {path.stat().st_size / 1e6:.1f} MB")
    print(f"{cache.embedded} texts embedded now; the others were there already")
    return 0
