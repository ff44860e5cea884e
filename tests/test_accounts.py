"""The accounts backends: the local database filled by `ivr seed --demo`, and an insurer's
system over HTTP (a real HTTP server on loopback, with its own field names)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ivr.accounts import Insured, LookupUnavailable
from ivr.accounts.http_backend import HttpAccounts, load_mapping
from ivr.accounts.local import LocalAccounts
from ivr.accounts.money import from_minor, to_minor
from ivr.accounts.pins import check_pin, hash_pin
from ivr.accounts.seed import DEMO_PERSONS
from ivr.cli import main
from ivr.core.db import Database
from tests.insurer_peer import TOKEN, InsurerPeer

HONG = DEMO_PERSONS[0]


def test_pin_hashes() -> None:
    stored = hash_pin("2468")
    assert stored.startswith("scrypt$") and "2468" not in stored
    assert check_pin("2468", stored) and not check_pin("2469", stored)
    assert hash_pin("2468") != stored  # salted
    for broken in ["", "scrypt$1$2", "md5$a$b$c$d$e", stored[:-4] + "!!!!"]:
        assert check_pin("2468", broken) is False
    with pytest.raises(ValueError):
        hash_pin("24a8")


def test_money_in_minor_units() -> None:
    assert to_minor(Decimal("1263600"), "VND") == 1263600
    assert to_minor(Decimal("12.50"), "CNY") == 1250 and from_minor(1250, "CNY") == Decimal("12.50")
    with pytest.raises(ValueError):
        to_minor(Decimal("0.5"), "VND")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    data = tmp_path_factory.mktemp("seed")
    monkey = pytest.MonkeyPatch()
    monkey.setenv("IVR_DATA_DIR", str(data))
    try:
        assert main(["seed", "--demo", "--count", "40"]) == 0
        assert main(["seed", "--demo", "--count", "40"]) == 0  # again: nothing added
    finally:
        monkey.undo()
    database = Database(f"sqlite:///{data / 'ivr.db'}")
    yield database
    database.close()


def test_seed_is_idempotent_and_realistic(
    demo_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import func, select

    from ivr.core.models import AccountTransaction, Person

    with demo_db.session(readonly=True) as session:
        people = session.scalars(select(Person)).all()
        moves = session.scalar(select(func.count()).select_from(AccountTransaction))
    assert len(people) == len(DEMO_PERSONS) + 40
    assert len({p.insurance_number for p in people}) == len(people)
    assert all(len(p.insurance_number) == 10 and len(p.national_id) == 12 for p in people)
    assert any("ị" in p.full_name or "ễ" in p.full_name for p in people)  # Vietnamese marks
    assert any("黄" in p.full_name or "李" in p.full_name or "陈" in p.full_name for p in people)
    assert moves and moves >= 3 * 40


def test_local_find_verify_balance(demo_db: Database) -> None:
    accounts = LocalAccounts(demo_db)
    by_number = accounts.find(HONG.insurance_number)
    by_id = accounts.find(f" {HONG.national_id[:4]}-{HONG.national_id[4:]} ")
    assert by_number is not None and by_number == by_id
    assert (by_number.name, by_number.mobile, by_number.language) == (HONG.name, HONG.mobile, "vi")
    assert accounts.find("9999999999") is None
    assert accounts.verify(by_number, "pin", HONG.pin)
    assert not accounts.verify(by_number, "pin", "0000")
    assert accounts.verify(by_number, "birth_date", HONG.birth_date.strftime("%d%m%Y"))
    assert not accounts.verify(by_number, "birth_date", "31022000")  # not even a date
    balance = accounts.balance(by_number)
    assert (balance.currency, balance.balance) == ("VND", HONG.balance)
    assert balance.last_contribution == HONG.last_contribution
    assert balance.coverage_until == HONG.coverage_until
    assert 3 <= len(balance.recent) <= 5
    assert [m.posted_on for m in balance.recent] == sorted(
        (m.posted_on for m in balance.recent), reverse=True
    )
    assert accounts.by_mobile(HONG.mobile) == [by_number]


def test_local_database_down_is_unavailable(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path / 'missing-tables.db'}")  # never migrated
    with pytest.raises(LookupUnavailable, match="database: OperationalError"):
        LocalAccounts(broken).find(HONG.insurance_number)


@pytest.fixture
def insurer() -> Iterator[InsurerPeer]:
    peer = InsurerPeer()
    yield peer
    peer.stop()


def backend(peer: InsurerPeer, folder: Path, timeout: float = 2.0) -> HttpAccounts:
    return HttpAccounts(peer.url, timeout, f"Authorization: {TOKEN}", peer.mapping_file(folder))


def test_http_backend_with_a_mapping(insurer: InsurerPeer, tmp_path: Path) -> None:
    accounts = backend(insurer, tmp_path)
    person = accounts.find(HONG.national_id)
    assert person == Insured(
        "P0", HONG.insurance_number, HONG.national_id, HONG.name, HONG.mobile, None
    )
    assert accounts.find("9999999999") is None
    assert accounts.verify(person, "pin", HONG.pin) is True
    assert accounts.verify(person, "pin", "1111") is False
    assert accounts.verify(person, "birth_date", "05031987") is True
    balance = accounts.balance(person)
    assert (balance.balance, balance.coverage_until) == (HONG.balance, date(2027, 6, 30))
    assert balance.last_contribution == HONG.last_contribution
    assert [m.kind for m in balance.recent] == ["contribution"]
    assert accounts.by_mobile(HONG.mobile) == [person]
    method, path, headers = insurer.requests[2]
    assert (method, path) == ("POST", "/api/v2/nguoi-tham-gia/P0/xac-thuc")
    assert headers["Authorization"] == TOKEN


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error", "find: HTTP 500"),
        ("auth", "find: credentials refused (HTTP 401)"),
        ("garbage", "find: the reply is not JSON"),
    ],
)
def test_http_backend_failures(
    insurer: InsurerPeer, tmp_path: Path, mode: str, reason: str
) -> None:
    insurer.mode = mode
    accounts = HttpAccounts(
        insurer.url, 2.0, "Authorization: Bearer wrong", insurer.mapping_file(tmp_path)
    )
    with pytest.raises(LookupUnavailable) as caught:
        accounts.find(HONG.insurance_number)
    assert str(caught.value) == reason
    assert HONG.insurance_number not in str(caught.value)


def test_http_backend_gives_up_at_its_timeout(insurer: InsurerPeer, tmp_path: Path) -> None:
    insurer.mode, insurer.delay = "slow", 5.0
    accounts = backend(insurer, tmp_path, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(LookupUnavailable, match=r"find: no answer within 0.3 s"):
        accounts.find(HONG.insurance_number)
    assert time.monotonic() - started < insurer.delay  # it did not wait for the peer


def test_http_backend_refused_connection(tmp_path: Path) -> None:
    accounts = HttpAccounts("http://127.0.0.1:9", 1.0)
    with pytest.raises(LookupUnavailable, match="find: ConnectionRefusedError"):
        accounts.find(HONG.insurance_number)


def test_mapping_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"fields": {"balanse": "data.soDu"}}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown fields key 'balanse'"):
        load_mapping(path)
    path.write_text(json.dumps({"paths": {"find": ""}}), encoding="utf-8")
    with pytest.raises(ValueError, match="paths.find must be text"):
        load_mapping(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="IVR_ACCOUNTS_MAPPING"):
        load_mapping(path)
    with pytest.raises(ValueError, match="needs IVR_ACCOUNTS_URL"):
        HttpAccounts("", 1.0)
    with pytest.raises(ValueError, match="'Name: value'"):
        HttpAccounts("http://x", 1.0, "Bearer only")
