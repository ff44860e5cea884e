"""The admin web (``/admin``): sign-in and roles, call flows with drafts and history, the test
call, prompts, knowledge base, emergency announcement, campaigns, reports, wallboard, queues
and agents.

One router per page family; ``install`` adds them all, with the static files and the error
pages, to the app ``ivr.web.app.make_app`` builds.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ivr.admin import (
    announcement,
    auth,
    campaigns,
    campaigns_api,
    errors,
    flows,
    home,
    kb,
    live,
    prompts,
    reports,
)
from ivr.admin.context import AdminContext
from ivr.admin.pages import STATIC
from ivr.tts.recordings import MAX_BYTES as MAX_RECORDING_BYTES

ROUTERS = [auth, home, flows, prompts, kb, announcement, campaigns, campaigns_api, reports, live]
# The paths that take a file, with their body limits: the file's own limit and room for the
# multipart envelope and a file somewhat over it (which the page then refuses in its own words:
# "at most 20 MB"). Every other request body is limited by the web app's default (1 MB).
_ROOM = 4 * 1024 * 1024
UPLOAD_LIMITS = {
    "/admin/prompts/upload": MAX_RECORDING_BYTES + _ROOM,
    "/admin/kb/import": kb.MAX_UPLOAD + _ROOM,
    "/admin/campaigns": campaigns.MAX_UPLOAD + _ROOM,
    "/api/campaigns": campaigns.MAX_UPLOAD + _ROOM,
}


def install(app: FastAPI, context: AdminContext) -> None:
    app.state.admin = context
    app.mount("/admin/static", StaticFiles(directory=str(STATIC)), name="admin-static")
    for module in ROUTERS:
        app.include_router(module.router)
    errors.install(app)


__all__ = ["UPLOAD_LIMITS", "AdminContext", "install"]
