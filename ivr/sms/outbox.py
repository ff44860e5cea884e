"""The SMS outbox: every message is a row before any attempt to send it.

A message goes ``queued`` -> ``sending`` (claimed by one worker under a lease) -> ``sent``
(the gateway took it) -> ``delivered`` or ``failed`` (delivery report, refusal, or too many
attempts). A failed attempt puts it back to ``queued`` with a later ``next_attempt_at``.

Claiming is safe with several workers: on PostgreSQL the candidate row is locked with
``FOR UPDATE SKIP LOCKED`` (two workers never wait on, or take, the same row); on SQLite the
claim runs in a ``BEGIN IMMEDIATE`` transaction (ivr.core.db), so claims are one at a time. A worker
killed while it holds a claim leaves the row ``sending``; once ``lease_until`` has passed any
worker claims it again. The attempt counter doubles as the claim's token: a worker whose
lease ran out and was re-claimed by another finds a different count and leaves the row alone.

Numbers are logged masked and texts never: this module logs message ids only. A text is kept
in clear only while it may still be sent: once the gateway has it (``sent``, ``delivered``) or
it is given up (``failed``), its digits (the balance, dates, references) are redacted in the row
(``ivr.core.privacy.redact_digits``), which keeps its length and number of SMS parts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.core.clock import Clock, utc_now
from ivr.core.db import Database
from ivr.core.models import SmsDeliveryReport, SmsMessage
from ivr.core.privacy import mask_digits_in, mask_number, redact_digits
from ivr.sms.encoding import normalize, segments

log = logging.getLogger(__name__)
FINAL = ("delivered", "failed")
MAX_SEGMENTS = 8  # a longer text is a mistake in a template, not something to bill a caller
RETRY_CAP_S = 3600.0  # the longest wait between two attempts (unless the base is longer)
ERROR_LENGTH = 300  # SmsMessage.last_error


def retry_delay(attempts: int, base_s: float) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: base, 2x, 4x, ...
    capped at an hour so a long outage still retries every hour."""
    return min(base_s * 2 ** max(attempts - 1, 0), max(base_s, RETRY_CAP_S))


@dataclass(frozen=True)
class Claim:
    """A message one worker holds until ``lease_until``; ``attempts`` is the claim's token."""

    id: int
    to: str
    text: str
    attempts: int
    lease_until: datetime


@dataclass(frozen=True)
class Report:
    received_at: datetime
    status: str
    code: str
    detail: str


@dataclass(frozen=True)
class SmsStatus:
    id: int
    key: str
    purpose: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    gateway: str | None
    gateway_reference: str | None
    sent_at: datetime | None
    delivered_at: datetime | None
    reports: tuple[Report, ...]


