"""The live wallboard (page, JSON, server-sent events), the queues and agents page with the
supervisors' agent actions over AMI, and the admins' queue settings form.

Logic lives in ``ivr.queues`` (``wallboard``, ``ami_actions``, ``editing``, ``saving``); these
routes read the form, check roles (and CSRF, in the ``viewer``/``supervisor``/``admin``
dependencies), call it in the thread pool and render.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ivr.admin.auth import admin, supervisor, viewer
from ivr.admin.context import AdminContext, admin_of
from ivr.admin.pages import render
from ivr.admin.users import User
from ivr.core.languages import LANGUAGES
from ivr.queues.ami_actions import NO_AMI, AmiAnswer, AmiProblem, send, wait_until
from ivr.queues.config import OVERFLOW_CHOICES, QueueConfig
from ivr.queues.editing import (
    CHOICES,
    UnreadableQueueFile,
    form_values,
    queue_file,
    version_of,
)
from ivr.queues.saving import save_queue
from ivr.queues.wallboard import AGENT_BUCKETS, members, queue_pages, wallboard

router = APIRouter()

CHECK_EVERY_S = 0.5  # how often a stream looks for a change
HEARTBEAT_S = 15.0  # a comment line when nothing changed, so proxies keep the stream open
STREAM_S = 60.0  # then the stream ends and EventSource reconnects (retry below), signed in again
RETRY_MS = 2000


# -- wallboard -------------------------------------------------------------------------------


@router.get("/admin/wallboard")
def wallboard_page(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    context = admin_of(request)
    data = _wallboard(context)
    return render(request, "wallboard.html", data=data, buckets=AGENT_BUCKETS, no_ami=NO_AMI)


@router.get("/admin/wallboard.json")
def wallboard_json(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    context = admin_of(request)
    return JSONResponse(_wallboard(context))


@router.get("/admin/wallboard/events")
async def wallboard_events(
    request: Request,
    user: User = Depends(viewer),  # noqa: B008
) -> Response:
    context = admin_of(request)
    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(
        _events(request, context), media_type="text/event-stream", headers=headers
    )


async def _events(request: Request, context: AdminContext) -> AsyncIterator[str]:
    """``data:`` with the wallboard JSON whenever it changed (looked at every 0.5 s), else a
    heartbeat comment; ends when the client goes away or after STREAM_S (it reconnects)."""
    yield f"retry: {RETRY_MS}\n\n"
    started = last_sent = time.monotonic()
    last = ""
    while time.monotonic() - started < STREAM_S:
        if await request.is_disconnected():
            return
        try:
            data = await run_in_threadpool(_wallboard, context)
        except Exception:  # the live state went away (shutting down): end, the client retries
            return
        same = json.dumps({k: v for k, v in data.items() if k != "at"}, sort_keys=True)
        if same != last:
            last, last_sent = same, time.monotonic()
            yield f"event: wallboard\ndata: {json.dumps(data)}\n\n"
        elif time.monotonic() - last_sent >= HEARTBEAT_S:
            last_sent = time.monotonic()
            yield ": heartbeat\n\n"
        await asyncio.sleep(CHECK_EVERY_S)


# -- queues and agents -----------------------------------------------------------------------


@router.get("/admin/queues")
def queues_page(request: Request, user: User = Depends(viewer)) -> Response:  # noqa: B008
    return _queues(request)


def _queues(
    request: Request, status: int = 200, error: str = "", answer: AmiAnswer | None = None
) -> Response:
    context = admin_of(request)
    return render(
        request,
        "queues.html",
        status,
        queues=queue_pages(context.services.state, context.services.queues, context.ami),
        ami=context.ami is not None,
        connected=context.ami is not None and context.ami.client.connected,
        no_ami=NO_AMI,
        error=error,
        answer=answer,
    )


def _queue(request: Request, name: str) -> QueueConfig:
    queue = (admin_of(request).services.queues or {}).get(name)
    if queue is None:
        raise HTTPException(404, f"There is no queue {name!r}.")
    return queue


async def _agent_action(
    request: Request, user: User, name: str, what: str, fields: dict[str, str], done: Any
) -> Response:
    """Send one AMI action, audit it, wait for its event, show the page with the answer."""
    context = admin_of(request)
    detail = ", ".join(f"{k}={v}" for k, v in fields.items() if k != "Queue")
    try:
        answer = await run_in_threadpool(send, context.ami, what, **fields)
    except AmiProblem as exc:
        await run_in_threadpool(
            context.users.audit, user.username, what, name, f"{detail}: {exc.message}"
        )
        return _queues(request, exc.status, error=exc.message)
    await run_in_threadpool(
        context.users.audit, user.username, what, name, f"{detail}: {answer.response}"
    )
    await run_in_threadpool(wait_until, lambda: done(members(context.services.state, name)))
    return _queues(request, answer=answer)


def _logged_in(request: Request, queue: str, interface: str) -> tuple[str | None, Response | None]:
    """The member logged in to ``queue`` on ``interface``, or the page saying why nothing is
    sent: no AMI (503) or no such member (422)."""
    if admin_of(request).ami is None:
        return None, _queues(request, 503, error=f"Nothing was sent. {NO_AMI}")
    live = members(admin_of(request).services.state, queue)
    member = next((n for n, m in live.items() if m["interface"] == interface), None)
    if member is None:
        message = f"{interface or 'No agent'} is not logged in to {queue}."
        return None, _queues(request, 422, error=message)
    return member, None


@router.post("/admin/queues/{name}/pause")
async def pause_member(
    request: Request,
    name: str,
    user: User = Depends(supervisor),  # noqa: B008
) -> Response:
    _queue(request, name)
    form = await request.form()
    interface = str(form.get("interface") or "").strip()
    paused = str(form.get("paused") or "") in ("1", "true", "yes")
    reason = " ".join(str(form.get("reason") or "").split())[:80] if paused else ""
    member, refused = _logged_in(request, name, interface)
    if refused is not None:
        return refused
    fields = {
        "Queue": name,
        "Interface": interface,
        "Paused": "true" if paused else "false",
        "Reason": reason,
    }

    def done(live: dict[str, Any]) -> bool:
        return member in live and live[member]["paused"] == paused

    return await _agent_action(request, user, name, "QueuePause", fields, done)


@router.post("/admin/queues/{name}/login")
async def login_member(
    request: Request,
    name: str,
    user: User = Depends(supervisor),  # noqa: B008
) -> Response:
    queue = _queue(request, name)
    form = await request.form()
    agent = str(form.get("agent") or "").strip()
    paused = str(form.get("paused") or "") in ("1", "true", "yes")
    if admin_of(request).ami is None:
        return _queues(request, 503, error=f"Nothing was sent. {NO_AMI}")
    allowed = (*queue.members, *queue.dynamic_members)
    if agent not in allowed:
        message = f"{agent or 'No agent'} is not an agent of {name} ({', '.join(allowed)})."
        return _queues(request, 422, error=message)
    if agent in members(admin_of(request).services.state, name):
        return _queues(request, 422, error=f"{agent} is already logged in to {name}.")
    fields = {
        "Queue": name,
        "Interface": f"PJSIP/{agent}",
        "MemberName": agent,
        "Paused": "true" if paused else "false",
    }
    return await _agent_action(request, user, name, "QueueAdd", fields, lambda live: agent in live)


@router.post("/admin/queues/{name}/logout")
async def logout_member(
    request: Request,
    name: str,
    user: User = Depends(supervisor),  # noqa: B008
) -> Response:
    _queue(request, name)
    form = await request.form()
    interface = str(form.get("interface") or "").strip()
    member, refused = _logged_in(request, name, interface)
    if refused is not None:
        return refused
    fields = {"Queue": name, "Interface": interface}
    return await _agent_action(
        request, user, name, "QueueRemove", fields, lambda live: member not in live
    )


# -- queue settings ----------------------------------------------------------------------------


@router.get("/admin/queues/{name}/settings")
def settings_page(request: Request, name: str, user: User = Depends(admin)) -> Response:  # noqa: B008
    queue = _queue(request, name)
    text = queue_file(admin_of(request).settings, queue).read_text(encoding="utf-8")
    try:
        values = form_values(text)
    except UnreadableQueueFile as exc:
        return _unreadable(request, queue, str(exc))
    return _settings(request, queue, {**values, "version": version_of(text)})


def _unreadable(request: Request, queue: QueueConfig, reason: str) -> Response:
    """The queue file on disk cannot be shown in the form (edited by hand since it was read)."""
    problem = f"queues/{queue.file} cannot be changed from here: {reason}. Fix it in the file."
    return _settings(request, queue, {}, 422, problems=[problem])


def _settings(
    request: Request, queue: QueueConfig, values: dict[str, Any], status: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "queues_settings.html",
        status,
        queue=queue,
        values=values,
        choices=CHOICES,
        statuses=OVERFLOW_CHOICES,
        languages=LANGUAGES,
        ami=admin_of(request).ami is not None,
        **{"problems": [], "fields": {}, "result": None, "conflict": False, **extra},
    )


@router.post("/admin/queues/{name}/settings")
async def save_settings(
    request: Request,
    name: str,
    user: User = Depends(admin),  # noqa: B008
) -> Response:
    queue = _queue(request, name)
    context = admin_of(request)
    raw = await request.form()
    form: dict[str, Any] = {k: str(v) for k, v in raw.items()}
    form["overflow.to_ai_agent"] = [str(v) for v in raw.getlist("overflow.to_ai_agent")]
    result = await run_in_threadpool(save_queue, context.settings, context.ami, queue, form)
    if result.queues is not None:
        context.services.queues = result.queues  # the flow engine's next call sees them
    if result.conflict:
        message = (
            f"queues/{queue.file} was changed since you opened this form (by someone else?). "
            "Open the settings again and redo your change."
        )
        return _settings(request, queue, form, 409, conflict=message)
    if result.problems:
        fields = result.field_problems()
        return _settings(request, queue, form, 422, problems=result.problems, fields=fields)
    if result.changes:
        done = [f"wrote {n}" for n in result.rendered] + [str(a) for a in result.reloads]
        detail = "; ".join(result.changes + done + [result.reload_error])
        await run_in_threadpool(
            context.users.audit, user.username, "queue-settings", name, detail.strip("; ")
        )
    fresh = _queue(request, name)
    text = queue_file(context.settings, fresh).read_text(encoding="utf-8")
    try:
        values = {**form_values(text), "version": version_of(text)}
    except UnreadableQueueFile as exc:
        return _unreadable(request, fresh, str(exc))
    return _settings(request, fresh, values, result=result)


def _wallboard(context: AdminContext) -> dict[str, Any]:
    services = context.services
    return wallboard(services.state, services.queues, services.clock(), context.ami)
