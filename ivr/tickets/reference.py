"""Ticket references: ten digits a caller can hear, say and type on a keypad.

``yymmdd`` + a three-digit sequence of that day + a Luhn check digit (``2611230071``): short
enough to read back twice on the phone, sorted by date for the admins, and a mistyped or
misheard digit (or two neighbours swapped) fails the check digit, so a caller who quotes a
wrong reference is told so instead of being matched with another caller's ticket.
"""

from __future__ import annotations

from datetime import date


def luhn_digit(digits: str) -> str:
    """The check digit that makes ``digits + it`` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:  # doubled: the positions next to the check digit, every other one
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


def is_valid(reference: str) -> bool:
    return (
        len(reference) == 10 and reference.isdigit() and luhn_digit(reference[:-1]) == reference[-1]
    )


def make(day: date, sequence: int) -> str:
    if not 1 <= sequence <= 999:
        raise ValueError(f"ticket sequence {sequence} out of 1..999 for {day}")
    body = f"{day:%y%m%d}{sequence:03d}"
    return body + luhn_digit(body)
