"""A background writer for bookkeeping rows: the database's trouble delays a record, never a
caller.

Call records used to be written in the call's own thread: a SQLite database locked by another
writer (a long admin import, a backup) held the caller in silence for the busy timeout, and
after four tries the write was lost. Here a call only appends its change to a bounded queue in
memory and goes on; one thread per process writes the changes in order, many in one
transaction, and when the database is locked or unreachable it keeps them and tries again
with a growing pause (``retry_s`` doubling up to ``max_retry_s``), until they are written.

What can still be lost, and is logged when it is: the changes in the queue when the process is
killed (the node closes its open records as "interrupted" when it starts again), and changes
beyond ``capacity`` while the database has been down for very long (each dropped change is
counted in the log). A change that can never be written (a bug, a value the database refuses)
is logged and dropped alone; the others are written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from ivr.core.db import Database

log = logging.getLogger(__name__)
CAPACITY = 100_000  # changes held while the database is away: minutes of a busy day
BATCH = 200  # changes per transaction
RETRY_S = 0.5  # the first pause after a failed write, doubling ...
MAX_RETRY_S = 10.0  # ... up to this
SLOW_S = 0.25  # a write taking longer than this: the database is in trouble
CLASH_TRIES = 4  # a unique-key clash (another node wrote the same row first) retried so often

Work = Callable[[Session], None]


@dataclass(frozen=True)
class Change:
    call_id: str  # for the log; never the caller's number
    what: str
    work: Work


def _transient(exc: Exception) -> bool:
    """The database's state, not the change, is at fault: locked, unreachable, restarting."""
    return isinstance(exc, (OperationalError, InterfaceError)) or bool(
        getattr(exc, "connection_invalidated", False)
    )


class RecordWriter:
    def __init__(
        self,
        database: Database,
        capacity: int = CAPACITY,
        retry_s: float = RETRY_S,
        max_retry_s: float = MAX_RETRY_S,
    ) -> None:
        self.database = database
        self.capacity = capacity
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self._queue: deque[Change] = deque()
        self._lock = threading.Lock()
        # Two conditions on one lock: the writer waits for work, readers for written changes
        # (one would wake every waiting reader at every change a call queues).
        self._work = threading.Condition(self._lock)
        self._written = threading.Condition(self._lock)
        self._submitted = 0  # changes ever queued
        self._finished = 0  # changes written (or dropped as unwritable)
        self._dropped = 0  # changes refused because the queue was full
        self._failing_since: float | None = None
        self._busy_since: float | None = None  # a write in progress since (monotonic)
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- the calls' side ------------------------------------------------------------------
    def submit(self, call_id: str, what: str, work: Work) -> bool:
        """Queue one change; False (and a log line) only when the queue is full."""
        with self._lock:
            if len(self._queue) >= self.capacity:
                self._dropped += 1
                if self._dropped == 1 or self._dropped % 1000 == 0:
                    log.error(
                        "call %s: %s not recorded: %d changes wait for the database already "
                        "(%d dropped so far)",
                        call_id, what, len(self._queue), self._dropped,
                    )  # fmt: skip
                return False
            self._queue.append(Change(call_id, what, work))
            self._submitted += 1
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, name="records", daemon=True)
                self._thread.start()
            self._work.notify()
            return True

    @property
    def healthy(self) -> bool:
        """The database takes writes as it should: nothing failing, nothing slow."""
        with self._lock:
            busy = self._busy_since
            return self._failing_since is None and (
                busy is None or time.monotonic() - busy < SLOW_S
            )

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._queue)

    def flush(self, timeout: float) -> bool:
        """Wait until every change queued so far is written; False if ``timeout`` ran out."""
        deadline = time.monotonic() + timeout
        with self._lock:
            target = self._submitted
            while self._finished < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._written.wait(left)
            return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (for up to ``timeout`` seconds), then stop the thread."""
        if not self.flush(timeout):
            log.error("records: %d changes not written at shutdown", self.waiting)
        with self._lock:
            self._stopping = True
            self._work.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    # -- the writer thread ----------------------------------------------------------------
    def _run(self) -> None:
        pause = self.retry_s
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    self._work.wait()
                if self._stopping:
                    return
                batch = [self._queue[i] for i in range(min(BATCH, len(self._queue)))]
                self._busy_since = time.monotonic()
            written, error = self._write(batch)
            with self._lock:
                self._busy_since = None
                for _ in range(written):
                    self._queue.popleft()
                self._finished += written
                if written:
                    self._written.notify_all()
                if error is None:
                    recovered, self._failing_since = self._failing_since, None
                else:
                    recovered, self._failing_since = None, self._failing_since or time.monotonic()
            if recovered is not None:
                log.warning(
                    "records: the database takes writes again after %.1f s; %d changes waiting",
                    time.monotonic() - recovered, self.waiting,
                )  # fmt: skip
            if error is None:
                pause = self.retry_s
                continue
            if pause == self.retry_s:  # the first failure of this outage
                log.warning(
                    "records: the database does not take writes (%s); %d changes kept, tried "
                    "again every %g s or more",
                    _reason(error), self.waiting, self.retry_s,
                )  # fmt: skip
            with self._lock:
                self._work.wait_for(lambda: self._stopping, pause)
            pause = min(pause * 2, self.max_retry_s)

    def _write(self, batch: list[Change]) -> tuple[int, Exception | None]:
        """Write ``batch`` in one transaction, or change by change when one of them fails on
        its own; how many changes are done (from the front) and the database's error if it
        stopped the rest."""
        try:
            with self.database.session() as session:
                for change in batch:
                    change.work(session)
            return len(batch), None
        except Exception as exc:
            if _transient(exc):
                return 0, exc
        done = 0
        for change in batch:
            error = self._write_one(change)
            if error is not None:
                return done, error
            done += 1
        return done, None

    def _write_one(self, change: Change) -> Exception | None:
        for attempt in range(1, CLASH_TRIES + 1):
            try:
                with self.database.session() as session:
                    change.work(session)
                return None
            except IntegrityError as exc:  # another node made the row first: read it now
                if attempt == CLASH_TRIES:
                    log.error(
                        "call %s: %s not recorded: %s", change.call_id, change.what, _reason(exc)
                    )
                time.sleep(0.01 * attempt)
            except Exception as exc:
                if _transient(exc):
                    return exc
                log.error("call %s: %s not recorded: %s", change.call_id, change.what, _reason(exc))
                return None
        return None


def _reason(exc: Exception) -> str:
    """The driver's message, not SQLAlchemy's, which lists the parameters (numbers)."""
    return f"{type(exc).__name__}: {str(getattr(exc, 'orig', None) or exc)[:200]}"
