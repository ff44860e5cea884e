"""The mapping file (IVR_ACCOUNTS_MAPPING): an insurer's paths and JSON field names for ours.

An insurer's system already exists and will not rename its fields for us, so the contract of
``ivr.accounts.http_backend`` is spoken in its words through a small JSON file::

    {
      "paths": {"find": "/api/nguoi?so={number}", "account": "/api/nguoi/{ref}/tai-khoan"},
      "fields": {"ref": "ma", "name": "hoTen", "balance": "data.soDu",
                 "movements": "data.giaoDich", "movement.amount": "soTien"}
    }

Every key is optional; what is left out keeps the default (``PATHS``, ``FIELDS``). A field's
value is a dotted path into the reply (``data.soDu`` is ``reply["data"]["soDu"]``);
``movement.*`` paths are read inside each item of ``movements``, and ``person``/``persons`` say
where the person (find) or the list of persons (by mobile) sits in a reply ("" = the reply
itself). The file is checked once at start-up; a mistake stops the service with a message
naming the key, instead of failing on a caller's first lookup.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PATHS = {
    "find": "/persons?number={number}",
    "by_mobile": "/persons?mobile={mobile}",
    "verify": "/persons/{ref}/verify",
    "account": "/persons/{ref}/account",
}
# The one value each path must carry (URL-quoted when filled in).
PLACEHOLDERS = {"find": "number", "by_mobile": "mobile", "verify": "ref", "account": "ref"}
FIELDS = {
    # where the person is in a find reply, and the list in a by-mobile reply ("" = the reply)
    "person": "",
    "persons": "",
    # a person
    "ref": "ref",
    "insurance_number": "insurance_number",
    "national_id": "national_id",
    "name": "name",
    "mobile": "mobile",
    "language": "language",
    # a verify reply
    "verified": "ok",
    # an account reply
    "currency": "currency",
    "balance": "balance",
    "last_contribution_on": "last_contribution_on",
    "last_contribution": "last_contribution",
    "coverage_until": "coverage_until",
    "movements": "movements",
    # each item of movements
    "movement.posted_on": "posted_on",
    "movement.kind": "kind",
    "movement.amount": "amount",
    "movement.description": "description",
}
CONTAINERS = ("person", "persons")  # the only fields that may be "" (the whole reply)


@dataclass(frozen=True)
class Mapping:
    paths: dict[str, str]
    fields: dict[str, str]


def load_mapping(path: Path | None) -> Mapping:
    """The defaults with the file's renamings; ValueError naming the file and the bad key."""
    paths, fields = dict(PATHS), dict(FIELDS)
    if path is None:
        return Mapping(paths, fields)
    where = f"IVR_ACCOUNTS_MAPPING {path}"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a JSON object with 'paths' and 'fields'")
    for key in data:
        if key not in ("paths", "fields"):
            raise ValueError(f"{where}: unknown key '{key}' (expected 'paths' and 'fields')")
    for section, known, check in (("paths", paths, _check_path), ("fields", fields, _check_field)):
        given = data.get(section, {})
        if not isinstance(given, dict):
            raise ValueError(f"{where}: '{section}' must be an object")
        for key, value in given.items():
            if key not in known:
                choices = ", ".join(known)
                raise ValueError(f"{where}: unknown {section} key '{key}' (known: {choices})")
            problem = check(key, value)
            if problem:
                raise ValueError(f"{where}: {section}.{key} {problem}")
            known[key] = value
    return Mapping(paths, fields)


def _check_path(key: str, value: Any) -> str:
    """What is wrong with ``value`` as the path of endpoint ``key``; "" if nothing."""
    if not isinstance(value, str) or not value.startswith("/"):
        return "must be text starting with '/'"
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:  # an unmatched brace
        return f"is not a path template: {exc}"
    wanted = PLACEHOLDERS[key]
    if names != {wanted}:
        return f"must contain {{{wanted}}} and no other {{...}}"
    return ""


def _check_field(key: str, value: Any) -> str:
    """What is wrong with ``value`` as the JSON path of field ``key``; "" if nothing."""
    if not isinstance(value, str):
        return "must be text (a dotted JSON path)"
    if value == "" and key in CONTAINERS:
        return ""
    if not value or any(not part.strip() for part in value.split(".")):
        return "must be a dotted JSON path such as 'data.soDu'"
    return ""


def dig(data: Any, path: str) -> Any:
    """``data`` at dotted ``path`` ("" is ``data`` itself); None where anything is missing."""
    if path == "":
        return data
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data
