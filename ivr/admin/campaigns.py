"""The notification campaigns page: viewers follow them, supervisors load, pause and resume.

A campaign is loaded from a CSV upload and one template per language, all or nothing (the
store names the first bad line). The dialling itself is the campaign dialer's (``ivr serve``
with AMI); this page shows where each campaign stands and its results per number as CSV.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ivr.admin.auth import supervisor, viewer
from ivr.admin.context import AdminContext, admin_of
from ivr.admin.pages import render
from ivr.admin.users import User
from ivr.campaigns.store import Campaigns, read_csv
from ivr.core.digits import whole_number
from ivr.core.languages import LANGUAGES

router = APIRouter()
MAX_UPLOAD = 5_000_000  # about 50,000 numbers
DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def _campaigns(context: AdminContext) -> Campaigns:
    campaigns = context.services.campaigns
    if campaigns is None:
        raise RuntimeError("this IVR keeps no database: no campaigns")
    return campaigns


@router.get("/admin/campaigns")
def campaigns_page(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    return _page(request)


def _page(
    request: Request,
    values: dict[str, str] | None = None,
    problem: str = "",
    message: str = "",
    status: int = 200,
) -> Response:
    campaigns = _campaigns(admin_of(request))
    shown = [(c, campaigns.counts(c.id)) for c in reversed(campaigns.all())]
    return render(
        request,
        "campaigns.html",
        status,
        campaigns=shown,
        languages=LANGUAGES,
        values=values or {"currency": "VND", "timezone": DEFAULT_ZONE},
        problem=problem,
        message=message,
    )


@router.post("/admin/campaigns")
async def create(request: Request, user: User = Depends(supervisor)) -> Response:  # noqa: B008
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    upload = form.get("file")

    def refused(problem: str) -> Response:
        return _page(request, values, f"Not loaded: {problem}", status=422)

    if not isinstance(upload, UploadFile) or not upload.filename:
        return refused("choose the CSV file of numbers.")
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        return refused(f"the file is larger than {MAX_UPLOAD // 1_000_000} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return refused("the file is not UTF-8 text: in a spreadsheet, save it as “CSV UTF-8”.")
    templates = {
        lang: values[f"template_{lang}"].strip()
        for lang in LANGUAGES
        if values.get(f"template_{lang}", "").strip()
    }
    campaigns = _campaigns(admin_of(request))
    try:
        rows = read_csv(text, values.get("timezone", "").strip() or DEFAULT_ZONE)
        loaded = await run_in_threadpool(
            campaigns.create,
            values.get("name", ""),
            templates,
            rows,
            user.username,
            values.get("currency", "VND").strip() or "VND",
        )
    except ValueError as exc:
        return refused(f"{exc}. Nothing was loaded.")
    detail = f"{upload.filename}: {loaded.added} numbers, {loaded.opted_out} opted out"
    await run_in_threadpool(
        admin_of(request).users.audit, user.username, "campaign-create", values["name"], detail
    )
    return _page(
        request,
        message=f"Campaign {values['name'].strip()} loaded: {loaded.added} numbers"
        f" ({loaded.duplicates} repeated lines skipped, {loaded.opted_out} on the opt-out"
        " list, not called).",
    )


@router.post("/admin/campaigns/{campaign_id}/{action}")
async def pause_or_resume(
    request: Request,
    campaign_id: str,
    action: str,
    user: User = Depends(supervisor),  # noqa: B008
) -> Response:
    number = whole_number(campaign_id)
    campaigns = _campaigns(admin_of(request))
    found = campaigns.campaign(number) if number is not None else None
    if found is None or action not in ("pause", "resume"):
        return _page(request, problem="No such campaign or action.", status=404)
    status = "paused" if action == "pause" else "active"
    await run_in_threadpool(campaigns.set_status, found.id, status)
    await run_in_threadpool(
        admin_of(request).users.audit, user.username, f"campaign-{action}", found.name, ""
    )
    return RedirectResponse("/admin/campaigns", status_code=303)


@router.get("/admin/campaigns/{campaign_id}/results.csv")
def results(
    request: Request,
    campaign_id: str,
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    number = whole_number(campaign_id)
    campaigns = _campaigns(admin_of(request))
    found = campaigns.campaign(number) if number is not None else None
    if found is None:
        return _page(request, problem="No such campaign.", status=404)
    return Response(
        campaigns.results_csv(found.id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{found.id}.csv"'},
    )


@router.post("/admin/campaigns-opt-out")
async def opt_out(request: Request, user: User = Depends(supervisor)) -> Response:  # noqa: B008
    form = await request.form()
    number = str(form.get("number") or "")
    try:
        added = await run_in_threadpool(
            _campaigns(admin_of(request)).opt_out, number, f"staff:{user.username}"
        )
    except ValueError:
        return _page(request, problem=f"{number!r} is not a phone number.", status=422)
    await run_in_threadpool(
        admin_of(request).users.audit, user.username, "campaign-opt-out", "", ""
    )
    done = "added to the opt-out list" if added else "was already on the opt-out list"
    return _page(request, message=f"The number {done}: no notice calls to it in any campaign.")
