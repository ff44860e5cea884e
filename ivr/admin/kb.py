"""Knowledge base pages: entries per language (category filter, text search, paging), a "try a
question" box that answers as the AI agent would, the entry form with its history and
rollback, CSV export and import, and the questions the agent could not answer.

Viewers read (and export); supervisors save entries, roll back, import and work through the
unanswered list. Every save goes through ``KbStore`` (a new version, who = the signed-in user)
and bumps the knowledge base's version, so every worker's index rebuilds before its next
answer; this process's own index is rebuilt before the "try" box answers. An import is all or
nothing: any bad line (the store's checks, plus the category and length checks of the form)
and nothing is saved, the page lists every bad line by number.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ivr.admin.auth import supervisor, viewer
from ivr.admin.context import AdminContext, admin_of
from ivr.admin.pages import render
from ivr.admin.users import User
from ivr.core.digits import whole_number
from ivr.core.languages import LANGUAGES
from ivr.core.models import UnansweredQuestion
from ivr.kb import KbStore, KnowledgeBase, csvfile
from ivr.kb.csvfile import CsvError
from ivr.kb.editing import EntryForm, import_text, problems_of, try_question

router = APIRouter()

NAMES = {"vi": "Vietnamese", "zh": "Chinese", "en": "English"}
PAGE_SIZE = 50
MAX_UPLOAD = 5_000_000  # bytes of an imported CSV file
STATUSES = ("new", "added", "dismissed")


def _kb(context: AdminContext) -> KnowledgeBase:
    kb: KnowledgeBase = context.services.kb
    return kb


def _store(context: AdminContext) -> KbStore:
    return _kb(context).store


def _categories(context: AdminContext) -> dict[str, Any]:
    """Category id -> ``ivr.tickets.categories.Category`` (knowledge/categories.yaml)."""
    return dict(context.services.tickets.categories)


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise HTTPException(404, f"There is no language {language!r}: use vi, zh or en.")
    return language


def _number(value: str, name: str) -> int:
    """A whole number from the address (ASCII digits only: "²" passes ``str.isdigit``); 0
    when left out."""
    if not value:
        return 0
    number = whole_number(value)
    if number is None:
        raise HTTPException(422, f"{name}: {value[:20]!r} is not a whole number.")
    return number


def _paged(rows: list[Any], page: int) -> tuple[list[Any], int, int]:
    """The rows of ``page`` (1-based, clamped), the page and the number of pages."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages


def _common(context: AdminContext) -> dict[str, Any]:
    return {"languages": LANGUAGES, "names": NAMES, "categories": _categories(context)}


# -- the list and the "try a question" box ---------------------------------------------------


