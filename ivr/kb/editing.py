"""The knowledge base as admins edit it: the entry form (read, checked in plain words per
field), the "try a question" answer, and a CSV import checked as strictly as the form.

The store checks what the base cannot work without (a key, a question, an answer); these
checks add what an admin gets wrong in a form or a spreadsheet: an unknown category, a
question or an answer too long to be useful on the phone. An import is all or nothing: any
bad line (by the store's checks or these) and nothing is saved, every bad line is named.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from ivr.core.digits import whole_number
from ivr.core.languages import LANGUAGES
from ivr.kb import Decision, Draft, Entry, KbStore, KnowledgeBase
from ivr.kb.csvfile import CsvError, read_csv
from ivr.kb.store import KEY

MAX_QUESTION = 300  # characters of the question and of each alternate
MAX_ALTERNATES = 30
MAX_ANSWER = 1500  # read out by the agent: about two minutes of speech
MAX_TAGS, MAX_TAG = 20, 40


@dataclass(frozen=True)
class Tried:
    text: str
    decision: Decision
    threshold: float  # the lexical score's, where it decides alone

    @property
    def hits(self) -> tuple[Any, ...]:
        """The nearest entries (ivr.kb.Hit), best first, with the scores that decide."""
        return self.decision.hits

    @property
    def answer(self) -> Any:
        """The hit the agent would answer with; None: it asks first, or says it is not sure."""
        return self.decision.hit if self.decision.action == "answer" else None

    @property
    def clarify(self) -> Any:
        """The hit the agent would ask about ("Do you mean ...?") before answering."""
        return self.decision.hit if self.decision.action == "clarify" else None


def try_question(kb: KnowledgeBase, text: str, language: str) -> Tried:
    kb.reload_if_changed()  # a save this moment is in the answer (as on the next call)
    return Tried(text, kb.decide(text, language), kb.threshold)


@dataclass(frozen=True)
class EntryForm:
    """The entry form as typed, to show it again with the problems beside the fields."""

    key: str = ""
    language: str = LANGUAGES[0]
    question: str = ""
    alternates: str = ""  # one per line
    answer: str = ""
    category: str = ""
    tags: str = ""  # comma-separated
    active: bool = True
    version: int = 0  # the version the form was opened on (0: a new entry)
    unanswered: int = 0  # the unanswered question this entry covers, marked added on save

    @classmethod
    def of(cls, entry: Entry, unanswered: int = 0) -> EntryForm:
        return cls(
            entry.key, entry.language, entry.question, "\n".join(entry.alternates),
            entry.answer, entry.category, ", ".join(entry.tags), entry.active, entry.version,
            unanswered,
        )  # fmt: skip

    @classmethod
    def read(cls, data: Any) -> EntryForm:
        def number(name: str) -> int:
            return whole_number(str(data.get(name) or "")) or 0

        return cls(
            str(data.get("key") or "").strip(), str(data.get("language") or "").strip(),
            str(data.get("question") or ""), str(data.get("alternates") or ""),
            str(data.get("answer") or ""), str(data.get("category") or "").strip(),
            str(data.get("tags") or ""), data.get("active") in ("1", "on", "yes", "true"),
            number("version"), number("unanswered"),
        )  # fmt: skip

    def draft(self) -> Draft:
        return Draft(
            self.key, self.language, self.category,
            tuple(t.strip() for t in self.tags.replace(";", ",").split(",") if t.strip()),
            self.question.strip(),
            tuple(a.strip() for a in self.alternates.splitlines() if a.strip()),
            self.answer.strip(), self.active,
        )  # fmt: skip


def problems_of(draft: Draft, categories: dict[str, Any]) -> dict[str, str]:
    """What is wrong with an entry, per field, in plain words (empty: it can be saved)."""
    out: dict[str, str] = {}
    if not KEY.fullmatch(draft.key):
        out["key"] = (
            "The key names the topic in every language: lowercase letters, digits and dashes "
            "(for example card-lost), at most 80 characters."
        )
    if draft.language not in LANGUAGES:
        out["language"] = "Choose the language: Vietnamese, Chinese or English."
    if not draft.question.strip():
        out["question"] = "Write the question as a caller would ask it."
    elif len(draft.question) > MAX_QUESTION:
        out["question"] = (
            f"The question is {len(draft.question)} characters; keep it to {MAX_QUESTION}."
        )
    long = [a for a in draft.alternates if len(a) > MAX_QUESTION]
    if len(draft.alternates) > MAX_ALTERNATES:
        out["alternates"] = (
            f"{len(draft.alternates)} other ways to ask; keep it to {MAX_ALTERNATES}."
        )
    elif long:
        out["alternates"] = f"One is {len(long[0])} characters; keep each to {MAX_QUESTION}."
    if not draft.answer.strip():
        out["answer"] = "Write the answer the agent reads out to the caller."
    elif len(draft.answer) > MAX_ANSWER:
        out["answer"] = (
            f"The answer is {len(draft.answer)} characters; keep it to {MAX_ANSWER} "
            "(about two minutes spoken): callers stop listening before the end."
        )
    if not draft.category:
        out["category"] = "Choose a category."
    elif draft.category not in categories:
        out["category"] = (
            f"There is no category {draft.category!r} (knowledge/categories.yaml): choose one."
        )
    if len(draft.tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in draft.tags):
        out["tags"] = f"At most {MAX_TAGS} tags of at most {MAX_TAG} characters each."
    return out


def row_lines(text: str) -> list[int]:
    """The line each data row of a CSV text starts on, as ``read_csv`` numbers them."""
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    lines, line = [], reader.line_num
    for row in reader:
        if row:  # DictReader skips blank rows
            lines.append(line + 1)
            line = reader.line_num
    return lines


def import_text(store: KbStore, text: str, categories: dict[str, Any], by: str) -> tuple[int, int]:
    """Save the rows of a CSV text, all or none: (rows read, entries new or changed).

    ``CsvError`` lists every bad line: the store's checks, then the form's (category, lengths).
    """
    drafts = read_csv(io.StringIO(text))
    problems = [
        f"line {line}: {draft.key} ({draft.language}): {message}"
        for draft, line in zip(drafts, row_lines(text), strict=False)
        for message in problems_of(draft, categories).values()
    ]
    if problems:
        raise CsvError(problems)
    return len(drafts), sum(changed for _, changed in store.save_all(drafts, by))
