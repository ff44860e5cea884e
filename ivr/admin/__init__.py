"""The admin web (``/admin``): sign-in and roles, call flows with drafts and history, the test
call, prompts, knowledge base, emergency announcement, reports, wallboard, queues and agents.

One router per page family; ``install`` adds them all, with the static files and the error
pages, to the app ``ivr.web.app.make_app`` builds.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ivr.admin import announcement, auth, errors, flows, home, kb, live, prompts, reports
from ivr.admin.context import AdminContext
from ivr.admin.pages import STATIC

ROUTERS = [auth, home, flows, prompts, kb, announcement, reports, live]


def install(app: FastAPI, context: AdminContext) -> None:
    app.state.admin = context
    app.mount("/admin/static", StaticFiles(directory=str(STATIC)), name="admin-static")
    for module in ROUTERS:
        app.include_router(module.router)
    errors.install(app)


__all__ = ["AdminContext", "install"]
