"""Placing a campaign's calls: AMI Originate into the ``ivr-notify`` dialplan, paced.

Per pass the dialer places at most what three limits allow: the free trunk channels it may use
(``max_channels`` minus the calls being dialled or still playing), the calls per second
(``max_cps``: a token bucket on the clock) and the calling window in each number's own time
zone (``window``, e.g. 08:00-20:00; never on a holiday of the flows). A try is closed by the
OriginateResponse with its ActionID (Reason 4 answered, 5 busy, 3 no answer, 8 congestion,
1 hung up, 0 no channel): busy / no answer are tried again after growing pauses; after the
last try the message goes by SMS to a mobile number. A try whose response never comes (lost
with the AMI connection, or a restart) is closed as ``lost`` after ``attempt_timeout_s`` and
tried again: as ``claim`` is conditional, nothing is dialled twice at once.

The Originate (asterisk/etc/extensions.conf, [ivr-notify-dial] and [ivr-notify]):
  Channel: Local/<digits>@ivr-notify-dial/n   Context: ivr-notify   Exten: s   Priority: 1
  Variable: IVR_CAMPAIGN_TARGET=<id>,IVR_LANGUAGE=<lang>,CHANNEL(language)=<lang>
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from ivr.ami.client import ActionFailed, AmiClient, AmiError
from ivr.campaigns.messages import written
from ivr.campaigns.store import Campaigns
from ivr.core.clock import parse_window
from ivr.core.models import CampaignTarget
from ivr.core.phone import is_mobile
from ivr.core.privacy import mask_number
from ivr.core.settings import Settings
from ivr.flow.model import HoursNode
from ivr.flow.store import FlowStore
from ivr.sms.outbox import Outbox
from ivr.wire.ami import Message
from ivr.wire.channel_vars import CHANNEL_LANGUAGE, IVR_CAMPAIGN_TARGET, IVR_LANGUAGE

log = logging.getLogger(__name__)


class DialerServices(Protocol):
    @property
    def flows(self) -> FlowStore: ...

    @property
    def outbox(self) -> Outbox: ...


# OriginateResponse Reason: the AST_CONTROL_* value the dial ended on (main/pbx.c)
REASONS = {0: "failed", 1: "hangup", 3: "no-answer", 4: "answered", 5: "busy", 8: "congestion"}
ACTION_PREFIX = "campaign-"


@dataclass(frozen=True)
class Window:
    """Local times of day between which numbers may be called (start inclusive)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Window:
        return cls(*parse_window(text, "the calling window"))

    def allows(self, now: datetime, timezone: str, holidays: frozenset[date]) -> bool:
        local = now.astimezone(ZoneInfo(timezone))
        return local.date() not in holidays and self.start <= local.time() < self.end


@dataclass(frozen=True)
class Pacing:
    max_channels: int = 4  # trunk channels the campaigns may hold at once
    max_cps: float = 1.0  # new calls per second
    max_attempts: int = 3
    retry_first_s: float = 1800.0  # then doubling
    retry_cap_s: float = 4 * 3600.0
    ring_timeout_s: int = 30
    attempt_timeout_s: float = 300.0
    playing_s: float = 300.0  # an answered call holds its channel at most this long


