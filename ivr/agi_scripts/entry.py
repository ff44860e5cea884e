"""entry: where every call comes in (``AGI(agi://ivr:4573/entry,${EXTEN})``).

A new call runs the flow of the dialled number from its start. After ``Queue()`` the dialplan
re-enters with ``entry,queue-result,${QUEUESTATUS}`` and the flow goes on from the queue node
it left (``IVR_FLOW``/``IVR_NODE`` on the channel).
"""

from __future__ import annotations

import logging

from ivr.agi.registry import register
from ivr.agi.services import AgiCall
from ivr.core.privacy import mask_number
from ivr.flow.engine import FlowRun
from ivr.flow.model import Flow
from ivr.voice.call import AgiError, CallerHungUp
from ivr.wire.channel_vars import CHANNEL_LANGUAGE, IVR_ERROR, IVR_FLOW, IVR_NODE, IVR_PATH

log = logging.getLogger(__name__)

NOT_IN_SERVICE = "This number is not in service."


def run(call: AgiCall) -> None:
    services = call.services
    args = call.env.args
    resuming = bool(args) and args[0] == "queue-result"
    number = (args[0] if args and not resuming else "") or call.env.extension or call.env.dnid
    flow = _flow_for(call, resuming, number)
    if flow is None:
        _not_in_service(call, number)
        return
    entry = "queue-result" if resuming else "new"
    flow_run = FlowRun(call, flow, services)
    services.call_started(call.id, flow.id, number, call.env.callerid, entry)
    outcome = "error"
    try:
        if resuming:
            _resume(call, flow, flow_run, args[1] if len(args) > 1 else "")
        else:
            call.answer()
            call.set_language(flow.default_language)
            flow_run.walk(flow.start)
        outcome = flow_run.outcome
    except CallerHungUp:
        outcome = "caller-hangup"
        raise
    except Exception as exc:  # any failure: the caller hears an apology, not silence
        log.error(
            "call %s: flow %s failed at %s: %s",
            call.id,
            flow.id,
            flow_run.path[-1] if flow_run.path else "start",
            exc,
        )
        _apologise(flow_run)
    finally:
        _finish(call, flow_run, outcome)


def _resume(call: AgiCall, flow: Flow, flow_run: FlowRun, status: str) -> None:
    language = call.get_variable(CHANNEL_LANGUAGE)
    if language in flow.languages:
        flow_run.language = language
    prior = call.get_variable(IVR_PATH)
    if prior:
        flow_run.path = prior.split(">")
    flow_run.resume_after_queue(call.get_variable(IVR_NODE) or "", status)


def _flow_for(call: AgiCall, resuming: bool, number: str) -> Flow | None:
    flows = call.services.flows.current()
    if resuming:
        return flows.get(call.get_variable(IVR_FLOW) or "")
    return flows.for_number(number)


def _not_in_service(call: AgiCall, number: str) -> None:
    log.error("call %s: no flow serves the dialled number %s", call.id, mask_number(number))
    call.set_variable(IVR_ERROR, "no-flow")
    call.answer()
    call.turn(call.services.prompts.audio(NOT_IN_SERVICE, "en"))
    call.hangup()


def _apologise(flow_run: FlowRun) -> None:
    try:
        flow_run.apologise()
        flow_run.call.hangup()
    except CallerHungUp:
        pass
    except Exception as exc:
        log.error("call %s: could not apologise: %s", flow_run.call.id, exc)


def _finish(call: AgiCall, flow_run: FlowRun, outcome: str) -> None:
    """Dead-channel-safe bookkeeping: SET VARIABLE works after a hangup too."""
    services = call.services
    try:
        if flow_run.path:
            call.set_variable(IVR_PATH, ">".join(flow_run.path))
    except (CallerHungUp, AgiError):
        pass
    services.call_ended(call.id, flow_run.flow.id, outcome, queue=flow_run.queue)


register("entry", run)
