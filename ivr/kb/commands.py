"""``ivr kb load|search|export|import|history|rollback``: the knowledge base for admins.

Every change goes through ``KbStore`` with the configured live state, so running workers see
``kb:version`` move and rebuild their index before their next answer. Bad input (an unknown
language, a file with bad rows, a version that does not exist) exits 1 with the reason on
stderr; nothing is half-saved.
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
from ivr.kb import KbStore, KnowledgeBase
from ivr.kb.csvfile import CsvError, export_csv, import_csv


def command(args: argparse.Namespace, settings: Settings) -> int:
    actions = {
        "load": load,
        "search": search,
        "export": export,
        "import": import_,
        "history": history,
        "rollback": rollback,
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
    kb = KnowledgeBase(_store(settings), settings.kb_threshold)
    hits = kb.search(args.text, args.language, args.limit)
    if not hits:
        print(f"no entry in {args.language} shares a word with that question")
    for hit in hits:
        mark = "" if hit.score >= kb.threshold else "  (below threshold: not answered)"
        print(f"{hit.score:.3f}  {hit.key}  {hit.question}{mark}")
    return 0


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
