"""Admin web test helpers: users of each role and an HTTP client that signs in through the
real login form and carries the session's CSRF token, against a running ``ivr`` web side."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ivr.admin.users import Users
from ivr.app import RunningIvr

PASSWORD = "correct horse battery"
ROLES = ("admin", "supervisor", "viewer")
HTML = {"accept": "text/html"}


def users_of(ivr: RunningIvr) -> Users:
    return Users(ivr.services.outbox.database, lambda: ivr.services.clock())


def add_users(ivr: RunningIvr) -> None:
    """One user per role, named after it (``admin``, ``supervisor``, ``viewer``)."""
    users = users_of(ivr)
    for role in ROLES:
        users.create(role, PASSWORD, role)


class AdminClient:
    """A browser-like client: cookies kept, forms posted with ``csrf_token``."""

    def __init__(self, ivr: RunningIvr) -> None:
        self.base = ivr.web.url
        self.http = httpx.Client(base_url=self.base, timeout=120.0, follow_redirects=False)
        self.csrf = ""

    def close(self) -> None:
        self.http.close()

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        page = self.http.get("/admin/login", headers=HTML)
        token = _hidden(page.text, "csrf_token")
        reply = self.http.post(
            "/admin/login",
            data={"username": username, "password": password, "csrf_token": token},
            headers=HTML,
        )
        if reply.status_code == 303:
            self.csrf = _meta_csrf(self.http.get("/admin", headers=HTML).text)
        return reply

    def get(self, path: str, **kw: Any) -> httpx.Response:
        kw.setdefault("headers", HTML)
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        """A form post with this session's CSRF token (unless ``data`` brings its own)."""
        kw.setdefault("headers", HTML)
        return self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A JSON call with the CSRF header, as the pages' scripts make them."""
        headers = {"accept": "application/json", "x-csrf-token": self.csrf}
        return self.http.request(method, path, headers=headers, **kw)


def signed_in(ivr: RunningIvr, role: str) -> AdminClient:
    client = AdminClient(ivr)
    reply = client.sign_in(role)
    assert reply.status_code == 303, reply.text
    return client


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in the page"
    return found.group(1)


def _meta_csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', html)
    assert found and found.group(1), "no CSRF token in the page"
    return found.group(1)
