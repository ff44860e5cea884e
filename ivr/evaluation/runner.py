"""Playing every case into a local IVR and reading what it made of it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from ivr.app import RunningIvr, start
from ivr.core.media_clock import SIMULATION_RATE
from ivr.core.settings import Settings
from ivr.evaluation import script
from ivr.evaluation.cases import NONE, Case, Outcome
from ivr.evaluation.noise import add_noise
from ivr.simulator.caller import Say, read_wav
from ivr.simulator.simulator import SimulatedCall
from ivr.wire.audio_format import SAMPLE_RATE

LEAD_IN = 1.0  # seconds of the line before the caller speaks (noise, when there is noise)
TAIL = 1.5  # and after


def padded(pcm: bytes, snr_db: float | None, seed: int) -> bytes:
    """The caller's side of the line: quiet (or noise) around the recording."""
    audio = b"\0\0" * int(SAMPLE_RATE * LEAD_IN) + pcm + b"\0\0" * int(SAMPLE_RATE * TAIL)
    return audio if snr_db is None else add_noise(audio, snr_db, seed)


def local_ivr(settings: Settings, rate: float = SIMULATION_RATE) -> RunningIvr:
    """An IVR of its own on free ports, with the evaluation script registered, running at
    ``rate`` (call time per real second: what is measured is understanding, not latency)."""
    script.install()
    local = replace(
        settings, agi_port=0, media_port=0, http_port=0, sms_gateway="none", media_rate=rate
    )
    return start(local)


def evaluate(
    running: RunningIvr,
    cases: Iterable[Case],
    noises: Iterable[float | None] = (None,),
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    outcomes = []
    address = ("127.0.0.1", running.agi.port)
    for snr in noises:
        for seed, case in enumerate(cases, 1):
            audio = padded(read_wav(case.file), snr, seed)
            say = Say(audio, delay=0.0, label=case.file.name)
            call = SimulatedCall(address, "0", [say], rate=running.media.clock.rate)
            result = call.run_script(script.NAME, [case.kind, case.language, case.context])
            got = result.variables.get(script.RESULT, NONE)
            outcome = Outcome(case, got, "clean" if snr is None else f"{snr:g} dB")
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    return outcomes
