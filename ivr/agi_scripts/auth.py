"""auth: who is calling? The insurance or ID number, read back, then a PIN or birth date.

Caller ID only suggests an account (one registered to the calling mobile), it never proves
one. Failed tries are counted per caller number and per account in live state
(``AuthAttempts``): past the limit the caller hears why and is offered an agent. The account
system being down or slow is not the caller's fault: an apology, and an agent or a callback.

Outcomes: "ok" (``call.notes.insured`` holds the person), "locked", "failed", "agent",
"callback".
"""

from __future__ import annotations

import logging
import math

from ivr.accounts import Insured, LookupUnavailable, Proof
from ivr.agi.registry import register
from ivr.agi.services import AgiCall
from ivr.core.phone import normalize_phone
from ivr.core.privacy import mask_number
from ivr.self_service.attempts import AuthAttempts
from ivr.self_service.help import offer_help
from ivr.self_service.repeat_back import capture_number, choose
from ivr.self_service.texts import say
from ivr.tts.verbalize import say_digits, say_number
from ivr.voice.listen import listen_digits

log = logging.getLogger(__name__)

NUMBER_LENGTHS = (10, 12)  # insurance number, national ID card (CCCD)
SECRET_LENGTHS: dict[int, Proof] = {4: "pin", 8: "birth_date"}
SECRET_TRIES = 3  # in one call; the lock-out counters span calls and workers


def run(call: AgiCall) -> str:
    if isinstance(call.notes.insured, Insured):
        return "ok"
    attempts = attempts_of(call)
    caller = normalize_phone(call.env.callerid)
    if attempts.locked(caller):
        return _locked(call, attempts)
    try:
        person = _identify(call, caller, attempts)
        if isinstance(person, str):
            return person
        return _verify(call, person, caller, attempts)
    except LookupUnavailable as exc:
        log.warning("call %s: accounts unavailable during auth: %s", call.id, exc)
        return offer_help(call, "accounts-unavailable", first="unavailable")


def attempts_of(call: AgiCall) -> AuthAttempts:
    services = call.services
    settings = services.settings
    return AuthAttempts(
        services.state,
        settings.auth_max_failures_caller,
        settings.auth_max_failures_account,
        settings.auth_lockout_s,
    )


def _identify(call: AgiCall, caller: str, attempts: AuthAttempts) -> Insured | str:
    """The person the caller says they are, or the outcome that ends the step."""
    accounts = call.services.accounts
    hinted = _hint(call, caller)
    if hinted is not None:
        return hinted
    for _ in range(SECRET_TRIES):
        number = capture_number(
            call, say("ask_number", call.language), NUMBER_LENGTHS, say("bad_length", call.language)
        )
        if number is None:
            return "failed"
        person: Insured | None = accounts.find(number)
        if person is not None:
            return person
        log.info("call %s: no account for %s", call.id, mask_number(number))
        if attempts.failed(caller, None):
            return _locked(call, attempts)
        call.say(say("not_found", call.language))
    return "failed"


def _hint(call: AgiCall, caller: str) -> Insured | None:
    """One account registered to the calling mobile: offer it, read by its last 4 digits."""
    if not caller:
        return None
    candidates = call.services.accounts.by_mobile(caller)
    if len(candidates) != 1:
        return None
    person: Insured = candidates[0]
    last4 = say_digits(person.insurance_number[-4:], call.language)
    text = say("ani_hint", call.language, last4=last4)
    key = choose(call, text, "confirm", "12", private="caller-id hint")
    return person if key == "1" else None


def _verify(call: AgiCall, person: Insured, caller: str, attempts: AuthAttempts) -> str:
    accounts = call.services.accounts
    preface = ""
    for _ in range(SECRET_TRIES):
        if attempts.locked(caller, person.ref):
            return _locked(call, attempts)
        heard = listen_digits(
            call, f"{preface} {say('ask_secret', call.language)}".strip(), max_digits=8
        )
        secret = heard.digits if heard.status == "digits" else ""
        proof = SECRET_LENGTHS.get(len(secret)) if secret.isdigit() else None
        if proof is None:
            preface = say("bad_secret", call.language) if secret else ""
            continue
        if accounts.verify(person, proof, secret):
            attempts.succeeded(person.ref)
            call.notes.insured = person
            log.info("call %s: caller verified for %s", call.id, mask_number(person.ref))
            return "ok"  # silently: the next step's answer (a balance) is the confirmation
        log.info("call %s: wrong %s for %s", call.id, proof, mask_number(person.ref))
        if attempts.failed(caller, person.ref):
            return _locked(call, attempts)
        preface = say("wrong_secret", call.language)
    return "failed"


def _locked(call: AgiCall, attempts: AuthAttempts) -> str:
    log.info("call %s: authentication locked out", call.id)
    minutes = say_number(math.ceil(attempts.lockout_s / 60), call.language)
    call.say(say("locked", call.language, minutes=minutes))
    return "locked"


register("auth", run, outcomes=("ok", "locked", "failed", "agent", "callback"))
