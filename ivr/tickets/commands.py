"""``ivr tickets list|show|assign|answer|close|escalate``: tickets for supervisors.

Every change writes a ticket event with who made it (``--by``, default ``cli:<user>``). A
reference that does not exist (or fails its check digit) and a step the ticket's state does not
allow exit 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from ivr.core.db import Database, migrate
from ivr.core.settings import Settings
from ivr.tickets import LOCAL, TicketError, Tickets
from ivr.tickets.categories import load_categories

SHOWN = (
    "reference", "status", "language", "level1", "category", "caller", "call_id", "assignee",
    "created_at", "due_at", "escalation", "recording", "summary",
)  # fmt: skip


def command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        tickets = _tickets(settings)
        action = args.tickets_action
        if action == "list":
            return _list(tickets, args.status)
        if action == "show":
            return _show(tickets, args.reference)
        if action == "escalate":
            moved = tickets.escalate_overdue()
            print(f"{len(moved)} overdue ticket(s) escalated" + (": " if moved else ""))
            for reference in moved:
                print(reference)
            return 0
        who = args.by or f"cli:{getpass.getuser()}"
        if action == "assign":
            tickets.assign(args.reference, args.to, who)
        elif action == "answer":
            tickets.answer(args.reference, args.note, who)
        else:
            tickets.close(args.reference, who, args.note or "")
        now = tickets.find(args.reference)
        print(f"ticket {args.reference}: {now.status if now else '?'}")
        return 0
    except (TicketError, ValueError, OSError) as exc:
        print(f"ivr tickets: {exc}", file=sys.stderr)
        return 1


def _tickets(settings: Settings) -> Tickets:
    migrate(settings.db_url)
    return Tickets(
        Database(settings.db_url),
        settings.clock(),
        load_categories(settings.knowledge_dir / "categories.yaml"),
        settings.ticket_due_hours,
    )


def _list(tickets: Tickets, status: str | None) -> int:
    rows = tickets.listed(status)
    for t in rows:
        due = t.due_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
        late = f" escalated x{t.escalation}" if t.escalation else ""
        print(f"{t.reference}  {t.status:<8} {t.language}  {t.category:<20} due {due}{late}")
    print(f"{len(rows)} ticket(s)")
    return 0


def _show(tickets: Tickets, reference: str) -> int:
    ticket = tickets.find(reference)
    if ticket is None:
        raise TicketError(f"no ticket {reference}")
    for name in SHOWN:
        print(f"{name}: {getattr(ticket, name)}")
    for event in tickets.events(reference):
        print(f"  {event.at:%Y-%m-%d %H:%M} {event.action} {event.by} {event.note}".rstrip())
    return 0
