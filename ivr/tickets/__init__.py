"""Tickets (work orders): what a caller left for the hotline to answer.

A ticket is written before the caller hears its reference, one per call (asking twice in a
call gives the same ticket). Its life: open -> assigned -> answered -> closed (an admin may
close from any state; answered may go back to assigned when the answer did not settle it).
Open or assigned tickets past their due time are escalated: the count goes up and a new due
time is set half a period ahead, once per period however often the check runs.

The summary is the transcript as the caller said it, numbers included: the agent who acts on
the ticket needs the insurance number the caller gave. Logs carry only the reference, and the
SMS only the reference and the topic, never the caller's words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ivr.core.db import Database
from ivr.core.models import Ticket, TicketEvent
from ivr.sms.templates import ticket_text
from ivr.tickets import reference as references
from ivr.tickets.categories import FALLBACK, LEVEL1, Category, categorise

log = logging.getLogger(__name__)

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")  # the day of a reference is the hotline's day
NEXT = {
    "open": {"assigned", "closed"},
    "assigned": {"assigned", "answered", "closed"},
    "answered": {"assigned", "closed"},
    "closed": set(),
}


@dataclass(frozen=True)
class Opened:
    id: int
    reference: str
    due_at: datetime
    new: bool  # False: this call had a ticket already


class TicketError(ValueError):
    """A request the ticket's state does not allow, or an unknown reference."""