class Outbox:
    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock

    def enqueue(
        self,
        to: str,
        text: str,
        key: str,
        purpose: str,
        language: str,
        call_id: str | None = None,
    ) -> int:
        """Store a message to send; the id of the message already stored under ``key`` if
        there is one (one SMS per call and purpose however often a caller asks)."""
        to = _checked_number(to)
        text = normalize(text)
        if not text.strip():
            raise ValueError("SMS text is empty")
        parts = segments(text).count
        if parts > MAX_SEGMENTS:
            raise ValueError(f"SMS text must be at most {MAX_SEGMENTS} parts long, got {parts}")
        existing = self._id_for_key(key)
        if existing is not None:
            return existing
        now = self.clock()
        message = SmsMessage(
            key=key,
            call_id=call_id,
            purpose=purpose,
            language=language,
            to_number=to,
            text=text,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        try:
            with self.database.session() as session:
                session.add(message)
                session.flush()
                message_id = message.id
        except IntegrityError:  # another worker stored the same key in between
            existing = self._id_for_key(key)
            if existing is None:
                raise
            return existing
        log.info(
            "sms %s queued: %s to %s, %s parts, call %s",
            message_id,
            purpose,
            mask_number(to),
            parts,
            call_id or "-",
        )
        return message_id

    def _id_for_key(self, key: str) -> int | None:
        with self.database.session(readonly=True) as session:
            return session.scalar(select(SmsMessage.id).where(SmsMessage.key == key))

    def claim(self, lease_s: float, max_attempts: int) -> Claim | None:
        """Take the oldest due message for ``lease_s`` seconds, or None if none is due.

        A message whose lease ran out after its last allowed attempt is marked failed here:
        whether that attempt reached the gateway cannot be known, and the limit is the limit.
        """
        now = self.clock()
        due = or_(
            (SmsMessage.status == "queued") & (SmsMessage.next_attempt_at <= now),
            (SmsMessage.status == "sending") & (SmsMessage.lease_until <= now),
        )
        query = (
            select(SmsMessage)
            .where(due)
            .order_by(SmsMessage.next_attempt_at, SmsMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with self.database.session() as session:
            for _ in range(10):  # a few given-up rows before a claimable one; the rest next time
                message = session.scalars(query).first()
                if message is None:
                    return None
                if message.attempts >= max_attempts:
                    _give_up(message, "no result from the last attempt (worker stopped?)")
                    session.flush()
                    continue
                message.status = "sending"
                message.attempts += 1
                message.lease_until = now + timedelta(seconds=lease_s)
                return Claim(
                    message.id,
                    message.to_number,
                    message.text,
                    message.attempts,
                    message.lease_until,
                )
        return None

    def _held(self, session: Session, claim: Claim) -> SmsMessage | None:
        """The claimed row, locked, if the claim still holds it."""
        message = session.get(SmsMessage, claim.id, with_for_update=True)
        if message is None or message.attempts != claim.attempts:
            log.warning(
                "sms %s: lease ran out and another worker took it: it may be sent twice",
                claim.id,
            )
            return None
        return message

    def mark_sent(self, claim: Claim, gateway: str, reference: str | None) -> None:
        """The gateway took the message. A delivery report may have been quicker than this
        commit and already made it ``delivered``: that stays."""
        with self.database.session() as session:
            message = self._held(session, claim)
            if message is None:
                return
            if message.status == "sending":
                message.status = "sent"
            message.lease_until = None
            message.gateway = gateway
            message.gateway_reference = reference or message.gateway_reference
            message.sent_at = message.sent_at or self.clock()
            message.last_error = None
            message.text = redact_digits(message.text)  # never sent again: no balance kept

    def mark_failed_attempt(
        self, claim: Claim, error: str, permanent: bool, max_attempts: int, retry_base_s: float
    ) -> str:
        """Record a failed attempt; the message's new status (``queued`` or ``failed``)."""
        error = mask_digits_in(error)[:ERROR_LENGTH]
        with self.database.session() as session:
            message = self._held(session, claim)
            if message is None:
                return "lost"
            if message.status != "sending":  # a report came in meanwhile: the gateway had it
                return message.status
            if permanent or message.attempts >= max_attempts:
                _give_up(message, error)
                return "failed"
            delay = retry_delay(message.attempts, retry_base_s)
            message.status = "queued"
            message.lease_until = None
            message.last_error = error
            message.next_attempt_at = self.clock() + timedelta(seconds=delay)
            return "queued"

    def record_report(
        self, message_id: int, status: str, code: str, detail: str = "", reference: str = ""
    ) -> bool:
        """Store a delivery report and move the message on; False for an unknown message.

        Reports come in any order (Kannel sent "delivered" before "accepted" for a long
        text): a final status stays final. Any report proves the gateway had the message, so a
        message still ``sending`` (its worker died right after the gateway took it) is sent.
        """
        now = self.clock()
        with self.database.session() as session:
            message = session.get(SmsMessage, message_id, with_for_update=True)
            if message is None:
                return False
            session.add(
                SmsDeliveryReport(
                    message_id=message_id,
                    received_at=now,
                    status=status[:16],
                    code=code[:40],
                    detail=mask_digits_in(detail)[:300],
                )
            )
            message.gateway_reference = message.gateway_reference or reference[:100] or None
            if message.status in FINAL:
                pass
            elif status == "delivered":
                message.status, message.delivered_at = "delivered", now
            elif status in ("failed", "rejected"):
                _give_up(message, f"delivery report: {status} {code} {detail}".strip())
            elif message.status in ("sending", "queued"):
                message.status, message.lease_until = "sent", None
            message.sent_at = message.sent_at or now
            message.text = redact_digits(message.text)  # the gateway had it: never sent again
            new_status = message.status
        log.info("sms %s: report %s (%s), now %s", message_id, status, code, new_status)
        return True

    def message_for_reference(self, gateway: str, reference: str) -> int | None:
        """Our id of the message a gateway knows as ``reference`` (SMPP receipts); the newest
        one, as an SMSC may reuse its ids after a restart or a wrap-around."""
        with self.database.session(readonly=True) as session:
            return session.scalar(
                select(SmsMessage.id)
                .where(SmsMessage.gateway == gateway, SmsMessage.gateway_reference == reference)
                .order_by(SmsMessage.id.desc())
                .limit(1)
            )

    def status(self, message_id: int) -> SmsStatus | None:
        with self.database.session(readonly=True) as session:
            message = session.get(SmsMessage, message_id)
            if message is None:
                return None
            rows = session.scalars(
                select(SmsDeliveryReport)
                .where(SmsDeliveryReport.message_id == message_id)
                .order_by(SmsDeliveryReport.id)
            )
            reports = tuple(Report(r.received_at, r.status, r.code, r.detail) for r in rows)
            return SmsStatus(
                message.id,
                message.key,
                message.purpose,
                message.status,
                message.attempts,
                message.next_attempt_at,
                message.last_error,
                message.gateway,
                message.gateway_reference,
                message.sent_at,
                message.delivered_at,
                reports,
            )

    def counts(self) -> dict[str, int]:
        """Messages per status, for admins and benchmarks."""
        with self.database.session(readonly=True) as session:
            rows = session.execute(
                select(SmsMessage.status, func.count()).group_by(SmsMessage.status)
            )
            return {status: count for status, count in rows}


def _give_up(message: SmsMessage, error: str) -> None:
    message.status = "failed"
    message.lease_until = None
    message.text = redact_digits(message.text)
    message.last_error = mask_digits_in(error)[:ERROR_LENGTH]
    log.warning("sms %s to %s failed: %s", message.id, mask_number(message.to_number), error)


def _checked_number(to: str) -> str:
    """Digits with an optional leading +, as gateways take them; spaces and dashes dropped."""
    number = "".join(char for char in to if char not in " -.()")
    digits = number[1:] if number.startswith("+") else number
    if not digits.isascii() or not digits.isdigit() or not 6 <= len(number) <= 20:
        raise ValueError(f"not a mobile number: {mask_number(to)}")
    return number
