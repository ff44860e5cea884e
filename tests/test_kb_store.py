"""The knowledge base in the database: versions, rollback, seed files, CSV, unanswered list."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ivr.core.db import Database, migrate
from ivr.core.live_state import MemoryState
from ivr.core.models import KbEntry, KbEntryVersion
from ivr.kb import KbStore
from ivr.kb.csvfile import COLUMNS, CsvError, export_csv, import_csv
from tests.conftest_postgres import both_databases
from tests.kb_samples import BASE, write_base

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    migrate(db_url)
    database = Database(db_url)
    yield database
    database.close()


@pytest.fixture
def store(db: Database) -> KbStore:
    return KbStore(db, lambda: NOW, MemoryState())


def save_card(store: KbStore, answer: str = "Đến cơ quan bảo hiểm xã hội.", by: str = "an") -> int:
    entry = store.save(
        "card-lost", "vi", "health-card", ["card"], "Mất thẻ thì làm gì?", ["mất thẻ"], answer, by
    )
    return entry.version


def versions_in_db(db: Database) -> int:
    with db.session(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(KbEntryVersion)) or 0)


@both_databases
def test_each_edit_is_a_new_version_and_an_equal_save_is_not(store: KbStore, db: Database) -> None:
    assert save_card(store) == 1
    assert save_card(store, "Mang căn cước đến cơ quan bảo hiểm xã hội.", by="binh") == 2
    assert save_card(store, "Mang căn cước đến cơ quan bảo hiểm xã hội.") == 2  # unchanged
    assert versions_in_db(db) == 2
    history = store.history("card-lost", "vi")
    assert [(v.version, v.answer, v.saved_by) for v in history] == [
        (1, "Đến cơ quan bảo hiểm xã hội.", "an"),
        (2, "Mang căn cước đến cơ quan bảo hiểm xã hội.", "binh"),
    ]
    assert history[0].saved_at == NOW
    assert store.state is not None and store.state.get("kb:version") == "2"


@both_databases
def test_rollback_is_a_new_version_equal_to_the_old_one(store: KbStore, db: Database) -> None:
    save_card(store)
    save_card(store, "Sai: gọi cho công an.")
    back = store.rollback("card-lost", "vi", 1, by="admin")
    assert (back.version, back.answer) == (3, "Đến cơ quan bảo hiểm xã hội.")
    assert [v.version for v in store.history("card-lost", "vi")] == [1, 2, 3]
    with db.session(readonly=True) as session:
        row = session.scalar(select(KbEntry).where(KbEntry.key == "card-lost"))
        assert row is not None and row.updated_by == "admin"
    with pytest.raises(ValueError, match="no version 9"):
        store.rollback("card-lost", "vi", 9, by="admin")


@both_databases
def test_deactivated_entries_stay_in_the_admin_list_only(store: KbStore) -> None:
    save_card(store)
    off = store.deactivate("card-lost", "vi", by="admin")
    assert (off.active, off.version) == (False, 2)
    assert store.entries(active_only=True) == []
    assert [e.key for e in store.entries(language="vi")] == ["card-lost"]
    with pytest.raises(ValueError, match="no entry"):
        store.deactivate("nothing-here", "vi", by="admin")


@pytest.mark.parametrize(
    ("key", "language", "category", "question", "answer", "problem"),
    [
        ("Card Lost", "vi", "c", "q", "a", "lowercase letters, digits and dashes"),
        ("card-lost", "fr", "c", "q", "a", "one of vi, zh, en"),
        ("card-lost", "vi", " ", "q", "a", "a category is needed"),
        ("card-lost", "vi", "c", "  ", "a", "the question is empty"),
        ("card-lost", "vi", "c", "q", "", "the answer is empty"),
    ],
)
@both_databases
def test_bad_entries_are_refused_with_a_clear_message(
    store: KbStore, key: str, language: str, category: str, question: str, answer: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        store.save(key, language, category, [], question, [], answer, "an")
    assert store.entries() == []


@both_databases
def test_admin_search_by_language_category_and_text_without_diacritics(
    store: KbStore, tmp_path: Path
) -> None:
    store.load_dir(write_base(tmp_path / "kb"))
    assert len(store.entries()) == sum(len(rows) for rows in BASE.values())
    assert {e.language for e in store.entries(category="pension")} == {"vi", "zh", "en"}
    found = store.entries(language="vi", text="luong huu")
    assert [e.key for e in found] == ["pension-payment-date"]
    assert [e.key for e in store.entries(language="zh", text="医保卡丢失")] == ["card-lost"]


@both_databases
def test_loading_the_seed_files_again_changes_nothing(store: KbStore, tmp_path: Path) -> None:
    folder = write_base(tmp_path / "kb")
    assert store.load_dir(folder, by="seed") == 30
    counter = store.state.get("kb:version") if store.state else None
    assert store.load_dir(folder, by="seed") == 0
    assert store.state is not None and store.state.get("kb:version") == counter
    assert {e.version for e in store.entries()} == {1}


@both_databases
def test_a_bad_seed_file_loads_nothing(store: KbStore, tmp_path: Path) -> None:
    folder = write_base(tmp_path / "kb")
    (folder / "zh.yaml").write_text(
        "language: zh\nentries:\n  - {key: x, category: c, question: 问, answer: ''}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"zh.yaml: entry 1 \(x\): x \(zh\): the answer is empty"):
        store.load_dir(folder)
    assert store.entries() == []  # vi.yaml and en.yaml were fine, but all or nothing


@both_databases
def test_csv_round_trip_into_another_database(store: KbStore, tmp_path: Path) -> None:
    store.load_dir(write_base(tmp_path / "kb"))
    store.deactivate("lump-sum", "en", by="admin")
    file = io.StringIO()
    assert export_csv(store, file) == 30
    assert file.getvalue().splitlines()[0] == ",".join(COLUMNS)

    url = f"sqlite:///{tmp_path / 'other.db'}"
    migrate(url)
    other = KbStore(Database(url), lambda: NOW)
    assert import_csv(other, io.StringIO(file.getvalue()), by="import") == 30
    strip = lambda entries: [  # noqa: E731
        e.__dict__ | {"version": 0, "saved_at": None, "saved_by": ""} for e in entries
    ]
    assert strip(other.entries()) == strip(store.entries())
    assert other.get("lump-sum", "en") is not None
    assert import_csv(other, io.StringIO(file.getvalue()), by="import") == 0  # idempotent


@both_databases
def test_an_edited_csv_makes_new_versions_of_the_changed_rows_only(store: KbStore) -> None:
    save_card(store)
    text = (
        "key,language,category,tags,question,alternates,answer,active\n"
        'card-lost,vi,health-card,card;lost,"Mất thẻ thì làm gì?",mất thẻ|thất lạc thẻ,'
        '"Đến cơ quan bảo hiểm xã hội.",1\n'
        'hours,en,hotline,,When are you open?,opening hours,"7:00 to 17:00, Mon-Fri",yes\n'
    )
    assert import_csv(store, io.StringIO(text), by="sheet") == 2
    card = store.get("card-lost", "vi")
    assert card is not None and card.version == 2
    assert card.tags == ("card", "lost") and card.alternates == ("mất thẻ", "thất lạc thẻ")
    hours = store.get("hours", "en")
    assert hours is not None and hours.answer == "7:00 to 17:00, Mon-Fri"


@both_databases
def test_bad_csv_rows_are_all_reported_by_line_and_nothing_is_imported(store: KbStore) -> None:
    text = (
        "key,language,category,tags,question,alternates,answer,active\n"
        "good-one,vi,hotline,,Tổng đài mở mấy giờ?,,7 giờ đến 17 giờ,1\n"
        'multi-line,en,hotline,,Where?,,"line one\nline two",1\n'
        "bad-lang,fr,hotline,,Quand?,,Le matin,1\n"
        "no-answer,en,hotline,,When?,,,1\n"
        "good-one,vi,hotline,,Lại lần nữa?,,Có,1\n"
        "flag,en,hotline,,When?,,Now,maybe\n"
    )
    with pytest.raises(CsvError) as caught:
        import_csv(store, io.StringIO(text), by="sheet")
    assert caught.value.problems == [
        "line 5: language 'fr': one of vi, zh, en",
        "line 6: no-answer (en): the answer is empty",
        "line 7: good-one (vi) already on line 2",
        "line 8: active 'maybe': use 1 or 0",
    ]
    assert store.entries() == []


@both_databases
def test_a_csv_without_the_needed_columns_is_refused(store: KbStore) -> None:
    with pytest.raises(CsvError, match="line 1: missing column"):
        import_csv(store, io.StringIO("key,language,question\nx,vi,q\n"), by="sheet")


@both_databases
def test_unanswered_questions_are_listed_until_an_admin_decides(store: KbStore) -> None:
    store.record_unanswered("call-1", "vi", "giá vàng hôm nay", "card-lost", 0.12)
    store.record_unanswered("call-2", "en", "my ID is 012345678901, weather?", None, None)
    waiting = store.unanswered()
    assert [(q.call_id, q.text, q.best_key) for q in waiting] == [
        ("call-1", "giá vàng hôm nay", "card-lost"),
        ("call-2", "my ID is ********8901, weather?", None),
    ]
    store.mark_unanswered(waiting[0].id, "dismissed")
    assert [q.call_id for q in store.unanswered()] == ["call-2"]
    assert [q.call_id for q in store.unanswered("dismissed")] == ["call-1"]
    with pytest.raises(ValueError, match="new, added or dismissed"):
        store.mark_unanswered(waiting[1].id, "deleted")