@router.get("/admin/kb")
def kb_list(
    request: Request,
    language: str = LANGUAGES[0],
    category: str = "",
    q: str = "",
    page: str = "1",
    ask: str = "",
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    context = admin_of(request)
    _language(language)
    store = _store(context)
    rows = store.entries(language=language, category=category or None, text=q.strip() or None)
    shown, shown_page, pages = _paged(rows, _number(page, "page"))
    tried = try_question(_kb(context), ask.strip(), language) if ask.strip() else None
    counts = {lang: len(store.entries(language=lang)) for lang in LANGUAGES}
    filters = {"language": language, "category": category, "q": q}
    return render(
        request,
        "kb.html",
        entries=shown,
        total=len(rows),
        page=shown_page,
        pages=pages,
        counts=counts,
        language=language,
        category=category,
        q=q,
        ask=ask,
        tried=tried,
        link=lambda **kw: "/admin/kb?" + urlencode({**filters, **kw}),
        editor=user.may("supervisor"),
        **_common(context),
    )


# -- one entry: the form, its history, rollback -----------------------------------------------


def _unanswered(store: KbStore, question_id: int) -> UnansweredQuestion:
    found = next((q for q in store.unanswered("new") if q.id == question_id), None)
    if found is None:
        raise HTTPException(
            404, "That question is not on the unanswered list any more (added or dismissed)."
        )
    return found


def _entry_page(
    request: Request,
    form: EntryForm,
    status: int = 200,
    problems: dict[str, str] | None = None,
    notice: str = "",
    new: bool = False,
) -> Response:
    context = admin_of(request)
    store = _store(context)
    entry = None if new else store.get(form.key, form.language)
    history = store.history(form.key, form.language) if entry else []
    others = [
        (lang, store.get(form.key, lang) is not None)
        for lang in LANGUAGES
        if entry and lang != form.language
    ]
    user = request.state.signed_in.user
    return render(
        request,
        "kb_entry.html",
        status,
        form=form,
        entry=entry,
        history=list(reversed(history)),
        others=others,
        problems=problems or {},
        notice=notice,
        editor=user.may("supervisor"),
        **_common(context),
    )


@router.get("/admin/kb/new")
def new_entry(
    request: Request,
    language: str = LANGUAGES[0],
    key: str = "",
    unanswered: str = "",
    user: User = Depends(supervisor),  # noqa: B008
) -> Response:
    """A blank form; with ``key``, the topic's key and category (writing another language)."""
    question_id = _number(unanswered, "unanswered")
    form = EntryForm(language=_language(language), key=key)
    same_topic = [e for e in _store(admin_of(request)).entries() if key and e.key == key]
    if same_topic:
        form = replace(form, category=same_topic[0].category)
    if question_id:
        question = _unanswered(_store(admin_of(request)), question_id)
        nearest = _store(admin_of(request)).get(question.best_key or "", question.language)
        form = replace(
            form,
            language=question.language,
            question=question.text,
            category=nearest.category if nearest else "",
            unanswered=question.id,
        )
    return _entry_page(request, form, new=True)


@router.get("/admin/kb/entry/{language}/{key}")
def entry_page(
    request: Request,
    language: str,
    key: str,
    unanswered: str = "",
    saved: str = "",
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    question_id, saved_version = _number(unanswered, "unanswered"), _number(saved, "saved")
    store = _store(admin_of(request))
    entry = store.get(key, _language(language))
    if entry is None:
        raise HTTPException(404, f"There is no entry {key!r} in {NAMES[language]}.")
    form = EntryForm.of(entry)
    if question_id and user.may("supervisor"):  # add the question as one more way to ask this
        question = _unanswered(store, question_id)
        alternates = f"{form.alternates}\n{question.text}".strip()
        form = replace(form, alternates=alternates, unanswered=question.id)
    notice = f"Saved as version {saved_version}." if saved_version else ""
    return _entry_page(request, form, notice=notice)


async def _save(request: Request, user: User, form: EntryForm, new: bool) -> Response:
    """Save the form as a new version (or a new entry); the form again with its problems."""
    context = admin_of(request)
    store = _store(context)
    draft = form.draft()
    problems = problems_of(draft, _categories(context))
    current = await run_in_threadpool(store.get, draft.key, draft.language)
    if new and current is not None and "key" not in problems:
        problems["key"] = (
            f"There is already an entry {draft.key!r} in {NAMES[draft.language]}: "
            "open it from the list to change it."
        )
    if problems:
        return _entry_page(request, form, 422, problems, new=new)
    if current is not None and form.version and current.version != form.version:
        message = (
            f"{current.saved_by} saved version {current.version} after you opened this form, "
            "so your changes are not saved yet: compare them with that version (in the history "
            "below) and save again to replace it."
        )
        return _entry_page(request, replace(form, version=current.version), 409, {"form": message})
    entry, changed = (await run_in_threadpool(store.save_all, [draft], user.username))[0]
    subject = f"{entry.key} ({entry.language})"
    if changed:
        await run_in_threadpool(
            context.users.audit, user.username, "kb-save", subject, f"version {entry.version}"
        )
    if form.unanswered:
        try:
            await run_in_threadpool(store.mark_unanswered, form.unanswered, "added")
        except ValueError:
            pass  # gone meanwhile: the entry is saved all the same
        await run_in_threadpool(
            context.users.audit, user.username, "kb-unanswered-added", subject,
            f"question #{form.unanswered}",
        )  # fmt: skip
    target = f"/admin/kb/entry/{entry.language}/{entry.key}"
    return RedirectResponse(f"{target}?saved={entry.version}" if changed else target, 303)


@router.post("/admin/kb/new")
async def create_entry(request: Request, user: User = Depends(supervisor)) -> Response:  # noqa: B008
    form = EntryForm.read(await request.form())
    return await _save(request, user, replace(form, version=0), new=True)


@router.post("/admin/kb/entry/{language}/{key}")
async def change_entry(
    request: Request,
    language: str,
    key: str,
    user: User = Depends(supervisor),  # noqa: B008
) -> Response:
    form = EntryForm.read(await request.form())
    if await run_in_threadpool(_store(admin_of(request)).get, key, _language(language)) is None:
        raise HTTPException(404, f"There is no entry {key!r} in {NAMES[language]}.")
    return await _save(request, user, replace(form, key=key, language=language), new=False)


@router.post("/admin/kb/entry/{language}/{key}/rollback")
async def rollback_entry(
    request: Request,
    language: str,
    key: str,
    user: User = Depends(supervisor),  # noqa: B008
) -> Response:
    context = admin_of(request)
    version = whole_number(str((await request.form()).get("version") or ""))
    if version is None:
        raise HTTPException(422, "Choose the version to go back to.")
    try:
        entry = await run_in_threadpool(
            _store(context).rollback, key, _language(language), version, user.username
        )
    except ValueError:
        raise HTTPException(404, f"{key} ({language}) has no version {version}.") from None
    detail = f"version {entry.version} = version {version}"
    await run_in_threadpool(
        context.users.audit, user.username, "kb-rollback", f"{key} ({language})", detail
    )
    return RedirectResponse(f"/admin/kb/entry/{language}/{key}?saved={entry.version}", 303)


# -- CSV export and import ---------------------------------------------------------------------
@router.get("/admin/kb/export.csv")
def export_csv(
    request: Request,
    language: str = "",
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    if language:
        _language(language)
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark, so spreadsheets read the file as UTF-8
    csvfile.export_csv(_store(admin_of(request)), out, language or None)
    name = f"knowledge-base-{language or 'all'}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.post("/admin/kb/import")
async def import_csv(request: Request, user: User = Depends(supervisor)) -> Response:  # noqa: B008
    context = admin_of(request)
    upload = (await request.form()).get("file")

    def result(status: int, problems: list[str], message: str = "") -> Response:
        return render(request, "kb_import.html", status, problems=problems, message=message)

    if not isinstance(upload, UploadFile) or not upload.filename:
        return result(422, ["Choose a CSV file to import."])
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        return result(422, [f"The file is larger than {MAX_UPLOAD // 1_000_000} MB."])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return result(
            422, ["The file is not UTF-8 text: in a spreadsheet, save it as “CSV UTF-8”."]
        )
    try:
        rows, changed = await run_in_threadpool(
            import_text, _store(context), text, _categories(context), user.username
        )
    except CsvError as exc:
        return result(422, exc.problems)
    except ValueError as exc:  # the store's own check, should read_csv ever let one through
        return result(422, [str(exc)])
    detail = f"{upload.filename}: {changed} of {rows} rows new or changed"
    await run_in_threadpool(
        context.users.audit, user.username, "kb-import", "knowledge base", detail
    )
    message = f"{rows} rows read from {upload.filename}: {changed} entries new or changed"
    return result(
        200, [], message + (", the others already as in the file." if rows > changed else ".")
    )


# -- the questions the agent could not answer --------------------------------------------------
@router.get("/admin/kb/unanswered")
def unanswered_page(
    request: Request,
    status: str = "new",
    language: str = "",
    page: str = "1",
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    if status not in STATUSES:
        raise HTTPException(404, f"There is no status {status!r}: new, added or dismissed.")
    if language:
        _language(language)
    store = _store(admin_of(request))
    rows = [q for q in reversed(store.unanswered(status)) if not language or q.language == language]
    shown, shown_page, pages = _paged(rows, _number(page, "page"))
    return render(
        request,
        "kb_unanswered.html",
        questions=shown,
        total=len(rows),
        page=shown_page,
        pages=pages,
        status=status,
        statuses=STATUSES,
        language=language,
        languages=LANGUAGES,
        names=NAMES,
        link=lambda **kw: (
            "/admin/kb/unanswered?" + urlencode({"status": status, "language": language, **kw})
        ),
        editor=user.may("supervisor"),
    )


@router.post("/admin/kb/unanswered/{question_id}/dismiss")
async def dismiss(
    request: Request,
    question_id: str,
    user: User = Depends(supervisor),  # noqa: B008
) -> Response:
    context = admin_of(request)
    number = whole_number(question_id)
    try:
        if number is None:
            raise ValueError(question_id)
        await run_in_threadpool(_store(context).mark_unanswered, number, "dismissed")
    except ValueError:
        raise HTTPException(404, f"There is no unanswered question {question_id[:20]}.") from None
    await run_in_threadpool(
        context.users.audit, user.username, "kb-unanswered-dismissed", f"question #{question_id}"
    )
    return RedirectResponse("/admin/kb/unanswered", 303)
