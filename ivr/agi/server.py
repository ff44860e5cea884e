"""The FastAGI server: one long-running process, one thread per call.

Asterisk connects for each ``AGI(agi://host:port/<script>,...)``, sends the header block and
then waits for commands. We read the header, find the script by name, run it with a
:class:`~ivr.voice.call.Call`, and close the socket when it returns: closing is what lets the
dialplan go on (Asterisk keeps the socket open after a hangup until the server closes it).
"""

from __future__ import annotations

import logging
import socket

from ivr.agi.dispatch import run_script
from ivr.agi.registry import Script
from ivr.agi.services import Services
from ivr.voice.call import Call, CallerHungUp, MediaEndpoint
from ivr.wire.agi import LineChannel, WireError, read_header
from ivr.wire.listener import Listener

log = logging.getLogger(__name__)


class FastAgiServer:
    def __init__(
        self,
        scripts: dict[str, Script],
        services: Services,
        media: MediaEndpoint | None,
        host: str = "127.0.0.1",
        port: int = 4573,
    ) -> None:
        self.scripts = scripts
        self.services = services
        self.media = media
        self._listener = Listener(host, port, self._serve, "agi-accept", backlog=512)
        self.host = host
        self.port = self._listener.port

    def start(self) -> FastAgiServer:
        self._listener.start()
        return self

    @property
    def active_calls(self) -> int:
        return self._listener.active

    def stop(self, wait: float = 5.0) -> None:
        self._listener.stop(wait)

    def _serve(self, conn: socket.socket) -> None:
        try:
            channel = LineChannel(conn.fileno(), conn)
            try:
                env = read_header(channel)
            except WireError as exc:
                log.error("FastAGI connection dropped: bad header block: %s", exc)
                return
            call = Call(channel, env, self.media, self.services)
            run_script(call, self.scripts)
        except Exception:  # a bug must never take the server down
            log.exception("FastAGI connection failed")
        finally:
            conn.close()


__all__ = ["FastAgiServer", "CallerHungUp"]
