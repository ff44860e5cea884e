"""Waiting until a socket or pipe has something to read, with no ceiling on descriptor
numbers: ``select.select`` refuses a descriptor above 1023 ("filedescriptor out of range in
select()"), which a node holding many calls (and their media, recognizers, logs) reaches;
``poll`` takes any descriptor."""

from __future__ import annotations

import math
import select
from typing import Protocol

_EVENTS = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR


class HasFileno(Protocol):
    def fileno(self) -> int: ...


def readable(source: int | HasFileno, timeout: float | None) -> bool:
    """Whether ``source`` can be read without blocking (data, end of file or an error), waiting
    up to ``timeout`` seconds (None: as long as it takes)."""
    poller = select.poll()
    poller.register(source, _EVENTS)
    wait = -1 if timeout is None else math.ceil(max(0.0, timeout) * 1000)
    return bool(poller.poll(wait))
