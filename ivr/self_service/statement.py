"""The balance as a caller hears it: amounts and dates in words, by the language's own rules."""

from __future__ import annotations

from datetime import date

from ivr.accounts import Balance
from ivr.self_service.texts import say
from ivr.tts.verbalize import say_date, say_money


def spoken_balance(balance: Balance, language: str, today: date) -> str:
    """Balance, last contribution and how long the card is valid, as one text."""
    currency = balance.currency
    parts = [say("balance", language, amount=say_money(balance.balance, currency, language))]
    if balance.last_contribution_on is not None and balance.last_contribution is not None:
        amount = say_money(balance.last_contribution, currency, language)
        when = say_date(balance.last_contribution_on, language)
        parts.append(say("last_contribution", language, amount=amount, date=when))
    else:
        parts.append(say("no_contribution", language))
    if balance.coverage_until is not None:
        until = say_date(balance.coverage_until, language)
        name = "covered_until" if balance.coverage_until >= today else "coverage_ended"
        parts.append(say(name, language, date=until))
    return (" " if language != "zh" else "").join(parts)
