"""The process's open-file limit, raised at start to what the configured calls need.

Every call holds descriptors: its FastAGI socket, its AudioSocket session during a turn, and
now and then a database file, a recognizer's or a synthesizer's pipe. Connections that send
nothing hold one each until their deadline (the FastAGI header, the AudioSocket handshake).
Many systems start services with a soft limit of 1024 open files: a node meant for 500 calls
would run out (``accept`` fails with EMFILE, and then every new call) long before that. The
soft limit may be raised up to the hard one without privileges, so ``ivr serve`` does it at
start, logging what it did, and warns when even the hard limit is too low.
"""

from __future__ import annotations

import logging
import resource

log = logging.getLogger(__name__)

PER_CALL = 4  # FastAGI socket, AudioSocket session, and a spare for files and pipes
BASE = 1024  # the process itself: libraries, models, logs, the web side, idle connections


def files_needed(max_calls: int, idle: int) -> int:
    """Descriptors for ``max_calls`` calls and ``idle`` connections waiting at once."""
    return BASE + PER_CALL * max_calls + idle


def raise_open_files(needed: int) -> int:
    """Raise the soft RLIMIT_NOFILE to ``needed`` (at most the hard limit); the soft limit
    now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return int(soft)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            log.warning("open files: cannot raise the soft limit from %d: %s", soft, exc)
            target = soft
        else:
            shown = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
            log.info("open files: soft limit raised from %d to %d (hard limit %s)",
                     soft, target, shown)  # fmt: skip
    if target < needed:
        log.warning(
            "open files: %d allowed, %d needed for IVR_MAX_CALLS calls and idle connections: "
            "raise the hard limit (LimitNOFILE= in systemd, ulimit -Hn) or lower IVR_MAX_CALLS",
            target, needed,
        )  # fmt: skip
    return target
