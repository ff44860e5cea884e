"""Hybrid retrieval: the lexical score and sentence embeddings, fused, and the decision to
answer, to ask one clarifying question, or to say the agent is not sure.

Each language reads a question with two encoders (``ivr.kb.dense``). An entry's documents are
its question and each alternate, all of them joined (" . "), and its answer. Per encoder the
dense score of an entry is

    d = best * max cos(question | alternate) + whole * cos(joined) + answer * cos(answer)

scaled to ``(d - median) / spread`` (median and spread of d over many question-entry pairs,
so that encoders of other scales average fairly), and averaged over the two encoders. The
fused score is ``a * lexical + (1 - a) * DENSE_SCALE * dense``, with the lexical score of
``ivr.kb.retrieval`` (0..1, calibrated per language).

With s1 and s2 the two best fused scores:

* answer when ``s1 >= answer`` and ``s1 - s2 >= margin``, or (where ``agree`` is set) when
  the lexical, dense and fused scores all rank the same entry first and ``s1 >= agree``;
* else ask "Do you mean ...?" about the first entry when ``s1 >= clarify``;
* else refuse: not sure, the usual options.

Every number in ``TUNING`` was chosen on the tuning half of a frozen set of callers'
paraphrases (``bench/data/kb_paraphrases/``, split by topic) and measured on the other half
(README, Knowledge base; ``bench/kb_answer.py``): the most right answers and right
clarifications with at most 2 % wrong answers, no off-topic question answered, and at most a
fifth of the questions clarified. Tune again (the same way) when the base changes much.
Vietnamese typed or recognized without diacritics reads badly for e5 (top-1 9 % against 75 %),
so such a question leans on the lexical score (``a_plain``). English came out best with
the lexical weight at 0: the dense score alone ranks, the lexical one only takes part in the
agreement rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ivr.kb.dense import E5_PASSAGE, E5_QUERY, USE, Encoder
from ivr.kb.embeddings import EmbeddingCache
from ivr.kb.retrieval import Hit, Index
from ivr.kb.store import Entry
from ivr.kb.text import fold

DENSE_SCALE = 0.2  # a dense score of 1 (one spread above the median) weighs 0.2


@dataclass(frozen=True)
class View:
    """One encoder's reading: entry texts by ``documents``, questions by ``queries``."""

    documents: str
    queries: str
    median: float
    spread: float


@dataclass(frozen=True)
class Tuning:
    views: tuple[View, ...]
    a: float  # weight of the lexical score
    best: float  # dense: the best single document
    whole: float  # dense: the joined documents
    answer_text: float  # dense: the answer
    answer: float  # answer at this fused score or more...
    margin: float  # ...that far above the second entry
    clarify: float  # else clarify at this fused score or more
    agree: float | None = None  # answer at this score when all three rankings agree
    a_plain: float | None = None  # Vietnamese without diacritics: the lexical weight


