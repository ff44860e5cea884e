"""survey: "how satisfied were you, 1 to 5", by a key or a spoken number, stored per call.

Two ways in. After an agent hangs up, the dialplan runs ``AGI(.../survey,human,<agent>,
<queue>)`` (Queue() option ``c``, see asterisk/etc/extensions.conf): the channel is answered
and in the caller's language already. In a flow, a ``script`` node after the AI agent runs it
with no arguments: the caller was served by the AI agent. No answer after two tries: nothing
is stored and the caller hears a plain goodbye. Outcome "done" either way.
"""

from __future__ import annotations

import logging
import re

from ivr.agi.registry import register
from ivr.agi.services import AgiCall
from ivr.records.surveys import Score
from ivr.voice.listen import listen

log = logging.getLogger(__name__)

ASK = {
    "vi": "Xin quý khách đánh giá mức độ hài lòng với cuộc gọi này, từ 1 là rất không hài lòng"
    " đến 5 là rất hài lòng. Hãy nhấn một phím từ 1 đến 5, hoặc nói số.",
    "zh": "请您为本次通话打分，1分表示非常不满意，5分表示非常满意。请按1到5，或者说出数字。",
    "en": "Please rate this call from 1, very unsatisfied, to 5, very satisfied. Press a key"
    " from 1 to 5, or say the number.",
}
AGAIN = {
    "vi": "Xin chọn một số từ 1 đến 5.",
    "zh": "请选择1到5之间的数字。",
    "en": "Please choose a number from 1 to 5.",
}
THANKS = {
    "vi": "Cảm ơn quý khách đã đánh giá {score} điểm. Xin chào tạm biệt.",
    "zh": "感谢您打了{score}分。再见。",
    "en": "Thank you for your score of {score}. Goodbye.",
}
GOODBYE = {
    "vi": "Cảm ơn quý khách đã gọi. Xin chào tạm biệt.",
    "zh": "感谢您的来电，再见。",
    "en": "Thank you for calling. Goodbye.",
}
WORDS = {
    "vi": {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5},
    "zh": {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5},
    "en": {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5},
}

# What a caller says for a score: "five", "number five"; "năm", "năm điểm", "số năm"; "五", "五分".
FORMS = {"vi": ("{}", "{} điểm", "số {}"), "zh": ("{}", "{}分"), "en": ("{}", "number {}")}
GRAMMAR = {lang: [f.format(w) for w in WORDS[lang] for f in FORMS[lang]] for lang in WORDS}


def run(call: AgiCall) -> str:
    args = list(call.env.args) + ["", "", ""]
    dialplan = args[0] in ("human", "ai")
    handled_by = args[0] if dialplan else "ai"
    agent, queue = (args[1], args[2]) if dialplan else ("", "")
    language = call.language if call.language in ASK else "vi"
    call.language = language
    prompt = ASK[language]
    for _ in range(2):
        heard = listen(call, prompt, grammar=GRAMMAR[language], max_digits=1)
        if heard.status == "digits" and heard.digits in ("1", "2", "3", "4", "5"):
            return _thank(call, int(heard.digits), "dtmf", handled_by, agent, queue)
        said = heard.text or heard.transcript  # "I'd give you a five": the whole transcript
        score = spoken_score(said, language) if heard.status in ("speech", "no-match") else None
        if score is not None:
            return _thank(call, score, "speech", handled_by, agent, queue)
        prompt = AGAIN[language] + " " + ASK[language]
    log.info("call %s: survey not answered", call.id)
    call.say(GOODBYE[language])
    return "done"


def spoken_score(text: str, language: str) -> int | None:
    """The one score a spoken answer names ("five", "number five", "năm điểm", "五分", "5");
    None when it names none or several."""
    text = text.lower()
    if language == "zh":
        found = {n for word, n in WORDS["zh"].items() if word in text}
    else:
        words = re.findall(r"\w+", text)
        found = {WORDS[language][w] for w in words if w in WORDS[language]}
    found |= {int(d) for d in re.findall(r"\b[1-5]\b", text)}
    return found.pop() if len(found) == 1 else None


def _thank(call: AgiCall, score: int, via: str, handled_by: str, agent: str, queue: str) -> str:
    stored = call.services.surveys.record(
        Score(call.id, score, via, handled_by, agent or None, queue or None, call.language)
    )
    log.info("call %s: survey %d by %s (%s)%s", call.id, score, via, handled_by,
             "" if stored else ", already scored")  # fmt: skip
    call.say(THANKS[call.language].format(score=score))
    return "done"


register("survey", run, outcomes=("done",))
