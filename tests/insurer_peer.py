"""A stand-in for an insurer's core system: the HTTP contract of ivr.accounts.http_backend,
spoken with its own field names (a mapping file renames them), run on loopback by the tests.

``mode`` makes it misbehave the ways a real one does: "slow" (answers after ``delay``),
"error" (HTTP 500), "auth" (401 unless the right bearer token comes), "garbage" (not JSON).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ivr.accounts.seed import DEMO_PERSONS, DemoPerson

TOKEN = "Bearer s3cret"
MAPPING = {
    "paths": {
        "find": "/nguoi-tham-gia?so={number}",
        "by_mobile": "/nguoi-tham-gia?dien-thoai={mobile}",
        "verify": "/nguoi-tham-gia/{ref}/xac-thuc",
        "account": "/nguoi-tham-gia/{ref}/tai-khoan",
    },
    "fields": {
        "ref": "ma",
        "insurance_number": "maSoBhxh",
        "national_id": "soCccd",
        "name": "hoTen",
        "mobile": "dienThoai",
        "currency": "data.tienTe",
        "balance": "data.soDu",
        "last_contribution_on": "data.lanDongCuoi.ngay",
        "last_contribution": "data.lanDongCuoi.soTien",
        "coverage_until": "data.hanThe",
        "movements": "data.giaoDich",
        "movement.posted_on": "ngay",
        "movement.kind": "loai",
        "movement.amount": "soTien",
        "verified": "hopLe",
    },
}


def _person(index: int, person: DemoPerson) -> dict[str, Any]:
    return {
        "ma": f"P{index}",
        "maSoBhxh": person.insurance_number,
        "soCccd": person.national_id,
        "hoTen": person.name,
        "dienThoai": person.mobile,
    }


def _account(person: DemoPerson) -> dict[str, Any]:
    last = None
    if person.last_contribution_on is not None:
        last = {
            "ngay": person.last_contribution_on.isoformat(),
            "soTien": str(person.last_contribution),
        }
    movements = [] if last is None else [{**last, "loai": "contribution"}]
    return {
        "data": {
            "tienTe": "VND",
            "soDu": int(person.balance),
            "lanDongCuoi": last,
            "hanThe": person.coverage_until.isoformat() if person.coverage_until else None,
            "giaoDich": movements,
        }
    }


class InsurerPeer:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 5.0
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                peer.handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                peer.handle(self, json.loads(self.rfile.read(length) or b"{}"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def mapping_file(self, folder: Path) -> Path:
        path = folder / "mapping.json"
        path.write_text(json.dumps(MAPPING), encoding="utf-8")
        return path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler, body: Any) -> None:
        self.requests.append((request.command, request.path, dict(request.headers)))
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "error":
            return self._send(request, 500, {"error": "database offline"})
        if self.mode == "auth" and request.headers.get("Authorization") != TOKEN:
            return self._send(request, 401, {"error": "unauthorised"})
        if self.mode == "garbage":
            return self._send(request, 200, "<html>maintenance</html>")
        status, reply = self._answer(request.path, body)
        self._send(request, status, reply)

    def _answer(self, path: str, body: Any) -> tuple[int, Any]:
        url = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(url.query)
        parts = url.path.removeprefix("/api/v2/nguoi-tham-gia").strip("/").split("/")
        people = list(enumerate(DEMO_PERSONS))
        if parts == [""] and "so" in query:
            number = query["so"][0]
            for i, p in people:
                if number in (p.insurance_number, p.national_id):
                    return 200, _person(i, p)
            return 404, {"error": "not found"}
        if parts == [""] and "dien-thoai" in query:
            return 200, [_person(i, p) for i, p in people if p.mobile == query["dien-thoai"][0]]
        index = int(parts[0][1:]) if parts[0].startswith("P") else -1
        if not 0 <= index < len(DEMO_PERSONS):
            return 404, {"error": "no such person"}
        person = DEMO_PERSONS[index]
        if parts[1:] == ["xac-thuc"]:
            value = body.get("value", "")
            if body.get("proof") == "pin":
                return 200, {"hopLe": value == person.pin}
            return 200, {"hopLe": value == person.birth_date.strftime("%d%m%Y")}
        if parts[1:] == ["tai-khoan"]:
            return 200, _account(person)
        return 404, {"error": "no such path"}

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, reply: Any) -> None:
        data = (reply if isinstance(reply, str) else json.dumps(reply)).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass  # the backend gave up waiting (its timeout): nobody is listening
