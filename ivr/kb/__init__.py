"""The knowledge base the AI voice agent answers from.

``KnowledgeBase`` keeps one in-memory index per language over the active entries of the
store. ``best`` answers only above the confidence threshold: below it the agent says it does
not know, rather than guess. Many calls search at once; a rebuild makes new indexes and swaps
them in whole (one reference assignment), so a search never sees half an index and never
waits for a rebuild. ``reload_if_changed`` is cheap (one live-state read) and rebuilds when
any worker saved an entry since, or this process did (its store counts its own saves, which
also covers a deployment without shared state).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ivr.core.languages import LANGUAGES
from ivr.kb.retrieval import Hit, Index
from ivr.kb.store import VERSION_KEY, Draft, Entry, KbStore

__all__ = ["Draft", "Entry", "Hit", "KbStore", "KnowledgeBase"]

log = logging.getLogger(__name__)


class KnowledgeBase:
    def __init__(self, store: KbStore, threshold: float, state: Any = None) -> None:
        self.store = store
        self.threshold = threshold
        self.state = state
        self._lock = threading.Lock()  # one rebuild at a time; searches never take it
        self._indexes: dict[str, Index] = {}
        self._seen: tuple[str | None, int] = ("?", -1)
        self.reload_if_changed()

    def _version(self) -> tuple[str | None, int]:
        shared = self.state.get(VERSION_KEY) if self.state is not None else None
        return shared, self.store.changes

    def reload_if_changed(self) -> bool:
        """Rebuild the indexes if the base changed since the last build; whether it did.

        If live state cannot be read (Redis down), the current index keeps serving: a slightly
        old answer is better than none, and the next call checks again.
        """
        try:
            version = self._version()
        except Exception as exc:
            if self._indexes:
                log.warning("knowledge base: version not readable, index kept: %s", exc)
                return False
            log.warning("knowledge base: version not readable (%s): indexing anyway", exc)
            version = (None, self.store.changes)  # no index yet: build one, check again later
        if version == self._seen:
            return False
        # one call rebuilds; the others do not queue behind it (a base of thousands takes
        # seconds): they answer from the current index meanwhile
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if version == self._seen:
                return False
            # the version is read before the entries: a save in between only causes one more
            # rebuild later, never a missed one
            entries = self.store.entries(active_only=True)
            self._indexes = {lang: Index(entries, lang) for lang in LANGUAGES}
            self._seen = version
        finally:
            self._lock.release()
        log.info("knowledge base: %d active entries indexed", len(entries))
        return True

    def search(self, text: str, language: str, limit: int = 3) -> list[Hit]:
        """The nearest entries, best first, whatever their score (for admins and logging)."""
        index = self._indexes.get(language)
        return index.search(text, limit) if index is not None else []

    def best(self, text: str, language: str) -> Hit | None:
        """The entry that answers ``text``; None when no entry is close enough to answer."""
        hits = self.search(text, language, limit=1)
        if hits and hits[0].score >= self.threshold:
            return hits[0]
        return None

    def count(self, language: str) -> int:
        index = self._indexes.get(language)
        return len(index.entries) if index is not None else 0
