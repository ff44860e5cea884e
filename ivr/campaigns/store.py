"""Campaigns, their numbers and the opt-out list, in the database.

Every state change is one conditional UPDATE, so two dialers (or a dialer started again after
a crash) can never place the same try twice: ``claim`` moves a number from pending to calling
only if it is still pending, and a try is closed by its Originate ActionID once.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ivr.campaigns.messages import check_template, fields_of, spoken, written
from ivr.core.db import Database
from ivr.core.languages import LANGUAGES
from ivr.core.models import Campaign, CampaignTarget, OptOut
from ivr.core.phone import normalize_phone
from ivr.core.privacy import mask_number
from ivr.core.spreadsheet import safe_cell

log = logging.getLogger(__name__)

STATUSES = ("pending", "calling", "answered", "done", "give-up", "sms", "failed", "opted-out")
# What the results table and CSV show per number, in this order.
RESULT_COLUMNS = (
    "number",
    "language",
    "status",
    "attempts",
    "outcome",
    "answered",
    "listened",
    "pressed",
    "sms",
)


@dataclass(frozen=True)
class Loaded:
    campaign_id: int
    added: int
    duplicates: int  # the same number twice in the file: it gets the message once
    opted_out: int  # on the opt-out list: never called


@dataclass(frozen=True)
class Row:
    """One line of a campaign file: where to call, in which language, and the fields."""

    line: int
    number: str
    language: str
    timezone: str
    fields: dict[str, str]


def read_csv(text: str, default_timezone: str) -> list[Row]:
    """``number,language[,timezone],<field>...`` with a header line; ValueError naming the
    line for anything unusable."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "number" not in header or "language" not in header:
        raise ValueError("line 1: the header must name the columns number and language")
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                raise ValueError(f"line {line}: more values than columns")
            values = {k: (v or "").strip() for k, v in record.items()}
            rows.append(
                Row(
                    line=line,
                    number=values.pop("number"),
                    language=values.pop("language"),
                    timezone=values.pop("timezone", "") or default_timezone,
                    fields=values,
                )
            )
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: {exc}") from None
    return rows


