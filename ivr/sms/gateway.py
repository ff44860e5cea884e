"""The one small interface every SMS gateway has (the choice of one: ``ivr.sms.gateways``).

A gateway either takes a message (``send`` returns its reference, or None when the gateway
gives none) or raises: ``TemporaryFailure`` (down, overloaded, timed out: the worker retries
with backoff) or ``PermanentFailure`` (the gateway refused this message: retrying cannot help).
Delivery receipts a gateway receives on its own connection (SMPP) are handed back by
``receipts()``; Kannel's come to the web endpoint instead and that method returns nothing.

No gateway offers idempotency: a message the gateway accepted just before our process died,
before the database heard of it, is sent again after the lease runs out. The worker keeps that
window to one database commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

DEFAULT_TIMEOUT_S = 10.0


class TemporaryFailure(Exception):
    """Try again later: the gateway is down, busy, or did not answer in time."""


class PermanentFailure(Exception):
    """The gateway refused the message itself (bad number, bad credentials): do not retry."""


@dataclass(frozen=True)
class OutgoingSms:
    id: int  # our message id, which Kannel echoes back in its delivery reports
    to: str
    text: str


@dataclass(frozen=True)
class Receipt:
    """A delivery report as a gateway reported it, before it is matched to a message."""

    reference: str  # the gateway's message id
    status: str  # "delivered", "failed", "buffered", "accepted", "rejected"
    code: str  # the gateway's own word or number ("DELIVRD", "1")
    detail: str = ""


class Gateway(Protocol):
    name: str  # stored with each message: "kannel", "smpp"
    timeout_s: float  # the longest one send() may take; leases are sized from it

    def send(self, message: OutgoingSms) -> str | None: ...

    def receipts(self) -> list[Receipt]: ...

    def close(self) -> None: ...