class Tickets:
    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        categories: dict[str, Category],
        due_hours: float = 48.0,
        outbox: object = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.categories = categories
        self.due = timedelta(hours=due_hours)
        self.outbox = outbox

    def open(
        self,
        caller: str,
        language: str,
        summary: str,
        call_id: str | None = None,
        recording: str | None = None,
        insured_ref: str | None = None,
        category: str | None = None,
        level1: str | None = None,
    ) -> Opened:
        """The call's ticket, opened now or earlier in the call (``new`` says which).

        ``category`` (a level-2 id, e.g. the nearest knowledge-base entry's) sets the level 1
        too; without one, or with an unknown one, the summary's keywords decide. ``level1``
        overrides the category's own only when the caller's request is known to be of another
        kind (e.g. the agent was asked to *do* something about a pension: transaction)."""
        if call_id:
            found = self._for_call(call_id)
            if found is not None:
                return Opened(found.id, found.reference, found.due_at, new=False)
        chosen = self.categories.get(category or "")
        if chosen is None:
            chosen = self.categories[self.categorise(summary, language)[1]]
        if level1 is not None and level1 not in LEVEL1:
            raise ValueError(f"level1 must be one of {', '.join(LEVEL1)}, not {level1!r}")
        kind = level1 or chosen.level1
        now = self.clock()
        for _ in range(50):  # another worker may take the same sequence number: take the next
            try:
                with self.database.session() as session:
                    ticket = Ticket(
                        reference=self._next_reference(now),
                        call_id=call_id,
                        caller=caller,
                        language=language,
                        level1=kind,
                        category=chosen.id,
                        summary=summary,
                        recording=recording,
                        insured_ref=insured_ref,
                        status="open",
                        created_at=now,
                        due_at=now + self.due,
                        escalation=0,
                    )
                    session.add(ticket)
                    session.flush()
                    session.add(TicketEvent(ticket_id=ticket.id, at=now, action="created"))
                    opened = Opened(ticket.id, ticket.reference, ticket.due_at, new=True)
                log.info("ticket %s opened (%s)", opened.reference, chosen.id)
                return opened
            except IntegrityError:
                continue
        raise RuntimeError("no free ticket reference after 50 tries")

    def categorise(self, text: str, language: str) -> tuple[str, str]:
        """``(level1, category)`` of a message by the categories' keywords ("general" when
        none is in it); see ``ivr.tickets.categories``."""
        return categorise(text, language, self.categories)

    def _next_reference(self, now: datetime) -> str:
        day = now.astimezone(LOCAL).date()
        prefix = f"{day:%y%m%d}"
        with self.database.session(readonly=True) as session:
            taken = session.scalar(
                select(func.max(Ticket.reference)).where(Ticket.reference.like(prefix + "%"))
            )
        sequence = int(taken[6:9]) + 1 if taken else 1
        return references.make(day, sequence)

    def _for_call(self, call_id: str) -> Ticket | None:
        with self.database.session(readonly=True) as session:
            return session.scalar(select(Ticket).where(Ticket.call_id == call_id))

    def find(self, reference: str) -> Ticket | None:
        if not references.is_valid(reference):
            return None
        with self.database.session(readonly=True) as session:
            return session.scalar(select(Ticket).where(Ticket.reference == reference))

    def listed(self, status: str | None = None) -> list[Ticket]:
        query = select(Ticket)
        if status:
            query = query.where(Ticket.status == status)
        with self.database.session(readonly=True) as session:
            return list(session.scalars(query.order_by(Ticket.created_at, Ticket.id)))

    def events(self, reference: str) -> list[TicketEvent]:
        with self.database.session(readonly=True) as session:
            query = (
                select(TicketEvent)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(Ticket.reference == reference)
                .order_by(TicketEvent.id)
            )
            return list(session.scalars(query))

    # -- life-cycle -------------------------------------------------------------------
    def assign(self, reference: str, to: str, by: str) -> None:
        self._move(reference, "assigned", by, to, assignee=to)

    def answer(self, reference: str, note: str, by: str) -> None:
        if not note.strip():
            raise TicketError("an answer needs a note of what the caller was told")
        self._move(reference, "answered", by, note)

    def close(self, reference: str, by: str, note: str = "") -> None:
        self._move(reference, "closed", by, note)

    def _move(
        self, reference: str, status: str, by: str, note: str, assignee: str | None = None
    ) -> None:
        now = self.clock()
        with self.database.session() as session:
            ticket = session.scalar(
                select(Ticket).where(Ticket.reference == reference).with_for_update()
            )
            if ticket is None:
                raise TicketError(f"no ticket {reference}")
            if status not in NEXT[ticket.status]:
                raise TicketError(f"ticket {reference} is {ticket.status}: cannot be {status}")
            ticket.status = status
            if assignee is not None:
                ticket.assignee = assignee
            if status == "closed":
                ticket.closed_at = now
            session.add(TicketEvent(ticket_id=ticket.id, at=now, action=status, by=by, note=note))
        log.info("ticket %s %s by %s", reference, status, by)

    def escalate_overdue(self, now: datetime | None = None) -> list[str]:
        """Escalate open or assigned tickets past due; the references moved."""
        now = now or self.clock()
        moved = []
        with self.database.session() as session:
            query = select(Ticket).where(
                Ticket.status.in_(("open", "assigned")), Ticket.due_at <= now
            )
            for ticket in session.scalars(query.with_for_update()):
                ticket.escalation += 1
                ticket.due_at = now + self.due / 2
                note = f"overdue: escalation {ticket.escalation}"
                session.add(TicketEvent(ticket_id=ticket.id, at=now, action="escalated", note=note))
                moved.append(ticket.reference)
        for ref in moved:
            log.warning("ticket %s overdue: escalated", ref)
        return moved

    # -- SMS --------------------------------------------------------------------------
    def send_sms(self, reference: str, to: str) -> int:
        """Queue the ticket's SMS (once per ticket); the outbox message id."""
        ticket = self.find(reference)
        if ticket is None:
            raise TicketError(f"no ticket {reference}")
        if self.outbox is None:
            raise RuntimeError("tickets have no SMS outbox")
        category = self.categories.get(ticket.category) or self.categories[FALLBACK]
        due = ticket.due_at.astimezone(LOCAL).date()
        text = ticket_text(reference, category.name(ticket.language), due, ticket.language)
        return int(
            self.outbox.enqueue(  # type: ignore[attr-defined]
                to=to,
                text=text,
                key=f"ticket:{reference}",
                purpose="ticket",
                language=ticket.language,
                call_id=ticket.call_id,
            )
        )
