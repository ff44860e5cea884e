"""One HTTP request with one deadline for all of it: resolving, connecting, sending, reading.

A socket timeout alone is per operation: a server that trickles a byte every second never
trips it, and name resolution ignores it altogether. So the exchange runs on a worker thread
and the calling thread waits for it at most ``timeout`` seconds; when the deadline passes,
the caller gets ``LookupUnavailable`` at once and the worker's socket is shut down, which
wakes the worker from any blocking read so it does not linger on a dead request.

Plain ``http.client`` rather than ``urllib``: it hands over the connection to shut down. It
follows no redirects and uses no proxy settings; an insurer's API answers where it is.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from ivr.accounts import LookupUnavailable

MAX_REPLY_BYTES = 1_000_000  # a person or an account is a few kB; more is a wrong endpoint
WORKERS = 32  # requests in flight at once, across every call of this process


class Reply(NamedTuple):
    status: int
    body: bytes


class _Exchange:
    """One request on its own connection, abortable from another thread."""

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self.connection = connection
        self.lock = threading.Lock()
        self.aborted = False

    def run(self, method: str, target: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        try:
            self.connection.connect()
            with self.lock:
                if self.aborted:  # the deadline passed while connecting
                    raise TimeoutError("aborted")
            self.connection.request(method, target, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read(MAX_REPLY_BYTES + 1)
            return Reply(response.status, data)
        finally:
            self.connection.close()

    def abort(self) -> None:
        with self.lock:
            self.aborted = True
            sock = self.connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the worker


class JsonClient:
    """Requests to one base URL with fixed headers; safe to share between call threads."""

    def __init__(
        self, base_url: str, headers: dict[str, str], timeout: float, setting: str = "IVR_ACCOUNTS"
    ) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{setting}_URL must be an http:// or https:// URL: {base_url}")
        if not timeout > 0:
            raise ValueError(f"{setting}_TIMEOUT must be more than 0 seconds: {timeout}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.headers = headers
        self.timeout = timeout
        self._tls = ssl.create_default_context() if self.https else None
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="accounts-http")

    def request(self, name: str, method: str, target: str, body: bytes | None = None) -> Reply:
        """``method`` on base path + ``target``; LookupUnavailable("<name>: <why>") when no
        complete reply came within the timeout. Any HTTP status is a reply."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        exchange = _Exchange(self._connection())
        future = self._pool.submit(exchange.run, method, self.prefix + target, body, headers)
        try:
            reply = future.result(timeout=self.timeout)
        except TimeoutError:  # the deadline (a socket timeout in the worker is one too)
            future.cancel()  # still queued behind busy workers: never sent
            exchange.abort()
            raise LookupUnavailable(f"{name}: no answer within {self.timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise LookupUnavailable(f"{name}: {type(exc).__name__}") from None
        if len(reply.body) > MAX_REPLY_BYTES:
            raise LookupUnavailable(f"{name}: the reply is over {MAX_REPLY_BYTES} bytes")
        return reply

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _connection(self) -> http.client.HTTPConnection:
        if self._tls is not None:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self._tls
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
