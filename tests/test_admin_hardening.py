"""The admin web under hostile or careless input: what used to be a 500 page (a stack trace in
the log, nothing useful for the admin) is a plain 4xx answer naming the problem."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from tests.admin_client import add_users, signed_in
from tests.conftest import SAMPLE_FLOWS
from tests.test_cli import ivr_command

FLOW = "health_hotline.yaml"
DEEP = "\nextra: " + "[" * 5000 + "]" * 5000 + "\n"


def test_a_csv_cell_over_the_field_limit_is_named_not_a_500(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    supervisor = signed_in(ivr, "supervisor")
    header = "key,language,category,tags,question,alternates,answer,active\n"
    good = "card-lost,en,health-card,,Where is my card?,,Ask the office.,1\n"
    huge = f'x-long,en,general,,"Why?",,"{"a" * 200_000}",1\n'
    reply = supervisor.post(
        "/admin/kb/import", files={"file": ("kb.csv", (header + good + huge).encode())}
    )
    assert reply.status_code == 422, reply.text[-500:]
    assert "line 3: a cell is longer than 131072 characters" in reply.text
    assert ivr.services.kb.store.get("x-long", "en") is None


def test_numbers_in_forms_and_addresses_are_ascii_digits(make_ivr: Any) -> None:
    """ "²" passes ``str.isdigit()`` and fails ``int()``; a long number overflows SQLite."""
    ivr = make_ivr()
    add_users(ivr)
    supervisor, viewer = signed_in(ivr, "supervisor"), signed_in(ivr, "viewer")
    entry = "/admin/kb/entry/en/card-lost"
    rollback = supervisor.post(entry + "/rollback", {"version": "²"})
    assert rollback.status_code == 422 and "Choose the version to go back to." in rollback.text
    arabic = supervisor.post(entry + "/rollback", {"version": "١"})  # int() would take it
    assert arabic.status_code == 422
    form = {
        "language": "en",
        "key": "card-lost",
        "category": "health-card",
        "question": "I lost my card",
        "answer": "Ask the district office for a new one.",
        "active": "1",
    }
    edit = supervisor.post(entry, {**form, "version": "²", "unanswered": "²"})
    assert edit.status_code == 303  # taken as a form opened on no version, as for "abc"
    for page in ("/admin/kb?page=²", "/admin/kb/unanswered?page=²", entry + "?saved=²"):
        shown = viewer.get(page)
        assert shown.status_code == 422 and "is not a whole number" in shown.text, page
    huge = "9" * 30
    dismiss = supervisor.post(f"/admin/kb/unanswered/{huge}/dismiss")
    assert dismiss.status_code == 404 and "There is no unanswered question" in dismiss.text
    target = viewer.get("/admin/reports?within=²")
    assert target.status_code == 422 and "must be a whole number of seconds" in target.text
    assert viewer.get("/admin/reports/summary.csv?within=²").status_code == 422
    for query in (f"id={huge}&type=1", "id=1&type=²"):
        assert httpx.get(f"{ivr.web.url}/sms/dlr?{query}", timeout=30).status_code == 400


def test_a_flow_file_nested_thousands_deep_is_one_clear_problem(tmp_path: Path) -> None:
    """PyYAML composes by recursion: 5,000 levels of ``[`` used to end in RecursionError."""
    shutil.copy(SAMPLE_FLOWS / FLOW, tmp_path / FLOW)
    with (tmp_path / FLOW).open("a", encoding="utf-8") as file:
        file.write(DEEP)
    lines = len((SAMPLE_FLOWS / FLOW).read_text(encoding="utf-8").splitlines()) + 2
    checked = ivr_command("flows", "check", str(tmp_path))
    assert checked.returncode == 1
    assert f"{FLOW}:{lines}: YAML error: mappings and lists nested more than 40 levels deep" in (
        checked.stdout + checked.stderr
    )
    assert "Traceback" not in checked.stderr and "recursion" not in checked.stdout


def test_the_flow_editor_shows_a_deep_draft_with_its_problem(make_ivr: Any, tmp_path: Path) -> None:
    folder = tmp_path / "dialplans"
    shutil.copytree(SAMPLE_FLOWS, folder)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    deep = (folder / FLOW).read_text(encoding="utf-8") + DEEP
    page = f"/admin/flows/{FLOW}"
    saved = admin.post(f"{page}/save", {"text": deep})
    assert saved.status_code == 422 and "nested more than 40 levels deep" in saved.text
    shown = admin.get(page)
    assert shown.status_code == 200 and "nested more than 40 levels deep" in shown.text


def _post_raw(url: str, path: str, head: dict[str, str], body: bytes, wait: float = 10) -> str:
    """Send a request's head and ``body`` (perhaps only the start of what the head promises)
    and read the answer; "" when none comes within ``wait`` seconds."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        lines = [f"POST {path} HTTP/1.1", f"host: {host}", *(f"{k}: {v}" for k, v in head.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            sock.sendall(body)
        except OSError:
            pass  # the server answered and closed while we were still sending
        answer = b""
        try:
            while part := sock.recv(65536):  # the server closes after a refusal
                answer += part
        except (TimeoutError, ConnectionResetError):
            pass
        return answer.decode("latin-1")


def _chunked(size: int) -> bytes:
    chunk = b"x" * 65536
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(size // len(chunk)))


def test_request_bodies_are_limited_before_they_are_read(make_ivr: Any) -> None:
    """A 200 MB sign-in POST is refused from its Content-Length, before its body; a chunked
    one when it passes 1 MB; an upload has its own, larger limit."""
    ivr = make_ivr()
    add_users(ivr)
    form = {"content-type": "application/x-www-form-urlencoded"}
    started = time.monotonic()
    declared = _post_raw(
        ivr.web.url, "/admin/login", {**form, "content-length": "200000000"}, b"a" * 65536
    )
    assert declared.startswith("HTTP/1.1 413"), declared[:200]
    assert "The request is too large: at most 1 MB here." in declared
    assert time.monotonic() - started < 5
    streamed = _post_raw(
        ivr.web.url, "/admin/login", {**form, "transfer-encoding": "chunked"}, _chunked(2 << 20)
    )
    assert streamed.startswith("HTTP/1.1 413"), streamed[:200]
    assert "too large" in streamed
    assert time.monotonic() - started < 5  # refused and closed, not drained to the end
    upload = {"content-type": "multipart/form-data; boundary=b", "content-length": "30000000"}
    assert _post_raw(ivr.web.url, "/admin/prompts/upload", upload, b"").startswith("HTTP/1.1 413")

    admin = signed_in(ivr, "admin")
    big_csv = b"key,language,category,tags,question,alternates,answer,active\n" + b"#" * (2 << 20)
    imported = admin.post("/admin/kb/import", files={"file": ("kb.csv", big_csv)})
    assert imported.status_code == 422 and "line 2" in imported.text  # read, then refused
    recording = admin.post(
        "/admin/prompts/upload",
        {"language": "en", "text": "no such prompt"},
        files={"file": ("r.wav", b"\0" * (3 << 20))},
    )
    assert recording.status_code == 422  # not 413: a recording may be up to 20 MB
    assert admin.get("/admin").status_code == 200


def test_flow_versions_and_form_numbers_are_ascii_digits(make_ivr: Any, tmp_path: Path) -> None:
    """``version=²`` passed ``isdigit()`` and failed ``int()``: a 500 on rollback and on the
    diff; "١٢" (Arabic-Indic) was taken as 12 in a node's timeout, "²" failed a hours row."""
    folder = tmp_path / "dialplans"
    shutil.copytree(SAMPLE_FLOWS, folder)
    ivr = make_ivr(dialplans=folder)
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    page = f"/admin/flows/{FLOW}"
    for version in ("²", "١", "+1", " 1"):
        rolled = admin.post(f"{page}/rollback", {"version": version})
        assert rolled.status_code == 422, (version, rolled.status_code)
        assert "Choose the version to roll back to." in rolled.text
        diff = admin.get(f"{page}/diff", params={"a": version, "b": "draft"})
        assert diff.status_code == 404 and "is not a version" in diff.text, version
    edited = admin.post(f"{page}/nodes/main_menu", {"timeout": "١٢"})
    assert edited.status_code in (200, 422), edited.status_code
    shown = admin.get(page).text
    assert "timeout: ١٢" in shown  # written as typed, and the checks name it
    assert "(nodes.main_menu.timeout): must be a number of seconds, not &#39;١٢&#39;" in shown
    hours = admin.post(
        f"{page}/nodes/agent_hours", {"open-days-0": "mon-fri", "open-days-²": "sat"}
    )
    assert hours.status_code in (200, 422), hours.status_code


def test_queue_settings_of_a_file_nested_thousands_deep_name_the_problem(
    make_ivr: Any, tmp_path: Path
) -> None:
    """A queue file edited by hand after the IVR read it: the settings page and its save read
    it with PyYAML and ruamel, both recursive: RecursionError, a 500 page."""
    from tests.test_admin_queue_edits import SETTINGS
    from tests.test_admin_queues import _form, _start

    ivr = _start(make_ivr, tmp_path, None)
    admin = signed_in(ivr, "admin")
    form = _form(admin.get(SETTINGS.format("insurance")).text)
    path = tmp_path / "site" / "queues" / "insurance.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original + DEEP, encoding="utf-8")
    shown = admin.get(SETTINGS.format("insurance"))
    assert shown.status_code == 422, shown.status_code
    assert "nested more than 40 levels deep" in shown.text
    saved = admin.post(SETTINGS.format("insurance"), form | {"version": _version(path)})
    assert saved.status_code == 422, saved.status_code
    assert "nested more than 40 levels deep" in saved.text
    assert path.read_text(encoding="utf-8") == original + DEEP  # nothing written


def test_queue_settings_numbers_are_ascii_digits(make_ivr: Any, tmp_path: Path) -> None:
    from tests.test_admin_queue_edits import SETTINGS
    from tests.test_admin_queues import _form, _start

    ivr = _start(make_ivr, tmp_path, None)
    admin = signed_in(ivr, "admin")
    path = tmp_path / "site" / "queues" / "insurance.yaml"
    original = path.read_text(encoding="utf-8")
    form = _form(admin.get(SETTINGS.format("insurance")).text)
    for typed in ("²", "١٢"):
        saved = admin.post(SETTINGS.format("insurance"), form | {"ring_timeout": typed})
        assert saved.status_code == 422, (typed, saved.status_code)
        assert path.read_text(encoding="utf-8") == original


def _version(path: Path) -> str:
    from ivr.queues.editing import version_of

    return version_of(path.read_text(encoding="utf-8"))
