"""Call flows: the list, the editor (tree, node forms, raw text), drafts, publish, history,
diff, rollback, and the test call. Viewers read and run test calls; admins change flows.

Every change is saved as a draft first, checked as the engine checks the folder; a draft with
problems is kept (422 with the problems by line) and cannot be published. A form edit changes
only the lines of what it changed (``ivr.flow.roundtrip``); the raw text is kept as the admin
typed it; publishing refuses a draft that lost a comment line the admin did not delete. The
logic is in ``ivr.flow.drafts`` and ``ivr.flow.edit``; the test call in ``ivr.admin.test_call``.
Each POST answers with the editor page, or JSON when the request asks for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ivr.admin import test_call
from ivr.admin.auth import admin, viewer
from ivr.admin.context import AdminContext, admin_of
from ivr.admin.errors import wants_html
from ivr.admin.pages import render
from ivr.admin.users import User
from ivr.core.digits import whole_number
from ivr.flow import edit
from ivr.flow.drafts import DraftError, FlowDrafts, NoSuchFile
from ivr.flow.yaml_reader import Problem

router = APIRouter()


def drafts_of(context: AdminContext) -> FlowDrafts:
    flows = context.services.flows
    return FlowDrafts(
        context.database, flows.directory, flows.known_scripts, lambda: context.services.clock()
    )


async def _payload(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise HTTPException(400, "The request body is not JSON.") from None
        if not isinstance(body, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        return {str(k): str(v) for k, v in body.items()}
    form = await request.form()
    return {k: str(v) for k, v in form.items() if k != "csrf_token"}


def _problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "line": p.line, "path": p.path, "message": p.message} for p in problems
    ]


# -- pages ------------------------------------------------------------------------------------
@router.get("/admin/flows")
def flow_list(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    context = admin_of(request)
    drafts = drafts_of(context)
    flows = {flow.source.rsplit("/", 1)[-1]: flow for flow in context.services.flows.current()}
    states = drafts.files()
    if not wants_html(request):
        return JSONResponse(
            [
                {
                    "file": s.file,
                    "flow": flows[s.file].id if s.file in flows else None,
                    "numbers": list(flows[s.file].numbers) if s.file in flows else [],
                    "version": s.version,
                    "draft": s.draft is not None,
                    "problems": s.problems,
                    "conflict": s.conflict,
                }
                for s in states
            ]
        )
    return render(request, "flows.html", states=states, flows=flows)


@router.get("/admin/flows/{file}")
def flow_page(request: Request, file: str, user: User = Depends(viewer)) -> Response:  # noqa: B008
    return _editor(request, user, file)


@router.get("/admin/flows/{file}/diff")
def flow_diff(
    request: Request,
    file: str,
    a: str = "published",
    b: str = "draft",
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    drafts = drafts_of(admin_of(request))
    try:
        text = drafts.diff(file, a, b)
    except NoSuchFile as exc:
        raise HTTPException(404, str(exc)) from None
    except DraftError as exc:
        raise HTTPException(404, str(exc)) from None
    if not wants_html(request):
        return JSONResponse({"file": file, "a": a, "b": b, "diff": text})
    lines = [(_diff_class(line), line.rstrip("\n")) for line in text.splitlines(keepends=True)]
    return render(request, "flows_diff.html", file=file, a=a, b=b, lines=lines)


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "muted"
    return {"+": "add", "-": "del", "@": "muted"}.get(line[:1], "")


# -- changes (admins) -------------------------------------------------------------------------
@router.post("/admin/flows/{file}/save")
async def save(request: Request, file: str, user: User = Depends(admin)) -> Response:  # noqa: B008
    payload = await _payload(request)
    if "text" not in payload:
        raise HTTPException(422, "Send the flow text in the field 'text'.")
    # as typed, but for line ends: a browser sends a textarea's lines ended by CRLF, and the
    # files are read with universal newlines
    text = payload["text"].replace("\r\n", "\n")
    return await run_in_threadpool(_save_text, request, user, file, text, "flow-save", "")


@router.post("/admin/flows/{file}/nodes/{node_id}")
async def edit_node(
    request: Request,
    file: str,
    node_id: str,
    user: User = Depends(admin),  # noqa: B008
) -> Response:
    payload = await _payload(request)
    deleting = payload.get("action") == "delete"

    def change(data: dict[str, Any]) -> None:
        if deleting:
            edit.delete_node(data, node_id)
        else:
            edit.edit_node(data, node_id, payload)

    action = "flow-node-delete" if deleting else "flow-node-edit"
    return await run_in_threadpool(_form_edit, request, user, file, change, action, node_id)


@router.post("/admin/flows/{file}/nodes")
async def add_node(request: Request, file: str, user: User = Depends(admin)) -> Response:  # noqa: B008
    payload = await _payload(request)
    node_id, kind = payload.get("node_id", ""), payload.get("type", "")

    def change(data: dict[str, Any]) -> None:
        edit.add_node(data, node_id, kind)

    return await run_in_threadpool(
        _form_edit, request, user, file, change, "flow-node-add", node_id
    )


@router.post("/admin/flows/{file}/publish")
async def publish(request: Request, file: str, user: User = Depends(admin)) -> Response:  # noqa: B008
    payload = await _payload(request)
    note, overwrite = payload.get("note", "").strip(), payload.get("overwrite") == "1"
    return await run_in_threadpool(_publish, request, user, file, note, overwrite)


@router.post("/admin/flows/{file}/rollback")
async def rollback(request: Request, file: str, user: User = Depends(admin)) -> Response:  # noqa: B008
    payload = await _payload(request)
    version = whole_number(payload.get("version", ""))  # ASCII digits: not "²", not "١"
    if version is None:
        raise HTTPException(422, "Choose the version to roll back to.")
    return await run_in_threadpool(_rollback, request, user, file, version)


@router.post("/admin/flows/{file}/discard")
def discard(request: Request, file: str, user: User = Depends(admin)) -> Response:  # noqa: B008
    context = admin_of(request)
    if drafts_of(context).discard(file):
        context.users.audit(user.username, "flow-discard", file, "draft discarded")
    return _editor(request, user, file, message="The draft was discarded.")


# -- the test call (viewers too) --------------------------------------------------------------
@router.post("/admin/flows/{file}/test-call")
async def run_test_call(
    request: Request,
    file: str,
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    payload = await _payload(request)
    return await run_in_threadpool(_test_call, request, user, file, payload)


def _test_call(request: Request, user: User, file: str, payload: dict[str, str]) -> Response:
    context = admin_of(request)
    services = context.services
    drafts = drafts_of(context)
    text = _working(drafts, file)
    number = payload.get("number", "").strip()
    language = payload.get("language", "").strip() or "en"
    outcome = payload.get("queue_outcome", "ANSWERED")
    form = {"number": number, "steps": payload.get("steps", ""), "language": language}
    form["queue_outcome"] = outcome
    errors: list[str] = []
    if outcome not in test_call.QUEUE_OUTCOMES:
        errors.append(f"queue outcome: choose one of {', '.join(test_call.QUEUE_OUTCOMES)}")
    numbers = edit.numbers(text)
    if number not in numbers:
        errors.append(f"number: choose one of the numbers of {file}: {', '.join(numbers)}")
    try:
        actions = test_call.parse_steps(form["steps"], language, services.recognizers)
    except test_call.StepError as exc:
        errors += exc.messages
    if errors:
        return _answer(request, user, file, 422, test_form=form, test_errors=errors)
    files = {p.name: p.read_text(encoding="utf-8") for p in drafts.directory.glob("*.yaml")}
    files[file] = text
    result = test_call.run_test_call(services, files, number, actions, outcome)
    status = 200 if not result.error else 422
    return _answer(request, user, file, status, test_form=form, test=result)


# -- the work behind the routes ---------------------------------------------------------------
def _working(drafts: FlowDrafts, file: str) -> str:
    try:
        return drafts.working_text(file)
    except NoSuchFile as exc:
        raise HTTPException(404, str(exc)) from None


def _save_text(
    request: Request, user: User, file: str, text: str, action: str, subject: str, edited: str = ""
) -> Response:
    """``edited``: the text a form edit changed into ``text`` ("": the admin typed ``text``)."""
    context = admin_of(request)
    drafts = drafts_of(context)
    _working(drafts, file)
    problems = drafts.save_draft(file, text, user.username, edited_from=edited or None)
    detail = f"{len(problems)} problem(s)" if problems else "valid"
    context.users.audit(user.username, action, f"{file} {subject}".strip(), detail)
    if problems:
        message = (
            f"The draft is saved, but it has {len(problems)} problem(s): "
            "it cannot be published until they are fixed."
        )
        return _answer(request, user, file, 422, message=message, problems=problems)
    message = "The draft is saved and valid: publish it to put it in force."
    return _answer(request, user, file, 200, message=message)


def _form_edit(
    request: Request,
    user: User,
    file: str,
    change: Callable[[dict[str, Any]], None],
    action: str,
    node_id: str,
) -> Response:
    drafts = drafts_of(admin_of(request))
    text = _working(drafts, file)
    try:
        data = edit.load(text)
        change(data)
    except edit.EditError as exc:
        return _answer(request, user, file, 422, form_error=str(exc))
    return _save_text(request, user, file, edit.dump(data, text), action, node_id, edited=text)


def _publish(request: Request, user: User, file: str, note: str, overwrite: bool) -> Response:
    context = admin_of(request)
    drafts = drafts_of(context)
    _working(drafts, file)
    conflict = drafts.conflict(file)
    if conflict and not overwrite:
        message = conflict + " Tick 'publish anyway' to replace it."
        return _answer(request, user, file, 409, form_error=message)
    try:
        version = drafts.publish(file, user.username, note)
    except DraftError as exc:
        return _answer(request, user, file, 422, form_error=str(exc), problems=exc.problems)
    context.services.flows.current()  # load it now; every call also checks the files
    context.users.audit(user.username, "flow-publish", file, f"v{version.version} {note}".strip())
    message = f"Version {version.version} of {file} is published: in force for the next call."
    return _answer(request, user, file, 200, message=message, version=version.version)


def _rollback(request: Request, user: User, file: str, number: int) -> Response:
    context = admin_of(request)
    drafts = drafts_of(context)
    _working(drafts, file)
    try:
        version = drafts.rollback(file, number, user.username)
    except DraftError as exc:
        return _answer(request, user, file, 422, form_error=str(exc), problems=exc.problems)
    context.services.flows.current()
    context.users.audit(user.username, "flow-rollback", file, f"v{version.version}: to v{number}")
    message = (
        f"Rolled back to version {number} (now version {version.version}): "
        "in force for the next call."
    )
    return _answer(request, user, file, 200, message=message, version=version.version)


def _answer(request: Request, user: User, file: str, status: int, **extra: Any) -> Response:
    if wants_html(request):
        return _editor(request, user, file, status, **extra)
    body: dict[str, Any] = {"file": file}
    for key, value in extra.items():
        if key == "problems":
            body[key] = _problem_rows(value)
        elif key == "form_error":
            body["error"] = value
        elif key == "test":
            body["test"] = {
                "heard": value.heard,
                "route": value.route,
                "transcript": value.transcript,
                "error": value.error,
            }
        elif key not in ("test_form",):
            body[key] = value
    return JSONResponse(body, status_code=status)


def _editor(request: Request, user: User, file: str, status: int = 200, **extra: Any) -> Response:
    drafts = drafts_of(admin_of(request))
    try:
        values = editor_context(drafts, admin_of(request), file, user)
    except NoSuchFile as exc:
        raise HTTPException(404, str(exc)) from None
    if not wants_html(request):
        return JSONResponse(
            {
                "file": file,
                "text": values["text"],
                "draft": values["draft"] is not None,
                "version": values["published"].version if values["published"] else 0,
                "problems": _problem_rows(values["problems"]),
                "conflict": values["conflict"],
            }
        )
    values.update(extra)
    return render(request, "flows_edit.html", status, **values)


def editor_context(
    drafts: FlowDrafts, context: AdminContext, file: str, user: User
) -> dict[str, Any]:
    """What the editor page shows: the working text and its problems, the tree and node
    forms (when the text is readable YAML), history, and the test call's defaults."""
    on_disk = (drafts.directory / file).is_file()
    published = drafts.published(file) if on_disk else None
    draft = drafts.draft(file)
    if draft is None and published is None:
        raise NoSuchFile(f"There is no flow file {file}.")
    text = draft.text if draft else published.text  # type: ignore[union-attr]
    data, edit_error, root = None, "", None
    unreachable: list[str] = []
    try:
        data = edit.load(text)
        root, unreachable = edit.tree(data)
    except edit.EditError as exc:
        edit_error = str(exc)
    langs = edit.languages(data) if data else []
    numbers = edit.numbers(text)
    recognizers = context.services.recognizers
    default_language = str((data or {}).get("default_language") or (langs or ["en"])[0])
    return {
        "file": file,
        "text": text,
        "draft": draft,
        "published": published,
        "problems": drafts.problems(file, text),
        "conflict": drafts.conflict(file),
        "data": data,
        "nodes": (data or {}).get("nodes") or {},
        "edit_error": edit_error,
        "languages": langs,
        "node_ids": list((data or {}).get("nodes") or {}),
        "node_types": edit.NODE_TYPES,
        "root": root,
        "unreachable": unreachable,
        "history": drafts.history(file),
        "numbers": numbers,
        "speech_languages": [
            lang for lang in langs if recognizers is not None and recognizers.get(lang)
        ],
        "queue_outcomes": test_call.QUEUE_OUTCOMES,
        "test_form": {
            "number": numbers[0] if numbers else "",
            "steps": "",
            "language": default_language,
            "queue_outcome": "ANSWERED",
        },
        "may_edit": user.may("admin"),
    }