class CampaignDialer:
    def __init__(
        self,
        campaigns: Campaigns,
        client: AmiClient,
        outbox: Outbox,
        window: Window,
        holidays: Callable[[], frozenset[date]],
        pacing: Pacing = Pacing(),
        poll_s: float = 1.0,
        may_run: Callable[[], bool] = lambda: True,
    ) -> None:
        self.campaigns = campaigns
        self.client = client
        self.outbox = outbox
        self.window = window
        self.holidays = holidays
        self.pacing = pacing
        self.clock = campaigns.clock
        self.poll_s = poll_s
        self.may_run = may_run  # with several nodes: only the holder of the queues lease
        self._placed_at: deque[datetime] = deque()  # the calls of the last pacing window
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> CampaignDialer:
        self._thread = threading.Thread(target=self._loop, name="campaign-dialer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("campaign dialer pass failed")
            # often enough to keep to max_cps when calls are spread over the second
            self._wake.wait(min(self.poll_s, 0.5 / max(1.0, self.pacing.max_cps)))
            self._wake.clear()

    def retry_after(self, attempts: int) -> float:
        p = self.pacing
        return min(p.retry_cap_s, p.retry_first_s * 2 ** max(0, attempts - 1))

    def run_once(self) -> int:
        """One pass: close lost tries, text the numbers out of tries, place what the limits
        allow. Returns how many calls were placed."""
        if not self.may_run():
            return 0
        with self._lock:
            now = self.clock()
            for action_id in self.campaigns.stale_tries(
                now - timedelta(seconds=self.pacing.attempt_timeout_s)
            ):
                self._closed(action_id, "lost", answered=False)
            self._send_sms()
            if not self.client.connected:
                return 0
            busy = self.campaigns.in_flight(now - timedelta(seconds=self.pacing.playing_s))
            room = min(self.pacing.max_channels - busy, self._allowed(now))
            if room <= 0:
                return 0
            holidays = self.holidays()
            placed = 0
            # more than room: some may be outside their window
            for target in self.campaigns.due(limit=room * 5):
                if placed >= room:
                    break
                if not self.window.allows(now, target.timezone, holidays):
                    continue
                if self._place(target):
                    placed += 1
                    self._placed_at.append(now)
            return placed

    def _allowed(self, now: datetime) -> int:
        """Calls that may start now: never more than max_cps in any second (for a rate below
        1, one call per 1/max_cps seconds), counted over a sliding window."""
        window_s = max(1.0, 1.0 / self.pacing.max_cps)
        per_window = max(1, int(self.pacing.max_cps * window_s))
        since = now - timedelta(seconds=window_s)
        while self._placed_at and self._placed_at[0] <= since:
            self._placed_at.popleft()
        return per_window - len(self._placed_at)

    def _place(self, target: CampaignTarget) -> int:
        action_id = f"{ACTION_PREFIX}{target.id}-{uuid.uuid4().hex[:12]}"
        if not self.campaigns.claim(target.id, action_id):
            return 0
        variables = [
            f"{IVR_CAMPAIGN_TARGET}={target.id}",
            f"{IVR_LANGUAGE}={target.language}",
            f"{CHANNEL_LANGUAGE}={target.language}",
        ]
        try:
            self.client.action(
                "Originate",
                ActionID=action_id,
                Channel=f"Local/{target.number}@ivr-notify-dial/n",
                Context="ivr-notify",
                Exten="s",
                Priority=1,
                Timeout=self.pacing.ring_timeout_s * 1000,
                CallerID='"Hotline" <notify>',
                Async="true",
                Variable=variables,
            )
        except ActionFailed as exc:
            log.error("campaign number %d: Originate refused: %s", target.id, exc.reason)
            self._closed(action_id, "rejected", answered=False)
            return 1
        except AmiError as exc:  # the response may still come; else closed as lost
            log.warning("campaign number %d: Originate unconfirmed: %s", target.id, exc)
        log.info(
            "campaign %d: calling %s (try %d)",
            target.campaign_id,
            mask_number(target.number),
            target.attempts + 1,
        )
        return 1

    def on_event(self, event: Message) -> None:
        """An OriginateResponse of ours closes that try."""
        if event.event != "OriginateResponse" or not event.action_id.startswith(ACTION_PREFIX):
            return
        reason = event.integer("Reason", -1)
        answered = event.get("Response", "").lower() == "success" and reason == 4
        self._closed(event.action_id, REASONS.get(reason, f"reason-{reason}"), answered)
        self._wake.set()

    def _closed(self, action_id: str, outcome: str, answered: bool) -> None:
        row = self.campaigns.finish_try(
            action_id, outcome, answered, self.pacing.max_attempts, self.retry_after
        )
        if row is not None:
            log.info(
                "campaign number %d: try %d %s -> %s", row.id, row.attempts, outcome, row.status
            )

    def _send_sms(self) -> None:
        """Numbers out of tries get the message by SMS (mobiles only), once: the outbox key."""
        for target in self.campaigns.given_up():
            campaign = self.campaigns.campaign(target.campaign_id)
            sms_id = None
            if campaign is not None and is_mobile(target.number):
                text = written(
                    campaign.templates[target.language],
                    target.fields,
                    target.language,
                    campaign.currency,
                )
                try:
                    sms_id = self.outbox.enqueue(
                        target.number,
                        text,
                        key=f"campaign-{target.id}",
                        purpose="campaign",
                        language=target.language,
                    )
                except ValueError as exc:
                    log.error("campaign number %d: no SMS: %s", target.id, exc)
            self.campaigns.sent_by_sms(target.id, sms_id)


def flow_holidays(flows: FlowStore) -> frozenset[date]:
    """Every holiday of the hours nodes of the flows in force: no notice calls on those days."""
    days: set[date] = set()
    for flow in flows.current():
        for node in flow.nodes.values():
            if isinstance(node, HoursNode):
                days |= node.hours.holidays
    return frozenset(days)


def start_campaign_dialer(
    settings: Settings,
    campaigns: Campaigns,
    client: AmiClient,
    services: DialerServices,
    may_run: Callable[[], bool] = lambda: True,
) -> CampaignDialer:
    """The dialer of ``ivr serve``: IVR_CAMPAIGN_* settings, the flows' holidays; it dials
    only while ``may_run()`` (the node holds the queues lease)."""
    pacing = Pacing(
        max_channels=settings.campaign_channels,
        max_cps=settings.campaign_cps,
        max_attempts=settings.campaign_attempts,
        retry_first_s=settings.campaign_retry_s,
    )
    window = Window.parse(settings.campaign_hours)
    flows = services.flows
    dialer = CampaignDialer(
        campaigns,
        client,
        services.outbox,
        window,
        lambda: flow_holidays(flows),
        pacing,
        may_run=may_run,
    )
    return dialer.start()