class Campaigns:
    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    # --- creating ---------------------------------------------------------------------------

    def create(
        self,
        name: str,
        templates: dict[str, str],
        rows: Iterable[Row],
        created_by: str,
        currency: str = "VND",
    ) -> Loaded:
        """A new campaign with its numbers, all or nothing: ValueError naming the first bad
        line (or template) and nothing stored."""
        name = name.strip()
        if not name or len(name) > 80:
            raise ValueError("a campaign needs a name of 1 to 80 characters")
        if not templates:
            raise ValueError("a campaign needs a template in at least one language")
        for language, template in templates.items():
            check_template(template, language)
        currency = currency.upper()
        checked: dict[str, Row] = {}
        duplicates = 0
        for row in rows:
            number = self._checked_row(row, templates, currency)
            if number in checked:
                duplicates += 1
                continue
            checked[number] = row
        if not checked:
            raise ValueError("the campaign has no numbers")
        now = self.clock()
        opted = self.opted_out(list(checked))
        try:
            with self.database.session() as session:
                campaign = Campaign(
                    name=name,
                    templates=dict(templates),
                    currency=currency,
                    status="active",
                    created_by=created_by,
                    created_at=now,
                )
                session.add(campaign)
                session.flush()
                for number, row in checked.items():
                    session.add(
                        CampaignTarget(
                            campaign_id=campaign.id,
                            number=number,
                            language=row.language,
                            timezone=row.timezone,
                            fields=row.fields,
                            status="opted-out" if number in opted else "pending",
                            attempts=0,
                            next_attempt_at=None if number in opted else now,
                            listened=False,
                            pressed="",
                            updated_at=now,
                        )
                    )
                campaign_id = campaign.id
        except IntegrityError:
            raise ValueError(f"a campaign named {name!r} exists already") from None
        log.info(
            "campaign %s (%s): %d numbers, %d opted out",
            campaign_id,
            name,
            len(checked),
            len(opted),
        )
        return Loaded(campaign_id, len(checked), duplicates, len(opted))

    @staticmethod
    def _checked_row(row: Row, templates: dict[str, str], currency: str) -> str:
        where = f"line {row.line}"
        number = normalize_phone(row.number)
        if not number:
            raise ValueError(f"{where}: {row.number!r} is not a phone number")
        if row.language not in LANGUAGES:
            raise ValueError(f"{where}: unknown language {row.language!r}")
        if row.language not in templates:
            raise ValueError(f"{where}: the campaign has no {row.language} template")
        try:
            ZoneInfo(row.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{where}: unknown time zone {row.timezone!r}") from None
        template = templates[row.language]
        missing = [f for f in fields_of(template) if not row.fields.get(f)]
        if missing:
            raise ValueError(f"{where}: no value for {', '.join(missing)}")
        try:
            spoken(template, row.fields, row.language, currency)
            written(template, row.fields, row.language, currency)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        return number

    # --- reading ----------------------------------------------------------------------------

    def by_name(self, name: str) -> Campaign | None:
        with self.database.session(readonly=True) as session:
            return session.scalars(select(Campaign).where(Campaign.name == name)).first()

    def all(self) -> list[Campaign]:
        with self.database.session(readonly=True) as session:
            return list(session.scalars(select(Campaign).order_by(Campaign.id)))

    def campaign(self, campaign_id: int) -> Campaign | None:
        with self.database.session(readonly=True) as session:
            return session.get(Campaign, campaign_id)

    def target(self, target_id: int) -> CampaignTarget | None:
        with self.database.session(readonly=True) as session:
            return session.get(CampaignTarget, target_id)

    def targets(self, campaign_id: int) -> list[CampaignTarget]:
        with self.database.session(readonly=True) as session:
            query = select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
            return list(session.scalars(query.order_by(CampaignTarget.id)))

    def counts(self, campaign_id: int) -> dict[str, int]:
        """Numbers per status, and how many answered, listened to the end, pressed 1/2/9."""
        rows = self.targets(campaign_id)
        counts = {status: 0 for status in STATUSES}
        for row in rows:
            counts[row.status] += 1
        counts["answered-calls"] = sum(1 for r in rows if r.outcome == "answered")
        counts["listened"] = sum(1 for r in rows if r.listened)
        for key in "129":
            counts[f"pressed-{key}"] = sum(1 for r in rows if key in r.pressed)
        counts["total"] = len(rows)
        return counts

    def results_csv(self, campaign_id: int) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(RESULT_COLUMNS)
        for r in self.targets(campaign_id):
            writer.writerow(
                safe_cell(cell)
                for cell in [
                    r.number,
                    r.language,
                    r.status,
                    r.attempts,
                    r.outcome or "",
                    "yes" if r.outcome == "answered" else "no",
                    "yes" if r.listened else "no",
                    r.pressed,
                    "yes" if r.sms_id is not None else "no",
                ]
            )
        return out.getvalue()

    def set_status(self, campaign_id: int, status: str) -> None:
        if status not in ("active", "paused"):
            raise ValueError(f"a campaign is active or paused, not {status!r}")
        with self.database.session() as session:
            session.execute(
                update(Campaign).where(Campaign.id == campaign_id).values(status=status)
            )

    # --- dialling ---------------------------------------------------------------------------

    def due(self, limit: int) -> list[CampaignTarget]:
        """Pending numbers of active campaigns whose time has come, oldest first."""
        query = (
            select(CampaignTarget)
            .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
            .where(
                Campaign.status == "active",
                CampaignTarget.status == "pending",
                CampaignTarget.next_attempt_at <= self.clock(),
            )
            .order_by(CampaignTarget.next_attempt_at, CampaignTarget.id)
            .limit(limit)
        )
        with self.database.session(readonly=True) as session:
            return list(session.scalars(query))

    def in_flight(self, since: datetime) -> int:
        """Numbers being dialled, and calls answered since ``since`` still playing."""
        busy = (CampaignTarget.status == "calling") | (
            (CampaignTarget.status == "answered") & (CampaignTarget.updated_at >= since)
        )
        with self.database.session(readonly=True) as session:
            return int(session.scalar(select(func.count()).where(busy)) or 0)

    def claim(self, target_id: int, action_id: str) -> bool:
        """pending -> calling with this try's ActionID; False if it was no longer pending
        (taken by another dialer, or opted out meanwhile)."""
        with self.database.session() as session:
            changed = session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.id == target_id, CampaignTarget.status == "pending")
                .values(
                    status="calling",
                    attempts=CampaignTarget.attempts + 1,
                    action_id=action_id,
                    updated_at=self.clock(),
                )
            )
            return bool(getattr(changed, "rowcount", 0))

    def finish_try(
        self,
        action_id: str,
        outcome: str,
        answered: bool,
        max_attempts: int,
        retry_s: Callable[[int], float],
    ) -> CampaignTarget | None:
        """Close the try ``action_id``: answered (the notify script takes over), pending again
        after ``retry_s(attempts)``, or out of tries (``give-up``: the caller sends the SMS).
        None when that try is unknown or closed already (a repeated OriginateResponse)."""
        now = self.clock()
        with self.database.session() as session:
            row = session.scalars(
                select(CampaignTarget).where(
                    CampaignTarget.action_id == action_id, CampaignTarget.status == "calling"
                )
            ).first()
            if row is None:
                return None
            row.outcome, row.updated_at = outcome, now
            if answered:
                row.status = "answered"
            elif row.attempts >= max_attempts:
                row.status = "give-up"  # until the SMS is queued: see fall_back_to_sms
            else:
                row.status = "pending"
                row.next_attempt_at = now + timedelta(seconds=retry_s(row.attempts))
            session.flush()
            session.expunge(row)
            return row

    def stale_tries(self, started_before: datetime) -> list[str]:
        """ActionIDs of tries still calling since before ``started_before`` (their
        OriginateResponse was lost, e.g. with the AMI connection or a restart)."""
        query = select(CampaignTarget.action_id).where(
            CampaignTarget.status == "calling", CampaignTarget.updated_at < started_before
        )
        with self.database.session(readonly=True) as session:
            return [a for a in session.scalars(query) if a]

    def given_up(self) -> list[CampaignTarget]:
        with self.database.session(readonly=True) as session:
            query = select(CampaignTarget).where(CampaignTarget.status == "give-up")
            return list(session.scalars(query.order_by(CampaignTarget.id)))

    def sent_by_sms(self, target_id: int, sms_id: int | None) -> None:
        """After the last try: the message went to the outbox (or could not: ``failed``)."""
        status = "sms" if sms_id is not None else "failed"
        with self.database.session() as session:
            session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.id == target_id, CampaignTarget.status == "give-up")
                .values(status=status, sms_id=sms_id, updated_at=self.clock())
            )

    # --- the call itself (notify script) ----------------------------------------------------

    def heard(self, target_id: int, listened: bool, pressed: str) -> None:
        """What the caller did: heard the message to the end or not, the keys pressed."""
        with self.database.session() as session:
            session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.id == target_id)
                .values(
                    status="done",
                    listened=listened,
                    pressed=pressed[:16],
                    updated_at=self.clock(),
                )
            )

    # --- opting out -------------------------------------------------------------------------

    def opt_out(self, number: str, source: str) -> bool:
        """Put ``number`` on the list (False: it was there); its pending numbers in every
        campaign are withdrawn at once."""
        number = normalize_phone(number)
        if not number:
            raise ValueError("not a phone number")
        now = self.clock()
        try:
            with self.database.session() as session:
                session.add(OptOut(number=number, source=source[:40], created_at=now))
        except IntegrityError:
            return False
        with self.database.session() as session:
            session.execute(
                update(CampaignTarget)
                .where(CampaignTarget.number == number, CampaignTarget.status == "pending")
                .values(status="opted-out", next_attempt_at=None, updated_at=now)
            )
        log.info("opt-out: %s (%s)", mask_number(number), source)
        return True

    def opted_out(self, numbers: list[str]) -> set[str]:
        found: set[str] = set()
        with self.database.session(readonly=True) as session:
            for start in range(0, len(numbers), 500):
                chunk = numbers[start : start + 500]
                query = select(OptOut.number).where(OptOut.number.in_(chunk))
                found.update(session.scalars(query))
        return found
