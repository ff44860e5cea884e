"""Campaign pacing: originates per second against the limit, and calls completed per hour.

A campaign of N numbers (default 1,000) in a temporary SQLite database, dialled by the real
CampaignDialer through the real AMI client against the fake Asterisk (ivr.simulator.ami_peer),
which answers each Originate after a ring time; an answered notice then holds its channel for
the message's length (the notify script's part is marked done after ``--talk`` seconds). Prints
the originates per second measured in each second (max, p50) against IVR_CAMPAIGN_CPS, the
most channels in use against IVR_CAMPAIGN_CHANNELS, and the completed calls per hour.

Usage: python bench/campaigns.py [--numbers 1000] [--cps 5] [--channels 30] [--seconds 30]
                                 [--ring 2] [--talk 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.ami.client import AmiClient, Backoff  # noqa: E402
from ivr.campaigns.dialer import CampaignDialer, Pacing, Window  # noqa: E402
from ivr.campaigns.store import Campaigns, Row  # noqa: E402
from ivr.core.db import Database, migrate  # noqa: E402
from ivr.simulator.ami_peer import FakeAmi  # noqa: E402
from ivr.sms.outbox import Outbox  # noqa: E402
from ivr.wire.ami import Message  # noqa: E402

TEMPLATE = {"vi": "Kính gửi {name}, khoản đóng {amount:money} đến hạn ngày {due:date}."}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--numbers", type=int, default=1000)
    parser.add_argument("--cps", type=float, default=5.0)
    parser.add_argument("--channels", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ring", type=float, default=2.0)
    parser.add_argument("--talk", type=float, default=6.0)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'ivr.db'}"
    migrate(url)
    database = Database(url)
    # the window is all day: the bench measures pacing, not the calendar
    campaigns = Campaigns(database, lambda: datetime.now(UTC))
    fields = {"name": "Lan", "amount": "1250000", "due": "2027-01-15"}
    rows = [Row(i + 2, f"0901{i:06d}", "vi", "UTC", fields) for i in range(args.numbers)]
    campaigns.create("bench", TEMPLATE, rows, "bench")

    peer = FakeAmi().start()
    peer.hold_originates = True
    sent: list[float] = []
    busy_max = 0
    dialers: list[CampaignDialer] = []

    def on_event(event: Message) -> None:
        for dialer in dialers:
            dialer.on_event(event)

    client = AmiClient(
        peer.host, peer.port, peer.user, peer.secret, on_event, None, timeout=3.0,
        ping_every=30.0, backoff=Backoff(first=0.02, cap=0.2, jitter=0.2),
    )  # fmt: skip
    client.start()
    while not client.connected:
        time.sleep(0.01)
    pacing = Pacing(max_channels=args.channels, max_cps=args.cps, max_attempts=1)
    dialer = CampaignDialer(
        campaigns, client, Outbox(database), Window.parse("00:00-23:59"), frozenset, pacing, 0.05
    )
    dialers.append(dialer)
    stop = threading.Event()

    def asterisk() -> None:
        """Answer each Originate after the ring time; end each notice after the talk time."""
        ringing: list[float] = []
        playing: list[tuple[float, int]] = []
        while not stop.is_set():
            now = time.monotonic()
            with peer._lock:
                new = len(peer.held) - len(ringing)
            ringing += [now + args.ring] * max(0, new)
            while ringing and ringing[0] <= now:
                ringing.pop(0)
                action = peer.release_originate()
                sent.append(now)
                target_id = int(action["ActionID"].split("-")[1])
                playing.append((now + args.talk, target_id))
            for ends, target_id in [p for p in playing if p[0] <= now]:
                campaigns.heard(target_id, True, "")
                playing.remove((ends, target_id))
            time.sleep(0.01)

    started = time.monotonic()
    originated: list[float] = []
    original_action = client.action

    def counting_action(name: str, **fields: object) -> Message:
        if name == "Originate":
            originated.append(time.monotonic() - started)
        return original_action(name, **fields)

    client.action = counting_action  # type: ignore[method-assign]
    worker = threading.Thread(target=asterisk, daemon=True)
    worker.start()
    dialer.start()
    while time.monotonic() - started < args.seconds:
        busy_max = max(busy_max, campaigns.in_flight(datetime(2000, 1, 1, tzinfo=UTC)))
        time.sleep(0.2)
    dialer.stop()
    stop.set()
    counts = campaigns.counts(campaigns.all()[0].id)
    per_second = Counter(int(t) for t in originated)
    rates = [per_second.get(s, 0) for s in range(int(args.seconds))]
    print(f"numbers {args.numbers}, limit {args.cps:g} calls/s and {args.channels} channels")
    print(
        f"originates per second: max {max(rates)}, p50 {statistics.median(rates):g},"
        f" mean {len(originated) / args.seconds:.2f} over {args.seconds:g} s"
    )
    print(f"channels in use at most: {busy_max} (limit {args.channels})")
    done = counts["done"]
    print(
        f"completed notices: {done} in {args.seconds:g} s = {done * 3600 / args.seconds:.0f}/hour"
        f" (ring {args.ring:g} s, message {args.talk:g} s)"
    )
    client.stop()
    peer.stop()


if __name__ == "__main__":
    main()
