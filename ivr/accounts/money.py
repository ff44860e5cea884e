"""Money as the database keeps it: whole minor units of the account's currency.

Integers add up exactly and compare exactly on every database; a ``Decimal`` is made only at
the edge, with as many places as the currency has (ISO 4217): the đồng has no subunit in use,
so 1,263,600 VND is stored as 1263600, while 12.50 CNY is stored as 1250 fen.
"""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 minor-unit digits where they are not 2 (those this hotline could plausibly meet).
MINOR_DIGITS = {"VND": 0, "JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3}
DEFAULT_DIGITS = 2  # CNY, USD, EUR, THB, ... and most others


def minor_digits(currency: str) -> int:
    """Places after the point in ``currency``'s minor unit."""
    return MINOR_DIGITS.get(currency.upper(), DEFAULT_DIGITS)


def to_minor(amount: Decimal, currency: str) -> int:
    """``Decimal("12.50")``, "CNY" -> 1250; ValueError for an amount finer than the unit."""
    scaled = amount.scaleb(minor_digits(currency))
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is finer than the currency's smallest unit")
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """1250, "CNY" -> ``Decimal("12.50")``; 1263600, "VND" -> ``Decimal("1263600")``."""
    return Decimal(minor).scaleb(-minor_digits(currency))
