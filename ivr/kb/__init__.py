"""The knowledge base the AI voice agent answers from.

``KnowledgeBase`` keeps one in-memory index per language over the active entries of the
store. ``decide`` says what the agent does with a question: answer it, ask one clarifying
question about the nearest entry, or say it is not sure (``ivr.kb.hybrid``); ``best`` is the
entry to answer or None. Many calls search at once; a rebuild makes new indexes and swaps
them in whole (one reference assignment), so a search never sees half an index and never
waits for a rebuild. ``reload_if_changed`` is cheap (one live-state read) and rebuilds when
any worker saved an entry since, or this process did (its store counts its own saves, which
also covers a deployment without shared state).

The lexical index is built at once (well under a second for the sample base). The dense
part (sentence embeddings) is built in a background thread, from the cached vectors where
they exist (``ivr.kb.embeddings``); until it is ready for a language, and for good where
its encoders are not installed, that language is decided by the lexical score alone against
``threshold`` (``IVR_KB_THRESHOLD``), as before the hybrid. Calls never wait for it. A
language whose entries did not change keeps its hybrid index through a rebuild.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from ivr.core.languages import LANGUAGES
from ivr.kb import dense
from ivr.kb.embeddings import EmbeddingCache
from ivr.kb.hybrid import (
    TUNING,
    Decision,
    DenseIndex,
    HybridIndex,
    encoders_of,
    lexical_decision,
    texts_of,
)
from ivr.kb.retrieval import Hit, Index
from ivr.kb.store import VERSION_KEY, Draft, Entry, KbStore

__all__ = ["Decision", "Draft", "EmbeddingCache", "Entry", "Hit", "KbStore", "KnowledgeBase"]

log = logging.getLogger(__name__)


class KnowledgeBase:
    def __init__(
        self,
        store: KbStore,
        threshold: float,
        state: Any = None,
        embeddings: EmbeddingCache | None = None,
    ) -> None:
        """``threshold``: the lexical scorer's, where it decides alone; ``embeddings``: the
        vectors' cache (None: no dense index, the lexical scorer decides every language)."""
        self.store = store
        self.threshold = threshold
        self.state = state
        self.embeddings = embeddings
        self._lock = threading.Lock()  # one rebuild at a time; searches never take it
        self._swap = threading.Lock()  # the indexes in force and the dense build's job: held
        # only to swap them (never while building)
        self._indexes: dict[str, Index] = {}
        self._hybrid: Mapping[str, HybridIndex] = {}
        self._seen: tuple[str | None, int] = ("?", -1)
        self._generation = 0  # moves with every lexical build; a dense build of an older one
        # is dropped
        self._job: tuple[int, dict[str, Index]] | None = None
        self._builder: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
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
            indexes = {lang: Index(entries, lang) for lang in LANGUAGES}
            with self._swap:
                # a language whose entries changed answers from the lexical index until its
                # new dense index is ready (the old one would speak the old answers)
                self._hybrid = {
                    lang: hybrid
                    for lang, hybrid in self._hybrid.items()
                    if hybrid.entries == indexes[lang].entries
                }
                self._indexes = indexes
                self._seen = version
                self._generation += 1
                if self.embeddings is not None:
                    self._build_later(self._generation, indexes)
        finally:
            self._lock.release()
        log.info("knowledge base: %d active entries indexed", len(entries))
        return True

    def decide(self, text: str, language: str, limit: int = 3) -> Decision:
        """Answer, clarify or refuse ``text``, with the scores that decided it (and the
        ``limit`` nearest entries)."""
        hybrid = self._hybrid.get(language)
        if hybrid is not None:
            try:
                return hybrid.decide(text, limit)
            except Exception as exc:  # an encoder failing mid-call: the lexical scorer decides
                log.error("knowledge base: dense scoring failed (%s): lexical score used", exc)
        return lexical_decision(self._indexes.get(language), text, self.threshold, limit)

    def search(self, text: str, language: str, limit: int = 3) -> list[Hit]:
        """The nearest entries by the lexical score, best first, whatever their score (a
        message's topic, admins; ``decide`` has the fused scores)."""
        index = self._indexes.get(language)
        return index.search(text, limit) if index is not None else []

    def best(self, text: str, language: str) -> Hit | None:
        """The entry that answers ``text``; None when no entry is sure enough to answer
        (including a question ``decide`` would clarify)."""
        decision = self.decide(text, language)
        return decision.hit if decision.action == "answer" else None

    def dense_languages(self) -> list[str]:
        """The languages decided by the hybrid now."""
        return [lang for lang in LANGUAGES if lang in self._hybrid]

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until no dense build is pending (tests, ``ivr kb`` commands: calls never
        wait); whether it finished within ``timeout``."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        """Stop a dense build in progress (at its next batch of texts)."""
        self._closed = True

    def _build_later(self, generation: int, indexes: dict[str, Index]) -> None:
        self._job = (generation, indexes)
        self._idle.clear()
        if self._builder is None:
            self._builder = threading.Thread(target=self._build_loop, name="kb-dense", daemon=True)
            self._builder.start()

    def _build_loop(self) -> None:
        try:  # Linux: a thread has its own nice value; calls (and start-up) go first
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (AttributeError, OSError):
            pass
        while True:
            with self._swap:
                job, self._job = self._job, None
                if job is None:
                    self._builder = None  # the next job starts a new thread
                    self._idle.set()
                    return
            try:
                self._build_dense(*job)
            except Exception:
                log.exception("knowledge base: dense index not built: the lexical score decides")

    def _build_dense(self, generation: int, indexes: dict[str, Index]) -> None:
        assert self.embeddings is not None
        started = time.perf_counter()
        embedded = self.embeddings.embedded

        def stale() -> bool:
            return self._closed or self._generation != generation

        encoders = dense.load(n for lang in indexes for n in sorted(encoders_of(lang)))
        alone = []
        for language, index in indexes.items():
            if language in self._hybrid or not index.entries:
                continue
            tuning = TUNING.get(language)
            if tuning is None or not encoders_of(language) <= encoders.keys():
                alone.append(language)
                continue
            built = DenseIndex.build(index.entries, tuning, encoders, self.embeddings, stale)
            with self._swap:
                if built is None or stale():
                    return
                hybrid = HybridIndex(index, built, encoders, tuning)
                self._hybrid = {**self._hybrid, language: hybrid}
        for name, encoder in encoders.items():
            in_use = [texts_of(i.entries, i.language).get(name, []) for i in indexes.values()]
            self.embeddings.keep(encoder, [t for texts in in_use for t in texts])
        log.info(
            "knowledge base: dense index ready for %s in %.1f s (%d texts embedded)%s",
            ", ".join(self.dense_languages()) or "no language",
            time.perf_counter() - started,
            self.embeddings.embedded - embedded,
            f"; {', '.join(alone)}: lexical score alone" if alone else "",
        )

    def count(self, language: str) -> int:
        index = self._indexes.get(language)
        return len(index.entries) if index is not None else 0
