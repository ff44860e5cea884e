"""When self-service cannot go on (the account system is down or slow, a lock-out): the
caller is offered an agent or a callback, never left in silence or a dead end."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from ivr.core.phone import normalize_phone
from ivr.core.privacy import mask_number
from ivr.self_service.repeat_back import choose
from ivr.self_service.texts import say
from ivr.voice.call import Call, VoiceServices

if TYPE_CHECKING:
    from ivr.core.clock import Clock
    from ivr.records.callbacks import CallbackList


class HelpServices(VoiceServices, Protocol):
    """What offering help needs of the running IVR: the callback list and the clock."""

    @property
    def callbacks(self) -> CallbackList: ...

    @property
    def clock(self) -> Clock: ...


log = logging.getLogger(__name__)


def offer_help(call: Call[HelpServices], reason: str, first: str = "") -> str:
    """Say ``first`` (a text name of ``texts.SAY``) and offer an agent or a callback.

    Returns "agent" (the flow routes to its agent queue), "callback" (booked and told), or
    "failed" when the caller did not choose.
    """
    opening = f"{say(first, call.language)} " if first else ""
    key = choose(call, opening + say("offer_help", call.language), "help", "12")
    if key == "1":
        return "agent"
    if key == "2":
        return book_callback(call, reason)
    return "failed"


def book_callback(call: Call[HelpServices], reason: str) -> str:
    """Put the caller on the callback list (once per number and day) and tell them."""
    number = normalize_phone(call.env.callerid)
    if not number:
        call.say(say("callback_hidden", call.language))
        return "failed"
    services = call.services
    booked = services.callbacks.request(
        number, local_day(call), reason, call.language, call_id=call.id
    )
    log.info(
        "call %s: callback %d for %s (%s, %s)",
        call.id,
        booked.id,
        mask_number(number),
        reason,
        "new" if booked.new else "already booked today",
    )
    call.say(say("callback_booked", call.language))
    return "callback"


def local_day(call: Call[HelpServices]) -> date:
    """Today at the hotline (the flow's time zone), for one callback per number per day."""
    zone = ZoneInfo(call.notes.timezone or "UTC")
    day: date = call.services.clock().astimezone(zone).date()
    return day
