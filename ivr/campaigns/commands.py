"""``ivr campaigns create|list|results|pause|resume|opt-out``: notification campaigns.

``create NAME --csv FILE --templates FILE.yaml`` loads a campaign all or nothing: a bad line
(number, language, time zone, a field missing or not an amount/date) exits 1 naming the line,
and nothing is stored. The templates file maps languages to texts with fields::

    vi: "Kính gửi {name}, khoản đóng {amount:money} đến hạn ngày {due:date}."
    en: "Dear {name}, your contribution of {amount:money} is due on {due:date}."

The running ``ivr serve`` (with AMI) dials active campaigns; nothing else is needed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

import yaml

from ivr.campaigns.store import Campaigns, read_csv
from ivr.core.db import Database, migrate
from ivr.core.settings import Settings


def command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        migrate(settings.db_url)
        campaigns = Campaigns(Database(settings.db_url), settings.clock())
        action = args.campaigns_action
        if action == "create":
            return _create(campaigns, args)
        if action == "list":
            for campaign in campaigns.all():
                counts = campaigns.counts(campaign.id)
                shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v and k != "total")
                print(f"{campaign.name}\t{campaign.status}\t{counts['total']} numbers\t{shown}")
            return 0
        if action == "opt-out":
            added = campaigns.opt_out(args.number, f"cli:{getpass.getuser()}")
            print("added to the opt-out list" if added else "already on the opt-out list")
            return 0
        named = campaigns.by_name(args.name)
        if named is None:
            raise ValueError(f"no campaign named {args.name!r}")
        if action == "results":
            if args.csv:
                sys.stdout.write(campaigns.results_csv(named.id))
            else:
                for key, value in campaigns.counts(named.id).items():
                    print(f"{key}\t{value}")
            return 0
        campaigns.set_status(named.id, "paused" if action == "pause" else "active")
        print(f"campaign {named.name}: {'paused' if action == 'pause' else 'active'}")
        return 0
    except (ValueError, OSError, yaml.YAMLError) as exc:
        print(f"ivr campaigns: {exc}", file=sys.stderr)
        return 1


def _create(campaigns: Campaigns, args: argparse.Namespace) -> int:
    templates = yaml.safe_load(args.templates.read_text(encoding="utf-8"))
    if not isinstance(templates, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in templates.items()
    ):
        raise ValueError(f"{args.templates}: expected lines of language: text")
    rows = read_csv(args.csv.read_text(encoding="utf-8-sig"), args.timezone)
    loaded = campaigns.create(
        args.name, templates, rows, f"cli:{getpass.getuser()}", currency=args.currency
    )
    print(
        f"campaign {args.name}: {loaded.added} numbers, {loaded.duplicates} duplicate lines"
        f" skipped, {loaded.opted_out} on the opt-out list (not called)"
    )
    return 0
