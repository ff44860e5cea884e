"""Accounts in an insurer's own system, over HTTP: how a real deployment connects its core.

The contract, relative to IVR_ACCOUNTS_URL (paths and field names can be renamed by a mapping
file, IVR_ACCOUNTS_MAPPING, see ``ivr.accounts.mapping``):

- ``GET  /persons?number=<digits>`` -> 200 a person | 404 none. The number is an insurance
  number (10 digits) or a national ID (12 digits), separators already removed.
- ``GET  /persons?mobile=<84...>`` -> 200 a JSON list of persons (may be empty) | 404 none:
  who registered this mobile, a caller-ID hint, never a proof.
- ``POST /persons/{ref}/verify`` with ``{"proof": "pin" | "birth_date", "value": "<digits>"}``
  (a birth date as ``DDMMYYYY``) -> 200 ``{"ok": true | false}``. The insurer checks the PIN:
  its hashes never leave its system.
- ``GET  /persons/{ref}/account`` -> 200 the account.

A person is ``{"ref", "insurance_number", "national_id", "name", "mobile", "language"}``
(``ref`` is the insurer's own key, used in the paths; ``mobile`` and ``language`` may be
missing). An account is ``{"currency", "balance", "last_contribution_on",
"last_contribution", "coverage_until", "movements": [{"posted_on", "kind", "amount",
"description"}]}``: dates ``YYYY-MM-DD``, amounts JSON numbers or decimal strings in the
currency's major unit (``1263600`` VND, ``"12.50"`` CNY); only ``currency`` and ``balance`` are
required. The newest five movements are kept, newest first, whatever order they come in.

Requests carry ``Accept: application/json`` and the IVR_ACCOUNTS_AUTH_HEADER (``Name: value``,
a secret: never logged). Each request has one deadline, IVR_ACCOUNTS_TIMEOUT, for all of it,
so a caller never waits longer. A timeout, a refused connection, a 5xx, refused credentials
(401/403), another status than 200 (but a 404 from find or by mobile) and a reply that does not
follow the contract are ``LookupUnavailable`` with a short reason and no personal data: the
call scripts apologise and offer an agent or a call back.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ivr.accounts import Balance, Insured, LookupUnavailable, Movement, Proof
from ivr.accounts.http_request import JsonClient
from ivr.accounts.mapping import dig, load_mapping
from ivr.core.phone import clean_number, normalize_phone

RECENT = 5  # movements kept with a balance, as the local backend does
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token


def parse_auth_header(auth_header: str) -> dict[str, str]:
    """``"Authorization: Bearer x"`` -> ``{"Authorization": "Bearer x"}``; {} for "".

    The ValueError never quotes the value: it is a secret.
    """
    if not auth_header:
        return {}
    name, sep, value = auth_header.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not _HEADER_NAME.match(name) or not value:
        raise ValueError("IVR_ACCOUNTS_AUTH_HEADER must be 'Name: value'")
    if any(char in value for char in "\r\n\0"):
        raise ValueError("IVR_ACCOUNTS_AUTH_HEADER must be one line")
    return {name: value}


def _posted(movement: Movement) -> date:
    return movement.posted_on


class HttpAccounts:
    """``AccountLookup`` over an insurer's HTTP API; safe to share between call threads."""

    def __init__(
        self, url: str, timeout: float, auth_header: str = "", mapping: Path | None = None
    ) -> None:
        if not url:
            raise ValueError("IVR_ACCOUNTS=http needs IVR_ACCOUNTS_URL")
        headers = {"Accept": "application/json", "User-Agent": "hotline-ivr"}
        headers |= parse_auth_header(auth_header)
        self.mapping = load_mapping(mapping)
        self.client = JsonClient(url, headers, timeout)

    def find(self, number: str) -> Insured | None:
        number = clean_number(number)
        if not number:
            return None
        reply = self._get("find", number=number)
        if reply is None:
            return None
        return self._person(self._field(reply, "person"), "find")

    def by_mobile(self, mobile: str) -> list[Insured]:
        mobile = normalize_phone(mobile)
        if not mobile:
            return []
        reply = self._get("by_mobile", mobile=mobile)
        if reply is None:
            return []
        persons = self._field(reply, "persons")
        if not isinstance(persons, list):
            raise LookupUnavailable("by_mobile: the reply has no list of persons")
        return [self._person(item, "by_mobile") for item in persons]

    def verify(self, person: Insured, proof: Proof, value: str) -> bool:
        value = clean_number(value)
        if not value or proof not in ("pin", "birth_date"):
            return False
        body = json.dumps({"proof": proof, "value": value}).encode()
        reply = self._send("verify", "POST", body, ref=person.ref)
        verified = self._field(reply, "verified")
        if not isinstance(verified, bool):
            raise LookupUnavailable("verify: the reply has no true/false answer")
        return verified

    def balance(self, person: Insured) -> Balance:
        reply = self._send("account", "GET", None, ref=person.ref)
        currency = self._text(reply, "currency", "account")
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise LookupUnavailable("account: the currency is not an ISO 4217 code")
        moves = self._field(reply, "movements")
        if moves is None:
            moves = []
        if not isinstance(moves, list):
            raise LookupUnavailable("account: the movements are not a list")
        # Newest first; a stable sort keeps the insurer's order within a day.
        recent = sorted((self._movement(m) for m in moves), key=_posted, reverse=True)
        return Balance(
            currency=currency,
            balance=self._money(reply, "balance", "account"),
            last_contribution_on=self._date(reply, "last_contribution_on", "account"),
            last_contribution=self._money(reply, "last_contribution", "account", optional=True),
            coverage_until=self._date(reply, "coverage_until", "account"),
            recent=tuple(recent[:RECENT]),
        )

    def close(self) -> None:
        self.client.close()

    # -- HTTP ------------------------------------------------------------------------------
    def _get(self, name: str, **values: str) -> Any:
        """The JSON reply of a lookup endpoint; None for a 404 (nobody has that number)."""
        reply = self.client.request(name, "GET", self._target(name, values))
        if reply.status == 404:
            return None
        return self._json(name, reply.status, reply.body)

    def _send(self, name: str, method: str, body: bytes | None, **values: str) -> Any:
        """The JSON reply of an endpoint about a known person: a 404 is an error here."""
        reply = self.client.request(name, method, self._target(name, values), body)
        return self._json(name, reply.status, reply.body)

    def _target(self, name: str, values: dict[str, str]) -> str:
        quoted = {key: urllib.parse.quote(value, safe="") for key, value in values.items()}
        return self.mapping.paths[name].format(**quoted)

    @staticmethod
    def _json(name: str, status: int, body: bytes) -> Any:
        if status in (401, 403):
            raise LookupUnavailable(f"{name}: credentials refused (HTTP {status})")
        if status != 200:
            raise LookupUnavailable(f"{name}: HTTP {status}")
        try:
            # Amounts as Decimal straight from the text: 0.1 stays 0.1, not a binary float.
            return json.loads(body, parse_float=Decimal)
        except ValueError:
            raise LookupUnavailable(f"{name}: the reply is not JSON") from None

    # -- reading replies -------------------------------------------------------------------
    def _field(self, data: Any, field: str) -> Any:
        return dig(data, self.mapping.fields[field])

    def _text(self, data: Any, field: str, where: str) -> str:
        value = self._field(data, field)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            raise LookupUnavailable(f"{where}: no text at '{self.mapping.fields[field]}'")
        return str(value)

    def _money(self, data: Any, field: str, where: str, optional: bool = False) -> Any:
        value = self._field(data, field)
        if value is None and optional:
            return None
        try:
            amount = Decimal(value) if isinstance(value, str | int | Decimal) else None
        except InvalidOperation:
            amount = None
        if isinstance(value, bool) or amount is None or not amount.is_finite():
            raise LookupUnavailable(f"{where}: no amount at '{self.mapping.fields[field]}'")
        return amount

    def _date(self, data: Any, field: str, where: str) -> date | None:
        value = self._field(data, field)
        if value is None:
            return None
        try:
            if isinstance(value, str):
                return date.fromisoformat(value)
        except ValueError:
            pass
        raise LookupUnavailable(f"{where}: no YYYY-MM-DD date at '{self.mapping.fields[field]}'")

    def _movement(self, data: Any) -> Movement:
        posted_on = self._date(data, "movement.posted_on", "account")
        if posted_on is None:
            raise LookupUnavailable("account: a movement has no date")
        description = self._field(data, "movement.description")
        return Movement(
            posted_on=posted_on,
            kind=self._text(data, "movement.kind", "account"),
            amount=self._money(data, "movement.amount", "account"),
            description=description if isinstance(description, str) else "",
        )

    def _person(self, data: Any, where: str) -> Insured:
        mobile, language = self._field(data, "mobile"), self._field(data, "language")
        return Insured(
            ref=self._text(data, "ref", where),
            insurance_number=self._text(data, "insurance_number", where),
            national_id=self._text(data, "national_id", where),
            name=self._text(data, "name", where),
            mobile=normalize_phone(str(mobile)) if isinstance(mobile, str | int) else "",
            language=language if isinstance(language, str) and language else None,
        )
