"""Call time: the seconds a caller lives through, on the wall clock or faster for a simulation.

Everything measured in caller-perceived time reads this clock: the 20 ms pacing of the audio we
play, the no-input and inter-digit timeouts, the VAD's silence that ends an utterance, and on
the simulator's side the prompts Asterisk plays, the keys and speech of the caller. In
production the rate is 1.0 and call time is the wall clock. A simulated call (the tests,
``ivr call --local``, the admin's test call) may run both sides at ``rate`` times real speed:
a 3 s prompt then takes 0.3 s at rate 10, and both sides agree on when it ended because both
scale the same system-wide monotonic clock.

What does not speed up is the CPU: recognizers, synthesis and the machine's own stalls take
the real time they take. So timers that guard against slowness (socket and connect timeouts,
Asterisk's AudioSocket inactivity timer in the simulator) stay in real seconds, and
benchmarks, which measure latency, run at rate 1.0.
"""

from __future__ import annotations

import time

# The rate a simulated call runs at when nobody asks for another: the test fixtures,
# ``ivr call --local`` and the admin's test call. Chosen by measurement on a 2-core machine
# with another test run beside it: fast enough to make a 20 s call take about 2 s, slow
# enough that a stall of the machine (tens of ms) stays well inside the VAD's 0.4 s of
# end-of-speech silence once scaled to call time.
SIMULATION_RATE = 10.0
MAX_RATE = 100.0


class MediaClock:
    """Call time = real time x ``rate``: ``monotonic`` and ``sleep`` in call seconds."""

    def __init__(self, rate: float = 1.0) -> None:
        if not 1.0 <= rate <= MAX_RATE:
            raise ValueError(f"media rate must be between 1 and {MAX_RATE:g}, got {rate}")
        self.rate = rate

    def monotonic(self) -> float:
        """Seconds of call time; comparable across processes of one machine at one rate."""
        return time.monotonic() * self.rate

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of call time pass."""
        if seconds > 0:
            time.sleep(seconds / self.rate)

    def real(self, seconds: float) -> float:
        """The real seconds that ``seconds`` of call time take (for select and socket timeouts)."""
        return seconds / self.rate

    def __repr__(self) -> str:
        return f"MediaClock(rate={self.rate:g})"


REAL_TIME = MediaClock(1.0)
