"""The campaigns HTTP API, for systems that push notices (a benefits back office, a results
system): ``Authorization: Bearer <IVR_CAMPAIGN_TOKEN>``; without the setting the API is off
(404). JSON in, JSON out; the same all-or-nothing checks as the CSV upload.

POST /api/campaigns
    {"name": "jan-reminders", "templates": {"vi": "...{amount:money}..."}, "currency": "VND",
     "timezone": "Asia/Ho_Chi_Minh",
     "numbers": [{"number": "0901234567", "language": "vi", "fields": {"amount": "1250000"}}]}
    -> 201 {"id": 1, "added": 1, "duplicates": 0, "opted_out": 0}; 422 {"error": "line 2: ..."}
    ("line" counts as in a CSV: the first number is line 2)
GET /api/campaigns/<name> -> 200 {"name", "status", "counts": {...}}; 404
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ivr.admin.context import admin_of
from ivr.campaigns.store import Row

router = APIRouter()
MAX_NUMBERS = 50_000


def _refused(request: Request) -> JSONResponse | None:
    token = admin_of(request).settings.campaign_token
    if not token:
        return JSONResponse({"error": "the campaigns API is off (IVR_CAMPAIGN_TOKEN)"}, 404)
    sent = request.headers.get("authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return JSONResponse({"error": "a valid bearer token is required"}, 401)
    return None


@router.post("/api/campaigns")
async def create(request: Request) -> JSONResponse:
    refused = _refused(request)
    if refused is not None:
        return refused
    try:
        body = await request.json()
        name, templates, rows, currency = _read(body)
    except ValueError as exc:  # also a body that is not JSON
        return JSONResponse({"error": str(exc)}, 422)
    campaigns = admin_of(request).services.campaigns
    if campaigns is None:
        return JSONResponse({"error": "this IVR keeps no database"}, 503)
    try:
        loaded = await run_in_threadpool(campaigns.create, name, templates, rows, "api", currency)
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, 422)
    result = {"id": loaded.campaign_id, "added": loaded.added}
    result |= {"duplicates": loaded.duplicates, "opted_out": loaded.opted_out}
    return JSONResponse(result, 201)


@router.get("/api/campaigns/{name}")
def status(request: Request, name: str) -> JSONResponse:
    refused = _refused(request)
    if refused is not None:
        return refused
    campaigns = admin_of(request).services.campaigns
    found = campaigns.by_name(name) if campaigns is not None else None
    if campaigns is None or found is None:
        return JSONResponse({"error": f"no campaign named {name!r}"}, 404)
    counts = campaigns.counts(found.id)
    return JSONResponse({"name": found.name, "status": found.status, "counts": counts})


def _read(body: Any) -> tuple[str, dict[str, str], list[Row], str]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    name, templates = body.get("name"), body.get("templates")
    numbers, zone = body.get("numbers"), body.get("timezone", "Asia/Ho_Chi_Minh")
    currency = body.get("currency", "VND")
    if not isinstance(name, str) or not isinstance(currency, str) or not isinstance(zone, str):
        raise ValueError("name, currency and timezone must be strings")
    if not isinstance(templates, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in templates.items()
    ):
        raise ValueError("templates must map languages to texts")
    if not isinstance(numbers, list) or not 0 < len(numbers) <= MAX_NUMBERS:
        raise ValueError(f"numbers must be a list of 1 to {MAX_NUMBERS} objects")
    rows = []
    for line, item in enumerate(numbers, start=2):
        fields = item.get("fields", {}) if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or not isinstance(fields, dict)
            or not all(isinstance(v, str | int) for v in fields.values())
            or not isinstance(item.get("number"), str)
            or not isinstance(item.get("language"), str)
        ):
            raise ValueError(f"line {line}: number and language strings and a fields object")
        rows.append(
            Row(
                line,
                item["number"],
                item["language"],
                str(item.get("timezone") or zone),
                {str(k): str(v) for k, v in fields.items()},
            )
        )
    return name, templates, rows, currency
