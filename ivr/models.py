"""Database tables (SQLAlchemy 2). Schema changes go through alembic (ivr/migrations)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Integer, String
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
    queue: Mapped[str | None] = mapped_column(String(80))
    queue_status: Mapped[str | None] = mapped_column(String(32))  # Asterisk's QUEUESTATUS
