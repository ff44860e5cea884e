"""Accounts in this project's own database (``persons``, ``accounts``, ``account_transactions``):
the embedded default, filled by ``ivr seed --demo`` or by an insurer's nightly export.

``Insured.ref`` is the ``persons.id`` row key, as text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ivr.accounts import Balance, Insured, LookupUnavailable, Movement, Proof
from ivr.accounts.inputs import parse_birth_date
from ivr.accounts.money import from_minor
from ivr.accounts.pins import check_pin
from ivr.core.db import Database
from ivr.core.models import Account, AccountTransaction, Person
from ivr.core.phone import clean_number, normalize_phone
from ivr.core.privacy import mask_digits_in

log = logging.getLogger(__name__)
RECENT = 5  # movements read out or sent with a balance


class LocalAccounts:
    """``AccountLookup`` over the database; safe to share between the threads of every call."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def find(self, number: str) -> Insured | None:
        """By insurance number (10 digits) or national ID (12-digit CCCD), separators ignored."""
        number = clean_number(number)
        if not number:
            return None
        query = select(Person).where(
            or_(Person.insurance_number == number, Person.national_id == number)
        )
        with self._reading() as session:
            row = session.scalars(query).first()
            return _insured(row) if row is not None else None

    def verify(self, person: Insured, proof: Proof, value: str) -> bool:
        """The PIN against its hash, or the birth date (``DDMMYYYY``) against the record."""
        person_id = _row_id(person)
        if person_id is None:
            return False
        with self._reading() as session:
            row = session.get(Person, person_id)
            if row is None:
                return False
            pin_hash, born = row.pin_hash, row.birth_date
        # Checked after the session ends: the ~20 ms of scrypt holds no connection.
        if proof == "pin":
            return check_pin(clean_number(value), pin_hash)
        if proof == "birth_date":
            return parse_birth_date(value) == born
        return False

    def balance(self, person: Insured) -> Balance:
        """The account with its ``RECENT`` newest movements, newest first."""
        person_id = _row_id(person)
        with self._reading() as session:
            account = session.scalars(select(Account).where(Account.person_id == person_id)).first()
            if account is None:
                # A person without an account is a broken import, not a zero balance: the
                # caller is offered an agent rather than told a wrong amount.
                raise LookupUnavailable("the person has no account record")
            moves = session.scalars(
                select(AccountTransaction)
                .where(AccountTransaction.account_id == account.id)
                .order_by(AccountTransaction.posted_on.desc(), AccountTransaction.id.desc())
                .limit(RECENT)
            ).all()
            return _balance(account, moves)

    def by_mobile(self, mobile: str) -> list[Insured]:
        """Persons registered with this mobile (any national or international form)."""
        mobile = normalize_phone(mobile)
        if not mobile:  # persons with no registered mobile must not match a hidden caller ID
            return []
        query = select(Person).where(Person.mobile == mobile).order_by(Person.id)
        with self._reading() as session:
            return [_insured(row) for row in session.scalars(query)]

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A read-only session; a database error becomes ``LookupUnavailable``.

        SQLAlchemy's own message lists the statement's parameters (the caller's number), so
        only the driver's message, with long digit runs masked, reaches the log, and only the
        error's type reaches the exception.
        """
        try:
            with self.database.session(readonly=True) as session:
                yield session
        except SQLAlchemyError as exc:
            detail = mask_digits_in(str(getattr(exc, "orig", None) or type(exc).__name__))
            log.warning("accounts database unavailable: %s", detail)
            raise LookupUnavailable(f"database: {type(exc).__name__}") from None


def _row_id(person: Insured) -> int | None:
    return int(person.ref) if person.ref.isascii() and person.ref.isdigit() else None


def _insured(row: Person) -> Insured:
    return Insured(
        ref=str(row.id),
        insurance_number=row.insurance_number,
        national_id=row.national_id,
        name=row.full_name,
        mobile=row.mobile,
        language=row.language,
    )


def _balance(account: Account, moves: Sequence[AccountTransaction]) -> Balance:
    currency = account.currency
    last = account.last_contribution_minor
    return Balance(
        currency=currency,
        balance=from_minor(account.balance_minor, currency),
        last_contribution_on=account.last_contribution_on,
        last_contribution=None if last is None else from_minor(last, currency),
        coverage_until=account.coverage_until,
        recent=tuple(
            Movement(m.posted_on, m.kind, from_minor(m.amount_minor, currency), m.description)
            for m in moves
        ),
    )
