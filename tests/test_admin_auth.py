"""Admin web: sign-in, sessions, roles, CSRF, error pages, `ivr admin create-user`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ivr.admin.users as users_module
from tests.admin_client import HTML, PASSWORD, AdminClient, _hidden, add_users, signed_in
from tests.conftest_postgres import both_databases


def test_pages_need_a_session_and_the_login_form_gives_one(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    client = AdminClient(ivr)
    page = client.get("/admin/users?x=1")
    assert page.status_code == 303
    assert page.headers["location"] == "/admin/login?next=/admin/users%3Fx%3D1"
    api = client.api("GET", "/admin/users")
    assert api.status_code == 401 and api.json() == {"error": "Sign in first."}
    wrong = client.sign_in("admin", "not the password")
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    assert client.sign_in("admin").status_code == 303
    home = client.get("/admin")
    assert home.status_code == 200 and "health_hotline" in home.text
    cookie = next(c for c in client.http.cookies.jar if c.name == "ivr_admin")
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_five_wrong_passwords_lock_the_name_for_a_while(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    client = AdminClient(ivr)
    for _ in range(5):
        assert client.sign_in("viewer", "guessing-123").status_code == 401
    locked = client.sign_in("viewer")  # the right password, too late
    assert locked.status_code == 429 and "try again in 15 minutes" in locked.text


def test_roles_are_checked_and_csrf_is_required(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    viewer, admin = signed_in(ivr, "viewer"), signed_in(ivr, "admin")
    refused = viewer.get("/admin/users")
    assert refused.status_code == 403
    assert "This needs the admin role; you are signed in as a viewer." in refused.text
    assert "Traceback" not in refused.text
    new = {"username": "lan.nguyen", "password": "a long password", "role": "supervisor"}
    no_token = admin.http.post("/admin/users", data=new, headers=HTML)
    assert no_token.status_code == 403 and "security token" in no_token.text
    bad_token = admin.post("/admin/users", {**new, "csrf_token": "forged"})
    assert bad_token.status_code == 403
    assert admin.post("/admin/users", new).status_code == 303
    assert "lan.nguyen" in admin.get("/admin/users").text
    short = admin.post("/admin/users", {**new, "username": "bao", "password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    last = admin.post("/admin/users/admin", {"role": "viewer"})
    assert last.status_code == 422 and "last admin" in last.text


def test_a_disabled_user_is_signed_out(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor, admin = signed_in(ivr, "supervisor"), signed_in(ivr, "admin")
    assert supervisor.get("/admin").status_code == 200
    assert admin.post("/admin/users/supervisor", {"disabled": "1"}).status_code == 303
    assert supervisor.get("/admin").status_code == 303  # back to the sign-in form
    assert supervisor.sign_in("supervisor").status_code == 401


def test_unknown_pages_and_sign_out(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    viewer = signed_in(ivr, "viewer")
    missing = viewer.get("/admin/no-such-page")
    assert missing.status_code == 404 and "There is no such page." in missing.text
    assert viewer.api("GET", "/admin/no-such-page").json() == {"error": "There is no such page."}
    assert viewer.post("/admin/logout").status_code == 303
    assert viewer.get("/admin").status_code == 303


def test_create_user_command(tmp_path: Any) -> None:
    env = {**os.environ, "IVR_DATA_DIR": str(tmp_path), "IVR_ADMIN_PASSWORD": PASSWORD}
    run = [sys.executable, "-m", "ivr.cli", "admin"]
    made = subprocess.run(
        [*run, "create-user", "minh", "--role", "supervisor"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0 and "user minh (supervisor) created" in made.stdout
    again = subprocess.run(
        [*run, "create-user", "minh", "--role", "admin"], env=env, capture_output=True, text=True
    )
    assert again.returncode == 2 and "exists already" in again.stderr
    weak = subprocess.run(
        [*run, "create-user", "an", "--role", "admin", "--password-stdin"],
        env=env,
        input="short\n",
        capture_output=True,
        text=True,
    )
    assert weak.returncode == 2 and "at least 10 characters" in weak.stderr
    listed = subprocess.run([*run, "list-users"], env=env, capture_output=True, text=True)
    assert listed.stdout.split() == ["minh", "supervisor", "active"]


@both_databases
def test_forty_guesses_at_once_get_five_password_checks(
    make_ivr: Any, monkeypatch: Any, backing: dict[str, str]
) -> None:
    """The lock-out holds when the guesses arrive together: each attempt is counted before its
    (slow) password check, so no more than five checks run, and nobody is signed in."""
    ivr = make_ivr(**backing)
    add_users(ivr)
    checks: list[str] = []
    real_check = users_module.check_password

    def counted(password: str, stored: str) -> bool:
        checks.append(password)
        return real_check(password, stored)

    monkeypatch.setattr(users_module, "check_password", counted)
    client = AdminClient(ivr)
    token = _hidden(client.get("/admin/login").text, "csrf_token")
    start = threading.Barrier(40)

    def guess(n: int) -> int:
        start.wait()
        form = {"username": "admin", "password": f"guess-{n:04d}-x", "csrf_token": token}
        return client.http.post("/admin/login", data=form, headers=HTML).status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(guess, range(40)))
    assert 303 not in statuses
    assert statuses.count(401) <= 5 and statuses.count(429) >= 35, statuses
    assert len(checks) <= 5, f"{len(checks)} password checks for 40 guesses"
    assert client.sign_in("admin").status_code == 429  # the right password, locked out
