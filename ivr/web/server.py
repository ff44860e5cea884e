"""uvicorn in a background thread, so ``ivr serve`` runs the web side next to FastAGI.

The listening socket is bound here, before uvicorn starts, so port 0 works and ``port`` is the
real one at once. uvicorn installs no signal handlers outside the main thread; the process's
own handlers (``ivr serve``) stay in charge of SIGTERM.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from ivr.core.clock import Clock, utc_now
from ivr.core.db import Database
from ivr.core.settings import Settings
from ivr.web.app import make_app

START_TIMEOUT_S = 10.0


class WebServer:
    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> WebServer:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self._socket, self.port = sock, sock.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="web", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"web server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def start_web(
    settings: Settings, database: Database, admin: Any = None, clock: Clock = utc_now
) -> WebServer:
    """The web side on ``IVR_HTTP_HOST:IVR_HTTP_PORT``, started; with ``admin`` (an
    ``ivr.admin.AdminContext``) the admin web is served too."""
    app = make_app(database, clock, admin=admin)
    return WebServer(app, settings.http_host, settings.http_port).start()
