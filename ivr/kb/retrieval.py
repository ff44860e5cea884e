"""Retrieval: which entry a caller's question is about, and how sure that is (0..1).

Every entry's question and alternates are its documents, and all of them together make one
more (a caller may mix the words of two alternates). A query is compared with each document
by cosine similarity of TF-IDF vectors in two views: word features and character n-grams
(see ``ivr.kb.text``). An entry's score is mostly that of its whole document (measured on
held-out questions: it ranks better than the best single one), a fifth that of its best
single one, so a caller who says one alternate word for word is surer. Document frequencies
count entries, not documents.

Cosines stay in 0..1 in every language, but not on the same scale: Chinese characters and
Vietnamese syllables overlap more by chance than English words. ``CALIBRATION`` maps each
language's raw score onto one common scale (a power curve fitted on held-out questions with
``bench/kb_answer.py``), so one threshold serves all three.

No model, no network: an inverted index of numpy arrays, rebuilt (and swapped in whole)
when the base changes.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ivr.kb.store import Entry
from ivr.kb.text import grams, words

# Weight of the word view against the character view, and the characters' n, per language
# (chosen with bench/kb_answer.py; Chinese does best on single characters: a caller's
# 丢了 and the base's 丢失 share 丢).
WORD_WEIGHT = {"vi": 0.5, "zh": 0.3, "en": 0.5}
# An entry's score: mostly the whole entry as one document (its question and alternates
# together: callers mix the words of several), a little its best single document.
BEST_DOCUMENT_WEIGHT = 0.2
GRAM_N = {"vi": 3, "zh": 1, "en": 3}
# score ** power per language: the raw scores below which seven in eight off-topic questions
# stay (en 0.21, vi 0.29, zh 0.28) all map to 0.35, and the median right answer lands near
# 0.57 in every language. Fitted, like the weights above, on bench/data/kb_heldout.yaml and
# as many paraphrases again written while tuning: refit when the base changes much.
CALIBRATION = {"vi": 0.85, "zh": 0.83, "en": 0.67}


@dataclass(frozen=True)
class Hit:
    key: str
    language: str
    category: str
    question: str
    answer: str
    score: float


class _View:
    """TF-IDF over one kind of feature: postings per feature, unit-length document vectors."""

    def __init__(
        self,
        docs: Sequence[list[str]],
        owners: Sequence[int],
        features: Callable[[str], list[str]],
    ) -> None:
        self.features = features
        # document frequency counts entries, not documents: a word in all three alternates of
        # one entry is that entry's own word, not a common one
        per_entry: dict[int, set[str]] = defaultdict(set)
        for doc, owner in zip(docs, owners, strict=True):
            per_entry[owner].update(doc)
        count = len(per_entry)
        df: Counter[str] = Counter(f for words_ in per_entry.values() for f in words_)
        self.idf = {f: math.log((1 + count) / (1 + n)) + 1.0 for f, n in df.items()}
        self.unknown_idf = math.log(1 + count) + 1.0  # as if in no document
        # postings as three flat arrays sorted by feature (one numpy sort instead of an array
        # per feature): feature f's documents are doc_ids[bounds[f]:bounds[f + 1]]
        self.feature_ids: dict[str, int] = {}
        fids: list[int] = []
        dids: list[int] = []
        weights: list[float] = []
        for i, doc in enumerate(docs):
            vector = {f: (1 + math.log(n)) * self.idf[f] for f, n in Counter(doc).items()}
            norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
            for f, w in vector.items():
                fids.append(self.feature_ids.setdefault(f, len(self.feature_ids)))
                dids.append(i)
                weights.append(w / norm)
        order = np.argsort(np.array(fids, dtype=np.int64), kind="stable")
        self.doc_ids = np.array(dids, dtype=np.int32)[order]
        self.weights = np.array(weights, dtype=np.float32)[order]
        self.bounds = np.searchsorted(
            np.array(fids, dtype=np.int64)[order], np.arange(len(self.feature_ids) + 1)
        )
        self.size = len(docs)

    def scores(self, text: str) -> np.ndarray:
        """Cosine of the query with every document.

        Features the base never saw still count in the query's length: a question with many
        words no entry has is less like any entry (how off-topic questions score low).
        """
        out = np.zeros(self.size, dtype=np.float32)
        query = {
            f: (1 + math.log(n)) * self.idf.get(f, self.unknown_idf)
            for f, n in Counter(self.features(text)).items()
        }
        norm = math.sqrt(sum(w * w for w in query.values()))
        if norm == 0:
            return out
        for f, w in query.items():
            fid = self.feature_ids.get(f)
            if fid is not None:
                start, end = self.bounds[fid], self.bounds[fid + 1]
                out[self.doc_ids[start:end]] += self.weights[start:end] * (w / norm)
        return out


class Index:
    """The searchable base of one language."""

    def __init__(self, entries: Sequence[Entry], language: str) -> None:
        self.language = language
        self.entries = [e for e in entries if e.active and e.language == language]
        texts: list[str] = []
        starts: list[int] = []
        owners: list[int] = []
        for i, entry in enumerate(self.entries):
            starts.append(len(texts))
            documents = [entry.question, *entry.alternates]
            texts += documents
            texts.append(" . ".join(documents))
            owners += [i] * (len(documents) + 1)
        self.starts = np.array(starts, dtype=np.int64)
        self.wholes = np.append(self.starts[1:], len(texts)) - 1  # each entry's last document
        n = GRAM_N[language]
        self.words = _View(
            [words(t, language) for t in texts], owners, lambda t: words(t, language)
        )
        self.grams = _View(
            [grams(t, language, n) for t in texts], owners, lambda t: grams(t, language, n)
        )

    def search(self, text: str, limit: int = 3) -> list[Hit]:
        if not self.entries or not text.strip():
            return []
        w = WORD_WEIGHT[self.language]
        per_doc = w * self.words.scores(text)
        per_doc += (1 - w) * self.grams.scores(text)
        whole = per_doc[self.wholes]
        per_doc[self.wholes] = 0
        best_one = np.maximum.reduceat(per_doc, self.starts)  # an entry's documents are adjacent
        best = BEST_DOCUMENT_WEIGHT * best_one + (1 - BEST_DOCUMENT_WEIGHT) * whole
        scale = CALIBRATION[self.language]
        order = np.argsort(-best)[:limit]
        return [self._hit(int(i), float(best[i]) ** scale) for i in order if best[i] > 0]

    def _hit(self, n: int, score: float) -> Hit:
        e = self.entries[n]
        return Hit(e.key, e.language, e.category, e.question, e.answer, round(min(score, 1.0), 4))
