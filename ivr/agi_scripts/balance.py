"""balance: the caller's balance, last contribution and coverage, then: hear it again, get
it by SMS (to the registered mobile only), or back to the menu.

Runs ``auth`` first when the caller is not verified yet. The account system down or slower
than its timeout: an apology and an agent or a callback, never silence.

Outcomes: "menu", "done", "agent", "callback", and those of ``auth`` when it fails.
"""

from __future__ import annotations

import logging

from ivr.accounts import Balance, Insured, LookupUnavailable
from ivr.agi.registry import register
from ivr.agi.services import AgiCall
from ivr.agi_scripts import auth
from ivr.core.privacy import mask_number
from ivr.self_service.help import local_day, offer_help
from ivr.self_service.repeat_back import choose
from ivr.self_service.statement import spoken_balance
from ivr.self_service.texts import say
from ivr.sms.templates import balance_text
from ivr.tts.verbalize import say_digits

log = logging.getLogger(__name__)

MENU_ROUNDS = 5


def run(call: AgiCall) -> str:
    if not isinstance(call.notes.insured, Insured):
        outcome = auth.run(call)
        if outcome != "ok":
            return outcome
    person = call.notes.insured
    if not isinstance(person, Insured):  # auth says "ok" only once it has set the person
        raise RuntimeError("auth ended ok without a verified person")
    try:
        balance: Balance = call.services.accounts.balance(person)
    except LookupUnavailable as exc:
        log.warning("call %s: balance lookup failed: %s", call.id, exc)
        return offer_help(call, "accounts-unavailable", first="unavailable")
    statement = spoken_balance(balance, call.language, local_day(call))
    text = statement
    for _ in range(MENU_ROUNDS):
        menu = say("balance_menu", call.language)
        key = choose(call, f"{text} {menu}", "balance_menu", "129", private="balance")
        if key is None:
            return "done"
        if key == "9":
            return "menu"
        text = statement if key == "1" else _send_sms(call, person, balance)
    return "done"


def _send_sms(call: AgiCall, person: Insured, balance: Balance) -> str:
    """Queue the balance SMS to the registered mobile (once per call); what to tell the
    caller. The outbox sends it; the caller does not wait for the gateway."""
    if not person.mobile:
        return say("sms_none", call.language)
    try:
        call.services.outbox.enqueue(
            to=person.mobile,
            text=balance_text(balance, call.language),
            key=f"{call.id}:balance",
            purpose="balance",
            language=call.language,
            call_id=call.id,
        )
    except Exception as exc:  # the outbox is the database: say so, do not drop the call
        log.error("call %s: balance SMS not queued: %s", call.id, type(exc).__name__)
        return say("sms_failed", call.language)
    log.info("call %s: balance SMS queued for %s", call.id, mask_number(person.mobile))
    if call.services.sms_worker is not None:
        call.services.sms_worker.wake()
    last4 = say_digits(person.mobile[-4:], call.language)
    return say("sms_queued", call.language, last4=last4)


register(
    "balance",
    run,
    outcomes=("menu", "done", "agent", "callback", "locked", "failed"),
)
