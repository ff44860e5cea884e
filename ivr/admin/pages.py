"""Server-rendered pages: one Jinja2 environment, ``render`` fills in the signed-in user,
the CSRF token and the navigation. Templates live in ``ivr/admin/templates`` (autoescaped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
templates = Jinja2Templates(directory=str(TEMPLATES))

# (path, label, lowest role that sees it)
NAVIGATION = [
    ("/admin/flows", "Call flows", "viewer"),
    ("/admin/prompts", "Prompts", "viewer"),
    ("/admin/kb", "Knowledge base", "viewer"),
    ("/admin/announcement", "Announcement", "viewer"),
    ("/admin/campaigns", "Campaigns", "viewer"),
    ("/admin/reports", "Reports", "viewer"),
    ("/admin/wallboard", "Wallboard", "viewer"),
    ("/admin/queues", "Queues and agents", "viewer"),
    ("/admin/users", "Users", "admin"),
]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    signed = getattr(request.state, "signed_in", None)
    user = signed.user if signed else None
    navigation = [(p, label) for p, label, role in NAVIGATION if user and user.may(role)]
    values = {
        "user": user,
        "csrf": signed.csrf if signed else "",
        "navigation": navigation,
        "path": request.url.path,
        **context,
    }
    return templates.TemplateResponse(request, template, values, status_code=status_code)
