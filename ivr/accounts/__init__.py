"""Insured persons and their accounts, as the call scripts see them, behind one interface.

``AccountLookup`` has two implementations: ``LocalAccounts`` (this project's database, filled by
``ivr seed --demo``) and ``HttpAccounts`` (an insurer's own system over HTTP). Scripts only see
the frozen values below; a backend that is down, slow or broken raises ``LookupUnavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Protocol

Proof = Literal["pin", "birth_date"]


class LookupUnavailable(Exception):
    """The backend did not answer in time, or answered with an error: try again later."""


@dataclass(frozen=True)
class Insured:
    """Who a caller claims to be. ``ref`` is the backend's own key for the person."""

    ref: str
    insurance_number: str
    national_id: str
    name: str
    mobile: str  # registered mobile, digits only (84901234567)
    language: str | None = None


@dataclass(frozen=True)
class Movement:
    posted_on: date
    kind: str  # "contribution", "refund", "payout"
    amount: Decimal
    description: str = ""


@dataclass(frozen=True)
class Balance:
    currency: str  # ISO 4217: "VND", "CNY"
    balance: Decimal
    last_contribution_on: date | None
    last_contribution: Decimal | None
    coverage_until: date | None
    recent: tuple[Movement, ...] = ()  # newest first


class AccountLookup(Protocol):
    def find(self, number: str) -> Insured | None:
        """The person with this insurance number or national ID number, or None."""

    def verify(self, person: Insured, proof: Proof, value: str) -> bool:
        """Whether ``value`` is the person's PIN (digits) or birth date (``DDMMYYYY``)."""

    def balance(self, person: Insured) -> Balance:
        """The person's account now."""

    def by_mobile(self, mobile: str) -> list[Insured]:
        """Persons registered with this mobile number (a caller-ID hint, never a proof)."""


def make_accounts(settings: Any, database: Any) -> AccountLookup:
    """The backend IVR_ACCOUNTS names: the local database, or the insurer's HTTP system."""
    if settings.accounts == "http":
        from ivr.accounts.http_backend import HttpAccounts

        return HttpAccounts(
            settings.accounts_url,
            settings.accounts_timeout,
            settings.accounts_auth_header,
            settings.accounts_mapping,
        )
    from ivr.accounts.local import LocalAccounts

    return LocalAccounts(database)
