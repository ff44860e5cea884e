"""Failed authentication attempts, counted per caller number and per account in live state,
so every worker behind every Asterisk box agrees on a lock-out (Redis when REDIS_URL is set).

A counter lives ``lockout_s`` seconds from the first failure; reaching the limit locks for
``lockout_s`` from that moment. Keys hold a hash of the number, not the number: live state is
not where personal data belongs. A hidden caller number is not counted (every anonymous caller
would share one counter); the account counter still applies to them.
"""

from __future__ import annotations

import hashlib

from ivr.core.live_state import LiveState


def _key(kind: str, number: str) -> str:
    digest = hashlib.sha256(f"hotline-ivr:{kind}:{number}".encode()).hexdigest()[:24]
    return f"auth:failures:{kind}:{digest}"


class AuthAttempts:
    def __init__(
        self, state: LiveState, max_per_caller: int, max_per_account: int, lockout_s: float
    ) -> None:
        self.state = state
        self.limits = {"caller": max_per_caller, "account": max_per_account}
        self.lockout_s = lockout_s

    def _counters(self, caller: str, account: str | None) -> list[tuple[str, str]]:
        counters = []
        if caller.isdigit():
            counters.append((_key("caller", caller), "caller"))
        if account:
            counters.append((_key("account", account), "account"))
        return counters

    def locked(self, caller: str, account: str | None = None) -> bool:
        for key, kind in self._counters(caller, account):
            if int(self.state.get(key) or 0) >= self.limits[kind]:
                return True
        return False

    def failed(self, caller: str, account: str | None) -> bool:
        """Count one failure; True when the caller or the account is now locked out."""
        for key, kind in self._counters(caller, account):
            count = self.state.incr(key)
            if count == 1 or count == self.limits[kind]:
                self.state.expire(key, self.lockout_s)
        return self.locked(caller, account)

    def succeeded(self, account: str) -> None:
        """The account's own counter starts again; the caller number's does not (one valid
        account must not reset a caller who is trying many)."""
        self.state.delete(_key("account", account))
