"""Database tables (SQLAlchemy 2). Schema changes go through alembic (ivr/migrations)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps the zone (``timestamptz``); SQLite has no zone, so the value is stored as
    naive UTC and given its zone back when read. Naive datetimes are refused on the way in:
    whether they meant local time or UTC cannot be known.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class CallRecord(Base):
    """One call: how it entered, the path it took, how it ended."""

    __tablename__ = "call_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Asterisk's uniqueid ("1732212345.42", or "<systemname>-..."), at most 150 characters.
    call_id: Mapped[str] = mapped_column(String(150), unique=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    flow: Mapped[str] = mapped_column(String(100))
    # Both come off the wire from the caller's network: no length limit to overflow.
    number_dialled: Mapped[str] = mapped_column(String)
    caller: Mapped[str] = mapped_column(String)  # kept in full here, masked in every log
    language: Mapped[str | None] = mapped_column(String(16))
    path: Mapped[list[str]] = mapped_column(JSON, default=list)  # node ids, in order
    entry: Mapped[str] = mapped_column(String(16))  # "new" or "queue-result"
    outcome: Mapped[str | None] = mapped_column(String(32))  # "hangup", "queue", "error", ...
    queue: Mapped[str | None] = mapped_column(String(80), index=True)
    queue_status: Mapped[str | None] = mapped_column(String(32))  # Asterisk's QUEUESTATUS
    # Who settled the call: "ivr" (menus, self-service), "ai" (the AI voice agent), "human".
    handled_by: Mapped[str | None] = mapped_column(String(8), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # "after-hours", "overflow"...
    self_service: Mapped[list[str]] = mapped_column(JSON, default=list)  # "auth", "balance"...
    category: Mapped[str | None] = mapped_column(String(60))  # the caller's topic, when known
    wait_s: Mapped[float | None] = mapped_column(Float)  # in a queue, before an agent or not
    talk_s: Mapped[float | None] = mapped_column(Float)  # with an agent
    # The node (IVR_NODE_ID) handling the call: it closes its open records when it restarts.
    node: Mapped[str | None] = mapped_column(String(100), index=True)


class Person(Base):
    """An insured person. Numbers are kept in full here and masked in every log."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    insurance_number: Mapped[str] = mapped_column(String(20), unique=True)
    national_id: Mapped[str] = mapped_column(String(20), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    mobile: Mapped[str] = mapped_column(String(20), index=True)  # registered, E.164 digits
    pin_hash: Mapped[str] = mapped_column(String(200))  # ivr.accounts.pins format
    language: Mapped[str | None] = mapped_column(String(8))  # preferred for SMS


class Account(Base):
    """A person's insurance account. Money in minor units of ``currency`` (VND has none)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(BigInteger)
    last_contribution_on: Mapped[date | None] = mapped_column(Date)
    last_contribution_minor: Mapped[int | None] = mapped_column(BigInteger)
    coverage_until: Mapped[date | None] = mapped_column(Date)


class AccountTransaction(Base):
    """A contribution, a refund or a payout on an account, newest first when listed."""

    __tablename__ = "account_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    posted_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # "contribution", "refund", "payout"
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(200), default="")


class SmsMessage(Base):
    """One SMS in the outbox: written before any attempt to send, sent by the SMS worker.

    ``key`` makes enqueueing idempotent (one message per call and purpose).
    """

    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    call_id: Mapped[str | None] = mapped_column(String(150), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    to_number: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # queued -> sending -> sent -> delivered | failed (given up or rejected)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    gateway: Mapped[str | None] = mapped_column(String(20))
    gateway_reference: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SmsDeliveryReport(Base):
    """A delivery report as the gateway sent it (Kannel dlr-url, SMPP deliver_sm receipt)."""

    __tablename__ = "sms_delivery_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("sms_messages.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))  # "delivered", "failed", "buffered", ...
    code: Mapped[str] = mapped_column(String(40))  # the gateway's own code (Kannel %d, stat:)
    detail: Mapped[str] = mapped_column(String(300), default="")


class CallbackRequest(Base):
    """A caller to call back: asked for during a call (or, later, a missed or abandoned call).

    One per number per day (``requested_on``, the hotline's local date): a caller who asks
    three times is called back once.
    """

    __tablename__ = "callbacks"
    __table_args__ = (UniqueConstraint("number", "requested_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    requested_on: Mapped[date] = mapped_column(Date)
    call_id: Mapped[str | None] = mapped_column(String(150))
    reason: Mapped[str] = mapped_column(String(40))  # "accounts-unavailable", "requested", ...
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)  # "pending", ...
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Placing the call: pending -> calling -> done | failed (attempts used up)
    queue: Mapped[str | None] = mapped_column(String(80))  # whose agents call back
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))  # of the last attempt
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CallbackAttempt(Base):
    """One try at calling back (AMI Originate into an agent queue) and how it ended."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    action_id: Mapped[str] = mapped_column(String(64), unique=True)  # the Originate's ActionID
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))  # "answered", "no-answer", "busy"...


