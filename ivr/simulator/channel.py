"""The simulated channel: what one call's AGI sessions share (the caller's actions still to
come, variables, what was played, the events of the transcript), in call time."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ivr.core.media_clock import REAL_TIME, MediaClock
from ivr.simulator.audiosocket_peer import SessionOutcome
from ivr.simulator.caller import Action

DEFAULT_SOUNDS = [Path("/usr/share/asterisk/sounds")]


@dataclass
class Event:
    at: float  # seconds of call time since the call started
    kind: str  # agi, reply, ivr, play, caller, lost, dialplan, error
    text: str


@dataclass
class Channel:
    """The simulated channel: state shared by every AGI session of one call."""

    actions: list[Action]
    language: str = "en"
    agi_sighup: bool = True
    exit_on_hangup: bool = False
    answer_delay: float = 0.5
    sounds: list[Path] = field(default_factory=lambda: list(DEFAULT_SOUNDS))
    packet_ms: int = 20
    continuous_media: bool = False
    answered: bool = False
    dead: bool = False
    pending_hangup_line: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    played: list[bytes] = field(default_factory=list)
    sessions: list[SessionOutcome] = field(default_factory=list)
    clock: MediaClock = REAL_TIME  # call time: media, timeouts, the caller's actions
    started: float | None = None  # call time; None: when the channel is made
    process: subprocess.Popen[bytes] | None = None  # classic AGI: the script's process

    def __post_init__(self) -> None:
        if self.started is None:
            self.started = self.clock.monotonic()

    def log(self, kind: str, text: str) -> None:
        started = self.started or 0.0
        self.events.append(Event(round(self.clock.monotonic() - started, 3), kind, text))

    def next_action_is(self, kind: type, when: str | None = None) -> bool:
        if not self.actions or not isinstance(self.actions[0], kind):
            return False
        return when is None or getattr(self.actions[0], "when", None) == when

    def caller_hangs_up(self, how: str) -> None:
        self.dead = True
        self.log("caller", how)
