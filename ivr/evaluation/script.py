"""The one turn a recording is played into: the ``evaluate`` AGI script.

Registered only by ``ivr evaluate`` (never in a serving IVR). Arguments: kind, language and
context of the case; the IVR's reading of the caller's answer comes back in the channel
variable ``IVR_EVAL``: an option's key (``confirm:<key>`` when the menu would ask first), a
digit string, a knowledge-base key, or ``none``.
"""

from __future__ import annotations

from ivr.agi.registry import register
from ivr.agi.services import AgiCall
from ivr.evaluation.cases import NONE
from ivr.flow.model import MenuNode
from ivr.voice.answers import choice_of
from ivr.voice.listen import listen, listen_digits

RESULT = "IVR_EVAL"
NAME = "evaluate"
QUESTION_SECONDS = 20.0


def run(call: AgiCall) -> str:
    kind, language, context = (list(call.env.args) + ["", "", ""])[:3]
    call.answer()
    call.language = language
    if kind == "menu":
        got = _menu(call, context, language)
    elif kind == "digits":
        heard = listen_digits(call, language=language)
        got = heard.digits if heard.status == "digits" else NONE
    else:
        heard = listen(call, language=language, no_input_timeout=8.0, max_speech=QUESTION_SECONDS)
        hit = call.services.kb.best(heard.text, language) if heard.status == "speech" else None
        got = hit.key if hit is not None else NONE
    call.set_variable(RESULT, got)
    return "done"


def _menu(call: AgiCall, context: str, language: str) -> str:
    flow_id, _, node_id = context.partition(":")
    flow = call.services.flows.current().get(flow_id)
    node = flow.node(node_id) if flow is not None else None
    if not isinstance(node, MenuNode):
        raise ValueError(f"{context!r} is not a menu node of the flows in force")
    phrases = node.phrases(language)
    heard = listen(call, grammar=list(phrases), language=language, no_input_timeout=node.timeout)
    choice = choice_of(heard, phrases, language)
    band = choice.band(node.understanding.act, node.understanding.confirm)
    if band == "act" and choice.key:
        return choice.key
    if band == "confirm" and choice.key:
        return f"confirm:{choice.key}"
    return NONE


def install() -> None:
    """Register the script (before the IVR is built, which loads the registry)."""
    register(NAME, run, outcomes=("done",))