class QueueCall(Base):
    """A caller's time in an Asterisk queue, from AMI events: wait, agent, talk, or abandon."""

    __tablename__ = "queue_calls"
    __table_args__ = (UniqueConstraint("call_id", "queue", "joined_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(150), index=True)  # the caller's Uniqueid
    queue: Mapped[str] = mapped_column(String(80), index=True)
    caller: Mapped[str] = mapped_column(String(32))
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    position: Mapped[int | None] = mapped_column(Integer)
    agent: Mapped[str | None] = mapped_column(String(80), index=True)  # MemberName
    connected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hold_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    # "waiting", "answered", "abandoned", "left" (Queue() returned: timeout, full, ...)
    outcome: Mapped[str] = mapped_column(String(16))


class AgentEvent(Base):
    """An agent's log-in, log-out, pause or unpause in a queue: the basis of agent reports."""

    __tablename__ = "agent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent: Mapped[str] = mapped_column(String(80), index=True)  # MemberName (the endpoint)
    queue: Mapped[str] = mapped_column(String(80))
    event: Mapped[str] = mapped_column(String(16))  # "login", "logout", "pause", "unpause"
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    reason: Mapped[str] = mapped_column(String(80), default="")


class KbEntry(Base):
    """A knowledge-base entry in one language: the question, other ways to ask it, the answer.

    ``key`` is the same for one topic in every language. ``version`` counts edits; every
    version is kept in ``kb_entry_versions``.
    """

    __tablename__ = "kb_entries"
    __table_args__ = (UniqueConstraint("key", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8), index=True)
    category: Mapped[str] = mapped_column(String(60), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    question: Mapped[str] = mapped_column(Text)
    alternates: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(80), default="")


class KbEntryVersion(Base):
    """One saved version of a knowledge-base entry (its history, for diff and rollback)."""

    __tablename__ = "kb_entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("kb_entries.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(60))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    question: Mapped[str] = mapped_column(Text)
    alternates: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    saved_by: Mapped[str] = mapped_column(String(80), default="")


class UnansweredQuestion(Base):
    """A question the AI agent could not answer from the knowledge base, for admins to review."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str | None] = mapped_column(String(150), index=True)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)  # the transcript, numbers masked
    best_key: Mapped[str | None] = mapped_column(String(80))  # nearest entry, below threshold
    best_score: Mapped[float | None] = mapped_column(Float)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")  # "new", "added", "dismissed"


class Ticket(Base):
    """A work order: the caller's message, categorised, with a reference read back to them."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    call_id: Mapped[str | None] = mapped_column(String(150), index=True)
    caller: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    # level 1: "policy" (policy question), "lookup" (information), "transaction" (assisted)
    level1: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(60), index=True)  # level 2, configurable
    summary: Mapped[str] = mapped_column(Text)  # transcript of the message, numbers masked
    recording: Mapped[str | None] = mapped_column(String(300))  # file path
    insured_ref: Mapped[str | None] = mapped_column(String(80))  # when the caller was verified
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, assigned, answered, closed
    assignee: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    escalation: Mapped[int] = mapped_column(Integer, default=0)  # times escalated when overdue
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TicketEvent(Base):
    """A step in a ticket's life: created, assigned, answered, closed, escalated, noted."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class SurveyResponse(Base):
    """A caller's satisfaction score after an agent or AI call."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(150), unique=True)
    score: Mapped[int] = mapped_column(Integer)  # 1..5
    via: Mapped[str] = mapped_column(String(8))  # "dtmf" or "speech"
    handled_by: Mapped[str] = mapped_column(String(8))  # "ai" or "human"
    agent: Mapped[str | None] = mapped_column(String(80), index=True)
    queue: Mapped[str | None] = mapped_column(String(80), index=True)
    language: Mapped[str] = mapped_column(String(8))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class AdminUser(Base):
    """A person who signs in to the admin web: admin, supervisor or viewer."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # ivr.web.auth format (scrypt)
    role: Mapped[str] = mapped_column(String(16))  # "admin", "supervisor", "viewer"
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AdminSession(Base):
    """A signed-in browser: the cookie holds the token, the table only its hash."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))  # the token every form and POST must carry
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class AuditEntry(Base):
    """Who changed what in the admin web (publish, rollback, pause an agent, ...)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    by: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class FlowDraft(Base):
    """The working copy of one flow file (``dialplans/<file>``), not yet in force."""

    __tablename__ = "flow_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file: Mapped[str] = mapped_column(String(120), unique=True)  # e.g. "health_hotline.yaml"
    text: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int] = mapped_column(Integer, default=0)  # the version it started from
    saved_by: Mapped[str] = mapped_column(String(80))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # comment lines the admin deleted (raw text, or with a node): publishing may drop these
    removed_comments: Mapped[list[str]] = mapped_column(JSON, default=list)


class FlowVersion(Base):
    """A published flow file: every publish and rollback adds one; the newest is in force."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("file", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(String(300), default="")  # "rollback to 3", the admin's