TUNING: dict[str, Tuning] = {
    # e5, and e5 reading the documents as queries too ("symmetric"); no USE: no Vietnamese
    "vi": Tuning(
        views=(View(E5_PASSAGE, E5_QUERY, 0.82489, 0.024422),
               View(E5_QUERY, E5_QUERY, 0.83423, 0.026946)),
        a=0.35, best=0.5, whole=0.5, answer_text=0.0,
        answer=0.50, margin=0.06, clarify=0.48, a_plain=0.85,
    ),
    # no clarify band: on the tuning half, asking did not beat refusing within the limits
    "zh": Tuning(
        views=(View(E5_PASSAGE, E5_QUERY, 0.85969, 0.019602),
               View(USE, USE, 0.28217, 0.13371)),
        a=0.30, best=0.6, whole=0.3, answer_text=0.1,
        answer=0.46, margin=0.06, clarify=0.46,
    ),
    "en": Tuning(
        views=(View(E5_PASSAGE, E5_QUERY, 0.80291, 0.027166),
               View(USE, USE, 0.19910, 0.12975)),
        a=0.0, best=0.4, whole=0.6, answer_text=0.0,
        answer=0.52, margin=0.10, clarify=0.48, agree=0.52,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Decision:
    """What the agent does with a question, and why (the scores, for the log and admins)."""

    action: str  # "answer", "clarify" or "refuse"
    hit: Hit | None  # the entry to answer, to ask about, or the nearest one (refuse)
    score: float  # the hit's fused score (the lexical one when ``dense`` is None)
    margin: float  # above the second entry
    lexical: float  # the hit's lexical score
    dense: float | None  # the hit's dense score; None: decided by the lexical scorer alone
    hits: tuple[Hit, ...] = ()  # the nearest entries, best first, with the decision's scores


def encoders_of(language: str) -> set[str]:
    tuning = TUNING.get(language)
    return {n for v in tuning.views for n in (v.documents, v.queries)} if tuning else set()


def documents(entry: Entry, tuning: Tuning) -> tuple[list[str], list[str]]:
    """An entry's single documents, and its other texts the tuning weighs (joined, answer)."""
    single = [entry.question, *entry.alternates]
    more = [" . ".join(single)] if tuning.whole else []
    return single, more + ([entry.answer] if tuning.answer_text else [])


def texts_of(entries: Sequence[Entry], language: str) -> dict[str, list[str]]:
    """Per encoder, every text of ``language``'s active entries that it embeds."""
    tuning = TUNING.get(language)
    if tuning is None:
        return {}
    out: dict[str, list[str]] = {}
    for view in tuning.views:
        for entry in entries:
            if entry.active and entry.language == language:
                single, more = documents(entry, tuning)
                out.setdefault(view.documents, []).extend(single + more)
    return out


class DenseIndex:
    """The entries' document vectors of one language, per view."""

    def __init__(self, rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        self.rows = rows  # view's document encoder -> (singles, starts, [whole, answer] x n)

    @classmethod
    def build(
        cls,
        entries: Sequence[Entry],
        tuning: Tuning,
        encoders: Mapping[str, Encoder],
        cache: EmbeddingCache,
        stop: Callable[[], bool] = lambda: False,
    ) -> DenseIndex | None:
        """None when ``stop()`` came true while embedding."""
        rows = {}
        parts = [documents(e, tuning) for e in entries]
        starts = np.cumsum([0] + [len(s) for s, _ in parts[:-1]]).astype(np.int64)
        for view in tuning.views:
            encoder = encoders[view.documents]
            singles = cache.vectors(encoder, [t for s, _ in parts for t in s], stop)
            more = cache.vectors(encoder, [t for _, m in parts for t in m], stop)
            if singles is None or more is None:
                return None
            rows[view.documents] = (singles, starts, more.reshape(len(entries), -1, more.shape[1]))
        return cls(rows)

    def scores(self, tuning: Tuning, queries: Mapping[str, np.ndarray]) -> np.ndarray:
        per_view = []
        for view in tuning.views:
            singles, starts, more = self.rows[view.documents]
            q = queries[view.queries]
            d = tuning.best * np.maximum.reduceat(singles @ q, starts)
            weights = [w for w in (tuning.whole, tuning.answer_text) if w]
            for i, weight in enumerate(weights):
                d += weight * (more[:, i, :] @ q)
            per_view.append((d - view.median) / view.spread)
        return np.mean(per_view, axis=0)


class HybridIndex:
    """One language's lexical and dense indexes over the same entries."""

    def __init__(
        self, lexical: Index, dense: DenseIndex, encoders: Mapping[str, Encoder], tuning: Tuning
    ) -> None:
        self.lexical = lexical
        self.entries = lexical.entries
        self.language = lexical.language
        self.dense = dense
        self.encoders = encoders
        self.tuning = tuning
        self._position = {e.key: i for i, e in enumerate(self.entries)}

    def scores(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused, lexical and dense score of every entry."""
        lexical = np.zeros(len(self.entries), dtype=np.float32)
        for hit in self.lexical.search(text, len(self.entries)):
            lexical[self._position[hit.key]] = hit.score
        names = {v.queries for v in self.tuning.views}
        queries = {n: self.encoders[n].encode([text])[0] for n in sorted(names)}
        dense = self.dense.scores(self.tuning, queries)
        a = self.tuning.a
        if self.tuning.a_plain is not None and fold(text) == text:
            a = self.tuning.a_plain  # no diacritics: the encoders read it poorly
        return a * lexical + (1 - a) * DENSE_SCALE * dense, lexical, dense

    def decide(self, text: str, limit: int = 3) -> Decision:
        if not self.entries or not text.strip():
            return Decision("refuse", None, 0.0, 0.0, 0.0, None)
        fused, lexical, dense = self.scores(text)
        order = np.argsort(-fused, kind="stable")[: max(limit, 2)]
        first = int(order[0])
        s1 = float(fused[first])
        margin = s1 - (float(fused[order[1]]) if len(order) > 1 else 0.0)
        hits = tuple(self._hit(int(i), float(fused[i])) for i in order[:limit])
        t = self.tuning
        agree = t.agree is not None and s1 >= t.agree
        agree = agree and int(np.argmax(lexical)) == first and int(np.argmax(dense)) == first
        if s1 >= t.answer and margin >= t.margin or agree:
            action = "answer"
        else:
            action = "clarify" if s1 >= t.clarify else "refuse"
        return Decision(
            action, hits[0], hits[0].score, round(margin, 4), float(lexical[first]),
            round(float(dense[first]), 4), hits,
        )  # fmt: skip

    def _hit(self, n: int, score: float) -> Hit:
        e = self.entries[n]
        return Hit(e.key, e.language, e.category, e.question, e.answer, round(score, 4))


def lexical_decision(index: Index | None, text: str, threshold: float, limit: int = 3) -> Decision:
    """Today's rule, for a language without its dense index (not built yet, or no encoder):
    answer at ``threshold`` or more, never clarify."""
    hits = tuple(index.search(text, max(limit, 2))) if index is not None else ()
    if not hits:
        return Decision("refuse", None, 0.0, 0.0, 0.0, None)
    top = hits[0]
    margin = top.score - (hits[1].score if len(hits) > 1 else 0.0)
    action = "answer" if top.score >= threshold else "refuse"
    return Decision(action, top, top.score, round(margin, 4), top.score, None, hits[:limit])
