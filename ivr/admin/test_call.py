"""The "test call" of the flow editor: the call simulator dials a draft and the admin reads
what the caller would hear.

The draft and the other published files are written to a temporary folder, which a flow store
of its own serves to a FastAGI server and an AudioSocket media server of their own (port 0, in
this process), so the flows in force are never touched. The call is the simulator's: the real
wire, real prompts (rendered by the shared prompt cache), real speech recognition where the
language has a recognizer. It keeps no call record and uses a live state of its own, so a test
call is not counted on the wallboard or in the reports. Both sides run at
``SIMULATION_RATE`` times real speed (``ivr.core.media_clock``): a prompt of 3 s passes in 0.3 s,
the transcript shows call time. A test is a few steps, and the call is cut off after
``timeout`` real seconds.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ivr.agi.server import FastAgiServer
from ivr.agi.services import Services
from ivr.core.live_state import MemoryState
from ivr.core.media_clock import SIMULATION_RATE, MediaClock
from ivr.flow.loader import FlowError
from ivr.flow.store import FlowStore
from ivr.simulator.caller import Action, HangUp, Listen, Press, Say, speech
from ivr.simulator.simulator import SimulatedCall
from ivr.voice.media_server import MediaServer

log = logging.getLogger(__name__)

QUEUE_OUTCOMES = (
    "ANSWERED",
    "TIMEOUT",
    "FULL",
    "JOINEMPTY",
    "LONGWAIT",
    "KEY1",
    "KEY2",
    "CONTINUE",
)
MAX_STEPS = 12
TIMEOUT = 60.0
KEYS = set("0123456789*#")


class StepError(ValueError):
    """The steps cannot be run; ``messages`` says which line and why, in plain words."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class TestCall:
    heard: list[str] = field(default_factory=list)  # what the caller hears, in order
    route: list[str] = field(default_factory=list)  # the nodes the call went through
    transcript: str = ""
    error: str = ""
    seconds: float = 0.0  # how long the call lasted for the caller (call time)


def parse_steps(text: str, language: str, recognizers: Any) -> list[Action]:
    """``press 1``, ``say insurance``, ``wait``, ``hangup``, one a line. Speech needs a
    recognizer for ``language`` (else that language's menus are keys only)."""
    actions: list[Action] = []
    problems: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    for number, line in enumerate(lines, 1):
        if not line or line.startswith("#"):
            continue
        verb, _, rest = line.partition(" ")
        verb, rest = verb.lower(), rest.strip()
        if verb == "press" and rest and set(rest) <= KEYS:
            actions.append(Press(rest))
        elif verb == "say" and rest:
            if recognizers is None or recognizers.get(language) is None:
                problems.append(
                    f"line {number}: there is no speech recognizer for '{language}' here, so "
                    "its menus are keys only: use press"
                )
            else:
                actions.append(Say(speech(rest, language), label=f'"{rest}"'))
        elif verb == "wait" and not rest:
            actions.append(Listen())
        elif verb == "hangup" and not rest:
            actions.append(HangUp())
        else:
            problems.append(
                f"line {number}: '{line}' is not a step: press <keys>, say <words>, wait or hangup"
            )
    if len(actions) > MAX_STEPS:
        problems.append(f"at most {MAX_STEPS} steps: keep a test call short")
    if problems:
        raise StepError(problems)
    if not actions or not isinstance(actions[-1], HangUp):
        actions.append(HangUp())  # the caller leaves in the next prompt after the last step
    return actions


def run_test_call(
    services: Services,
    files: dict[str, str],
    number: str,
    actions: list[Action],
    queue_outcome: str = "ANSWERED",
    timeout: float = TIMEOUT,
) -> TestCall:
    """Dial ``number`` on a folder holding ``files`` (name -> text) and return what happened."""
    with tempfile.TemporaryDirectory(prefix="test-call-") as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        try:
            store = FlowStore(folder, services.flows.known_scripts)
        except FlowError as exc:
            return TestCall(error=f"The flow has problems, fix them first: {exc.problems[0]}")
        copy = replace(services, flows=store, records=None, state=MemoryState())
        media = MediaServer("127.0.0.1", 0, "", MediaClock(SIMULATION_RATE)).start()
        agi = FastAgiServer(services.scripts, copy, media, "127.0.0.1", 0).start()
        try:
            call = SimulatedCall(
                ("127.0.0.1", agi.port),
                number,
                actions,
                callerid="0000000000",
                queue_outcomes=[queue_outcome, "ANSWERED"],
                rate=SIMULATION_RATE,
            )
            result = call.run(timeout=timeout)
        except Exception as exc:  # the simulator's own failure: said plainly, logged in full
            log.exception("test call failed")
            return TestCall(error=f"The test call failed: {exc}")
        finally:
            agi.stop(wait=2.0)
            media.stop()
    heard = [
        text[len('ivr: say "') : -1]
        for text in result.kinds("ivr")
        if text.startswith('ivr: say "')
    ]
    route = result.route or [
        text.split()[2] for text in result.kinds("ivr") if text.startswith("ivr: node ")
    ]
    errors = result.kinds("error")
    error = ""
    if "FAILURE" in result.agi_status:
        error = "The IVR could not be reached for the test call."
    elif errors:
        error = "The call did not end cleanly: " + "; ".join(errors[:3])
    lasted = result.events[-1].at if result.events else 0.0
    return TestCall(heard, route, result.transcript(), error, lasted)