class Announcement(Base):
    """An emergency message every caller hears first, per language, between two times."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    texts: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> text
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(80))  # switched off early by


class PromptRecording(Base):
    """A human recording that replaces the TTS audio of one prompt text in one language."""

    __tablename__ = "prompt_recordings"
    __table_args__ = (UniqueConstraint("language", "text_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    text_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the prompt text
    text: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(300))  # 8 kHz 16-bit mono WAV under data_dir
    seconds: Mapped[float] = mapped_column(Float)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Lease(Base):
    """Work that runs on one node at a time (``ivr.core.leases``): who holds it, until when.

    Times are epoch seconds of the nodes' clocks (kept in step by NTP), not ``UtcDateTime``:
    a lease is compared and renewed several times a minute and never shown as a date.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # "<IVR_NODE_ID>/<process token>"
    expires_at: Mapped[float] = mapped_column(Float)
    acquired_at: Mapped[float] = mapped_column(Float)
    # One more each time another holder takes the lease: a fencing token for the logs.
    generation: Mapped[int] = mapped_column(Integer, default=1)


class Campaign(Base):
    """An outbound notification campaign: one message template per language, many numbers."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    templates: Mapped[dict[str, str]] = mapped_column(JSON)  # language -> text with {fields}
    currency: Mapped[str] = mapped_column(String(3), default="VND")  # of {x:money} fields
    status: Mapped[str] = mapped_column(String(16), index=True)  # active, paused
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CampaignTarget(Base):
    """One number of a campaign and what became of its message.

    One row per number and campaign: the same message is never placed twice to a number.
    pending -> calling (Originate sent) -> answered (the caller picked up; the notify script
    runs) -> done; a try that failed goes back to pending until the tries are used up, then
    the message goes by SMS (``sms``) or, with no usable number, ``failed``; a number on the
    opt-out list is ``opted-out`` and never dialled.
    """

    __tablename__ = "campaign_targets"
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(60))
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    action_id: Mapped[str | None] = mapped_column(String(80), unique=True)  # of the last try
    outcome: Mapped[str | None] = mapped_column(String(32))  # of the last try
    listened: Mapped[bool] = mapped_column(Boolean, default=False)  # heard to the end
    pressed: Mapped[str] = mapped_column(String(16), default="")  # keys, in order: "1", "12"
    sms_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OptOut(Base):
    """A number that asked not to get notification calls (key 9, or staff): every campaign."""

    __tablename__ = "campaign_opt_outs"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))  # "key-9", "staff:<user>", "cli"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
