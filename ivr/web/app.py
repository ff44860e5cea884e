"""The FastAPI application factory. Routers per concern; state (the outbox, the admin context)
on ``app.state``.

Every route that touches the database is run in FastAPI's thread pool (plain ``def`` or
``run_in_threadpool``): SQLAlchemy sessions here are synchronous. Every request body is size
limited before anything reads it (``ivr.web.body_limit``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import text

from ivr.core.clock import Clock, utc_now
from ivr.core.db import Database
from ivr.sms.outbox import Outbox
from ivr.web import sms_reports
from ivr.web.body_limit import BodyLimit


def make_app(database: Database, clock: Clock = utc_now, admin: Any = None) -> FastAPI:
    """The web app over ``database``; with ``admin`` (an ``ivr.admin.AdminContext``) the admin
    web too. No docs pages: nothing here is a public API."""
    app = FastAPI(title="hotline-ivr", docs_url=None, redoc_url=None, openapi_url=None)
    limits: dict[str, int] = {}
    app.state.database = database
    app.state.outbox = Outbox(database, clock)
    app.include_router(sms_reports.router)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """Up, and the database answers (a load balancer's or Kannel's check)."""
        try:
            with database.session(readonly=True) as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # any database failure means "not healthy", nothing more
            return JSONResponse({"status": "error", "database": type(exc).__name__}, 503)
        return JSONResponse({"status": "ok"})

    if admin is not None:
        from ivr.admin import UPLOAD_LIMITS, install

        install(app, admin)
        limits.update(UPLOAD_LIMITS)

        @app.get("/", include_in_schema=False)
        def root() -> RedirectResponse:
            return RedirectResponse("/admin", status_code=303)

    # Every body is limited before it is parsed (1 MB; uploads their own size, a little over).
    app.add_middleware(BodyLimit, limits=limits)
    return app
