"""Answering from the knowledge base: paraphrases, folded Vietnamese, off-topic questions,
and workers that pick up each other's edits through live state (in-process and Redis)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.core.db import Database, migrate
from ivr.core.live_state import MemoryState, RedisState
from ivr.kb import KbStore, KnowledgeBase
from ivr.kb.text import fold
from tests.kb_samples import BASE, PARAPHRASES, write_base

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
THRESHOLD = 0.35


def sample_db(folder: Path) -> Database:
    url = f"sqlite:///{folder / 'ivr.db'}"
    migrate(url)
    database = Database(url)
    KbStore(database, lambda: NOW).load_dir(write_base(folder / "kb"))
    return database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """A base of its own, for a test that edits it."""
    return sample_db(tmp_path)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """One base for the tests that only search (tests that edit make their own)."""
    return KnowledgeBase(KbStore(sample_db(tmp_path_factory.mktemp("kb")), lambda: NOW), THRESHOLD)


def cases(in_scope: bool) -> list[tuple[str, str, str | None]]:
    return [
        (language, question, key)
        for language, items in PARAPHRASES.items()
        for question, key in items
        if (key is not None) == in_scope
    ]


@pytest.mark.parametrize(("language", "question", "key"), cases(in_scope=True))
def test_a_paraphrase_finds_its_entry_first(
    kb: KnowledgeBase, language: str, question: str, key: str
) -> None:
    hits = kb.search(question, language)
    assert hits[0].key == key, [(h.key, h.score) for h in hits]
    assert hits[0].language == language
    assert 0 < hits[0].score <= 1
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize(("language", "question", "key"), cases(in_scope=False))
def test_an_off_topic_question_is_not_answered(
    kb: KnowledgeBase, language: str, question: str, key: None
) -> None:
    assert kb.best(question, language) is None
    assert all(h.score < THRESHOLD for h in kb.search(question, language))


def test_most_paraphrases_are_answered_above_the_threshold(kb: KnowledgeBase) -> None:
    for language in BASE:
        items = [(q, k) for q, k in PARAPHRASES[language] if k is not None]
        answered = [q for q, k in items if (hit := kb.best(q, language)) and hit.key == k]
        assert len(answered) >= 0.7 * len(items), (
            language,
            set(q for q, _ in items) - set(answered),
        )


@pytest.mark.parametrize(
    "question",
    ["em làm mất cái thẻ bảo hiểm rồi giờ sao", "bị mất việc thì xin trợ cấp ở đâu"],
)
def test_vietnamese_without_diacritics_finds_the_same_entry(
    kb: KnowledgeBase, question: str
) -> None:
    marked, plain = kb.search(question, "vi")[0], kb.search(fold(question), "vi")[0]
    assert fold(question) != question
    assert plain.key == marked.key
    assert plain.score == pytest.approx(marked.score, abs=0.05)
    assert kb.best(fold(question), "vi") is not None


def test_each_language_answers_from_its_own_entries(kb: KnowledgeBase) -> None:
    hit = kb.best("医保卡丢失", "zh")
    assert hit is not None and hit.answer == "请带身份证到社保机构补办。"
    assert kb.search("医保卡丢失", "en") == []  # no Chinese in the English base
    assert kb.search("   ", "vi") == [] and kb.search("anything", "fr") == []
    assert kb.count("vi") == kb.count("zh") == kb.count("en") == 10


def test_an_edit_in_this_process_is_searched_at_once(db: Database) -> None:
    kb = KnowledgeBase(KbStore(db, lambda: NOW), THRESHOLD)
    question = "can I get money back for glasses"
    assert kb.best(question, "en") is None
    kb.store.save(
        "glasses", "en", "hospital", [], "Does insurance pay for glasses?",
        ["money back for glasses"], "No, glasses are not covered.", "admin",
    )  # fmt: skip
    assert kb.reload_if_changed() is True
    hit = kb.best(question, "en")
    assert hit is not None and hit.key == "glasses"
    assert kb.reload_if_changed() is False  # nothing new: no rebuild
    kb.store.deactivate("glasses", "en", by="admin")
    kb.reload_if_changed()
    assert all(h.key != "glasses" for h in kb.search(question, "en"))


def two_workers(db: Database, state: object) -> tuple[KnowledgeBase, KbStore]:
    """A worker answering calls, and another worker's store (e.g. the admin web's)."""
    reader = KnowledgeBase(KbStore(db, lambda: NOW, state), THRESHOLD, state)
    return reader, KbStore(db, lambda: NOW, state)


def check_reload(reader: KnowledgeBase, writer: KbStore) -> None:
    assert reader.best("Quý khách hỏi giá vàng", "vi") is None
    assert reader.reload_if_changed() is False
    writer.save(
        "gold-price", "vi", "other", [], "Giá vàng hôm nay bao nhiêu?", ["hỏi giá vàng"],
        "Tổng đài không cung cấp giá vàng.", "admin",
    )  # fmt: skip
    assert reader.best("Quý khách hỏi giá vàng", "vi") is None  # not before the check
    assert reader.reload_if_changed() is True
    hit = reader.best("Quý khách hỏi giá vàng", "vi")
    assert hit is not None and hit.key == "gold-price"


def test_a_worker_reloads_after_another_worker_saved(db: Database) -> None:
    check_reload(*two_workers(db, MemoryState()))


def test_workers_sharing_redis_reload_after_another_saved(db: Database, redis_server: str) -> None:
    state = RedisState(redis_server, prefix="kbtest:")
    state.delete("kb:version")
    try:
        check_reload(*two_workers(db, state))
        assert state.get("kb:version") == "1"
    finally:
        state.delete("kb:version")
        state.close()


def test_searches_go_on_while_the_base_is_rebuilt(db: Database) -> None:
    state = MemoryState()
    reader, writer = two_workers(db, state)
    problems: list[str] = []
    stop = threading.Event()

    def caller() -> None:
        while not stop.is_set():
            hit = reader.best("mấy giờ tổng đài làm việc", "vi")
            if hit is None or hit.key != "hotline-hours":
                problems.append(repr(hit))

    callers = [threading.Thread(target=caller) for _ in range(4)]
    for thread in callers:
        thread.start()
    for n in range(10):
        writer.save(
            f"extra-{n}", "vi", "other", [], f"Câu hỏi thêm số {n} về lương hưu", [],
            "Trả lời.", "admin",
        )  # fmt: skip
        reader.reload_if_changed()
    stop.set()
    for thread in callers:
        thread.join()
    assert problems == []
    assert reader.count("vi") == 20


def test_a_broken_live_state_keeps_the_current_index(db: Database) -> None:
    class Down(MemoryState):
        def get(self, key: str) -> str | None:
            raise ConnectionError("redis is down")

    kb = KnowledgeBase(KbStore(db, lambda: NOW), THRESHOLD)
    kb.state = Down()
    assert kb.reload_if_changed() is False
    assert kb.best("mấy giờ tổng đài làm việc", "vi") is not None
