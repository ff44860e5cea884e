"""ai_agent: the AI voice agent, for calls no human agent can take now.

Flows send calls here after hours (an ``hours`` node's closed branch), on queue overflow (the
``QUEUESTATUS`` routes of a ``queue`` node, or the queue's predicted wait above its threshold)
and when a caller leaves a queue with its key. Why it came is in ``call.notes.tags``, set by
the flow engine: it picks the greeting, and whether an agent may be offered at all.

Outcomes: "agent" (route to the queue), "ticket", "callback", "done", "failed".
"""

from __future__ import annotations

from ivr.agi.registry import register
from ivr.agi.services import AgiCall
from ivr.ai_agent.conversation import Conversation

NO_AGENTS = {"JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"}


def run(call: AgiCall) -> str:
    tags = call.notes.tags
    if "after-hours" in tags:
        reason = "after-hours"
    elif "overflow" in tags:
        reason = "overflow"
    else:
        reason = "menu"
    no_agents = call.notes.queue_status in NO_AGENTS or "no-agents" in tags
    agents_open = reason != "after-hours" and not no_agents
    call.services.note(call.id, handled_by="ai")  # a queue node it routes to says "human"
    return Conversation(call, agents_open=agents_open, reason=reason).run()


register("ai_agent", run, outcomes=("agent", "ticket", "callback", "done", "failed"))
