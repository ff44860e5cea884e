"""notify: play a campaign's message to the person who answered the dialer's call.

The dialplan ([ivr-notify], asterisk/etc/extensions.conf) runs ``AGI(.../notify,<number id>)``
once the called person picks up. They hear the message in their language, then "press 1 to
hear it again, 2 to speak to an agent, 9 to stop these calls" (keys, or the words). 2 sets
IVR_QUEUE and the dialplan queues the call; 9 puts the number on the opt-out list of every
campaign. What they did (heard to the end, keys) is stored whatever happens, a hangup too.
Outcomes: "done", "agent", "opted-out", "unknown" (no such number: nothing is played).
"""

from __future__ import annotations

import logging

from ivr.agi.registry import register
from ivr.agi.services import AgiCall
from ivr.campaigns.messages import spoken
from ivr.core.digits import whole_number
from ivr.voice.listen import listen
from ivr.wire.channel_vars import IVR_CAMPAIGN_TARGET, IVR_QUEUE

log = logging.getLogger(__name__)

MENU = {
    "vi": "Nhấn phím 1 để nghe lại, phím 2 để gặp nhân viên, phím 9 để không nhận các cuộc gọi"
    " này nữa.",
    "zh": "重听请按1，转人工请按2，不再接收此类来电请按9。",
    "en": "Press 1 to hear it again, 2 to speak to an agent, or 9 to stop these calls.",
}
STOPPED = {
    "vi": "Chúng tôi sẽ không gọi cho quý khách về các thông báo này nữa. Xin chào tạm biệt.",
    "zh": "我们将不再就此类通知给您来电。再见。",
    "en": "We will not call you with these notices again. Goodbye.",
}
TO_AGENT = {
    "vi": "Xin vui lòng chờ trong giây lát, chúng tôi chuyển máy cho nhân viên.",
    "zh": "请稍候，正在为您转接人工服务。",
    "en": "Please hold, we are putting you through to an agent.",
}
GOODBYE = {
    "vi": "Cảm ơn quý khách. Xin chào tạm biệt.",
    "zh": "谢谢，再见。",
    "en": "Thank you. Goodbye.",
}
# The same choices by voice.
WORDS = {
    "vi": {"nghe lại": "1", "nhân viên": "2", "dừng": "9"},
    "zh": {"重听": "1", "人工": "2", "停止": "9"},
    "en": {"again": "1", "agent": "2", "stop": "9"},
}
PLAYS = 3  # the message at most this many times
DEFAULT_QUEUE = "insurance"


def run(call: AgiCall) -> str:
    campaigns = call.services.campaigns
    args = list(call.env.args)
    target_id = whole_number(args[0] if args else call.get_variable(IVR_CAMPAIGN_TARGET))
    target = campaigns.target(target_id) if campaigns and target_id is not None else None
    campaign = campaigns.campaign(target.campaign_id) if campaigns and target else None
    if campaigns is None or target is None or campaign is None:
        log.error("call %s: notify for an unknown campaign number %s", call.id, target_id)
        return "unknown"
    language = target.language
    call.set_language(language)
    text = spoken(campaign.templates[language], target.fields, language, campaign.currency)
    listened, pressed = False, ""
    try:
        for _ in range(PLAYS):
            call.say(text, private="campaign message")
            listened = True
            heard = listen(call, MENU[language], grammar=list(WORDS[language]), max_digits=1)
            key = heard.digits if heard.status == "digits" else WORDS[language].get(heard.text, "")
            pressed += key
            if key == "1":
                continue
            if key == "2":
                call.say(TO_AGENT[language])
                call.set_variable(IVR_QUEUE, DEFAULT_QUEUE)
                return "agent"
            if key == "9":
                campaigns.opt_out(target.number, "key-9")
                call.say(STOPPED[language])
                return "opted-out"
            break
        call.say(GOODBYE[language])
        return "done"
    finally:
        campaigns.heard(target.id, listened, pressed)
        log.info(
            "call %s: campaign number %d heard=%s keys=%s", call.id, target.id, listened, pressed
        )


register("notify", run, outcomes=("done", "agent", "opted-out", "unknown"))
