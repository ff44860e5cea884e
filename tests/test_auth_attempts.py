"""Lock-out counters and caller-ID normalisation, on both live-state implementations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from ivr.core.live_state import MemoryState, RedisState
from ivr.core.phone import normalize_phone
from ivr.self_service.attempts import AuthAttempts


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryState()
        return
    url = request.getfixturevalue("redis_server")
    live = RedisState(url, prefix=f"test-attempts-{time.monotonic_ns()}:")
    yield live
    live.close()


def test_account_locks_after_its_limit_and_success_resets_it(state: Any) -> None:
    attempts = AuthAttempts(state, max_per_caller=5, max_per_account=3, lockout_s=60)
    assert attempts.failed("84901111111", "acct-1") is False
    assert attempts.failed("84902222222", "acct-1") is False
    assert not attempts.locked("84903333333", "acct-1")
    attempts.succeeded("acct-1")  # a right PIN: the account's count starts again
    assert [attempts.failed("84904444444", "acct-1") for _ in range(3)] == [False, False, True]
    assert attempts.locked("84905555555", "acct-1")  # from any number
    assert not attempts.locked("84905555555", "acct-2")


def test_caller_locks_across_accounts_and_success_does_not_reset_it(state: Any) -> None:
    attempts = AuthAttempts(state, max_per_caller=3, max_per_account=10, lockout_s=60)
    attempts.failed("84901234567", "a")
    attempts.failed("84901234567", "b")
    attempts.succeeded("b")
    assert attempts.failed("84901234567", None) is True  # "number not found" counts too
    assert attempts.locked("84901234567")
    assert not attempts.locked("84907654321", "c")


def test_hidden_numbers_are_not_counted_together(state: Any) -> None:
    attempts = AuthAttempts(state, max_per_caller=1, max_per_account=5, lockout_s=60)
    assert attempts.failed("", None) is False
    assert not attempts.locked("")


def test_lockout_ends(state: Any) -> None:
    attempts = AuthAttempts(state, max_per_caller=5, max_per_account=1, lockout_s=0.2)
    assert attempts.failed("84901234567", "acct") is True
    deadline = time.monotonic() + 5
    while attempts.locked("84901234567", "acct") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not attempts.locked("84901234567", "acct")


def test_keys_hold_no_numbers() -> None:
    state = MemoryState()
    AuthAttempts(state, 5, 5, 60).failed("84901234567", "0123456789")
    keys = " ".join(state._values)
    assert "84901234567" not in keys and "0123456789" not in keys and keys.count("auth:") == 2


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("0901234567", "84901234567"),
        ("+84 90 123 4567", "84901234567"),
        ("0084901234567", "84901234567"),
        ("84901234567", "84901234567"),
        ("anonymous", ""),
        ("", ""),
        ("123", ""),
    ],
)
def test_caller_number(raw: str, number: str) -> None:
    assert normalize_phone(raw) == number
