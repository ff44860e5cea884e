"""``ivr sms worker|send|status``: the SMS outbox from the command line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import uuid

from ivr.core.db import Database, migrate
from ivr.core.privacy import mask_number
from ivr.core.settings import Settings
from ivr.sms.gateways import make_gateway
from ivr.sms.outbox import Outbox
from ivr.sms.worker import SmsWorker


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run one worker in the foreground until SIGTERM or SIGINT; several may run at once."""
    migrate(settings.db_url)
    database = Database(settings.db_url)
    gateway = make_gateway(settings, timeout_s=args.timeout)
    if gateway is None:
        print("ivr: IVR_SMS_GATEWAY=none: nothing to send through", file=sys.stderr)
        return 2
    running = SmsWorker(settings, database, gateway, poll_s=args.poll)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    running.start()
    print(f"ivr: SMS worker sending through {gateway.name}", flush=True)
    stop.wait()
    running.stop()
    database.close()
    return 0


def send(args: argparse.Namespace, settings: Settings) -> int:
    """Queue one message; a running worker sends it."""
    migrate(settings.db_url)
    outbox = Outbox(Database(settings.db_url))
    key = args.key or f"admin:{uuid.uuid4()}"
    try:
        message_id = outbox.enqueue(args.to, args.text, key, "admin", args.language)
    except ValueError as exc:
        print(f"ivr: {exc}", file=sys.stderr)
        return 2
    print(f"sms {message_id} queued for {mask_number(args.to)} (key {key})")
    return 0


def status(args: argparse.Namespace, settings: Settings) -> int:
    found = Outbox(Database(settings.db_url)).status(args.message_id)
    if found is None:
        print(f"ivr: no SMS {args.message_id}", file=sys.stderr)
        return 1
    print(f"sms {found.id} ({found.purpose}): {found.status}, {found.attempts} attempt(s)")
    if found.status == "queued":
        print(f"  next attempt at {found.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC")
    if found.last_error:
        print(f"  last error: {found.last_error}")
    if found.sent_at:
        print(f"  sent at {found.sent_at:%Y-%m-%d %H:%M:%S} UTC via {found.gateway}")
    for report in found.reports:
        line = f"  {report.received_at:%H:%M:%S} {report.status} ({report.code}) {report.detail}"
        print(line.rstrip())
    return 0
