"""The flows in force: loaded from ``dialplans/``, reloaded when a file changes.

An admin's edit takes effect on the next call with no restart and no Asterisk reload. If an
edit leaves the folder invalid, calls keep the last valid set and the problems are logged once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from pathlib import Path

from ivr.flow.loader import FlowError, FlowSet, load_flows

log = logging.getLogger(__name__)


class FlowStore:
    def __init__(self, directory: Path, known_scripts: Collection[str] | None = None) -> None:
        self.directory = Path(directory)
        self.known_scripts = known_scripts
        self._lock = threading.Lock()
        self._fingerprint: tuple[tuple[str, int, int], ...] | None = None
        self._flows: FlowSet | None = None
        self._failed: tuple[tuple[str, int, int], ...] | None = None
        self._problems: list = []
        self.current()  # an invalid folder at start-up is an error, not a silent empty set
        if self._flows is None:
            raise FlowError(self._problems)

    def _scan(self) -> tuple[tuple[str, int, int], ...]:
        files = sorted(self.directory.glob("*.yaml"))
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)

    def current(self) -> FlowSet:
        with self._lock:
            fingerprint = self._scan()
            if fingerprint != self._fingerprint and fingerprint != self._failed:
                try:
                    self._flows = load_flows(self.directory, self.known_scripts)
                    self._fingerprint, self._failed = fingerprint, None
                    log.info(
                        "flows loaded from %s: %s",
                        self.directory,
                        ", ".join(f.id for f in self._flows) or "none",
                    )
                except FlowError as exc:
                    self._failed, self._problems = fingerprint, exc.problems
                    for problem in exc.problems:
                        log.error("flow not loaded: %s", problem)
                    if self._flows is not None:
                        log.error("keeping the last valid flows until the files are fixed")
            assert self._flows is not None or self._failed is not None
            return self._flows  # type: ignore[return-value]
