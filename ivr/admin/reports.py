"""Reports (``/admin/reports``): the figures of a range of local days as tables and charts, and
every table as CSV (``/admin/reports/<table>.csv`` with the same query string). Viewers and up.

The hotline's local time is the time zone of the flows in force (the chosen flow's, with a
flow filter); ``ivr.reports.filters.DEFAULT_ZONE`` when there are no flows.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from ivr.admin.auth import viewer
from ivr.admin.context import AdminContext, admin_of
from ivr.admin.pages import render
from ivr.admin.users import User
from ivr.flow.model import ScriptNode
from ivr.reports import DEFAULT_ZONE, NAMES, ReportError, ReportFilter, Table, read_filter, report
from ivr.reports.charts import bar_chart
from ivr.reports.filters import AI_SCRIPT, PRESETS

router = APIRouter()


@router.get("/admin/reports")
def reports_page(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    context = admin_of(request)
    choices = _choices(context)
    try:
        f = _filter(request, context)
    except ReportError as exc:
        return render(request, "reports.html", 422, error=str(exc), form=_form(request), **choices)
    tables = report(context.database, f, context.services.clock())
    return render(
        request,
        "reports.html",
        f=f,
        form=_form(request),
        tables=tables,
        charts=_charts(tables),
        query=str(request.url.query),
        **choices,
    )


@router.get("/admin/reports/{name}.csv")
def report_csv(request: Request, name: str, user: User = Depends(viewer)) -> Response:  # noqa: B008
    if name not in NAMES:
        raise HTTPException(404, f"There is no report table {name!r}.")
    context = admin_of(request)
    try:
        f = _filter(request, context)
    except ReportError as exc:
        raise HTTPException(422, str(exc)) from None
    table = report(context.database, f, context.services.clock(), only=name)[name]
    filename = f"{name}_{f.first}_{f.last}.csv"
    return Response(
        "\ufeff" + table.csv(),  # the byte-order mark makes spreadsheets read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _filter(request: Request, context: AdminContext) -> ReportFilter:
    flows = list(context.services.flows.current())
    params = dict(request.query_params)
    chosen = [flow for flow in flows if flow.id == params.get("flow")]
    zones = [flow.timezone for flow in chosen or flows]
    zone = ZoneInfo(zones[0] if zones else DEFAULT_ZONE)
    today = context.services.clock().astimezone(zone).date()
    ai_nodes = [
        (flow.id, node.id)
        for flow in flows
        for node in flow.nodes.values()
        if isinstance(node, ScriptNode) and node.script == AI_SCRIPT
    ]
    return read_filter(params, today, zone, ai_nodes)


def _choices(context: AdminContext) -> dict[str, Any]:
    return {
        "flows": [flow.id for flow in context.services.flows.current()],
        "queues": sorted(context.services.queues or {}),
        "presets": [
            ("today", "Today"),
            ("yesterday", "Yesterday"),
            ("7", "Last 7 days"),
            ("30", "Last 30 days"),
        ],
        "known": list(PRESETS),
    }


def _form(request: Request) -> dict[str, str]:
    keys = ("preset", "start", "end", "queue", "flow", "within")
    return {key: request.query_params.get(key, "") for key in keys}


def _charts(tables: dict[str, Table]) -> dict[str, Any]:
    hours, days = tables["calls_by_hour"].rows, tables["calls_by_day"].rows
    return {
        "calls_by_hour": bar_chart(
            "Calls per hour of the day", [r[0] for r in hours], [r[1] for r in hours], every=2
        ),
        "calls_by_day": bar_chart(
            "Calls per day",
            [r[0][5:] for r in days],
            [r[1] for r in days],
            every=max(1, len(days) // 10),
        ),
        "satisfaction_scores": bar_chart(
            "Satisfaction scores",
            [str(r[0]) for r in tables["satisfaction_scores"].rows],
            [r[1] for r in tables["satisfaction_scores"].rows],
        ),
    }
