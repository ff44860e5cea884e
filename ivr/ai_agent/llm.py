"""Optional: an LLM that words the knowledge base's answer for the caller's own question.

Any OpenAI-compatible endpoint (``IVR_LLM_URL``, e.g. ``http://10.0.0.5:8000/v1``; POST
``/chat/completions``). It is given the caller's question and the ONE entry retrieval chose,
and told to answer only from it. Its reply is used only if it comes within ``IVR_LLM_TIMEOUT``
and stays grounded: it may not bring a number the entry does not hold (an invented figure is
the worst answer a hotline can give), nor be much longer than the entry. Otherwise, and on any
error, the caller hears the entry's own answer: the default works fully offline, and the LLM
can only make an answer sound better, never make one up.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from ivr.accounts import LookupUnavailable
from ivr.accounts.http_request import JsonClient

log = logging.getLogger(__name__)

MAX_GROWTH = 1.6  # the worded answer may be at most this much longer than the entry's
LANGUAGE_NAMES = {"vi": "Vietnamese", "zh": "Mandarin Chinese", "en": "English"}
SYSTEM = (
    "You are the voice of a public health and social insurance hotline. Answer the caller's"
    " question in {language}, in one to three short spoken sentences, using ONLY the facts of"
    " the hotline entry below. Do not add facts, numbers, dates, names or advice that are not"
    " in the entry. If the entry does not answer the question, reply exactly NO_ANSWER.\n\n"
    "Entry question: {question}\nEntry answer: {answer}"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


class Phraser:
    def __init__(self, url: str, model: str, api_key: str, timeout: float) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = JsonClient(url, headers, timeout, setting="IVR_LLM")
        self.model = model

    def phrase(self, question: str, hit: Any, language: str) -> str | None:
        """The worded answer, or None: then the caller hears ``hit.answer`` as it is."""
        body = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": 200,
            "messages": [
                {
                    "role": "system",
                    "content": SYSTEM.format(
                        language=LANGUAGE_NAMES[language], question=hit.question, answer=hit.answer
                    ),
                },
                {"role": "user", "content": question},
            ],
        }
        try:
            reply = self.client.request(
                "llm", "POST", "/chat/completions", json.dumps(body).encode()
            )
        except LookupUnavailable as exc:
            log.warning("llm: %s; the entry's answer is used", exc)
            return None
        text = _content(reply.status, reply.body)
        if text is None or not grounded(text, hit.answer):
            return None
        return text

    def close(self) -> None:
        self.client.close()


def _content(status: int, body: bytes) -> str | None:
    if status != 200:
        log.warning("llm: HTTP %d; the entry's answer is used", status)
        return None
    try:
        text = json.loads(body)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        log.warning("llm: a reply off the chat completions format; the entry's answer is used")
        return None
    return text.strip() if isinstance(text, str) and text.strip() else None


def grounded(text: str, answer: str) -> bool:
    """The worded answer keeps to the entry: no number the entry lacks, not much longer, and
    not the model's "I cannot answer"."""
    if "NO_ANSWER" in text:
        return False
    if len(text) > MAX_GROWTH * len(answer) + 20:
        log.warning("llm: worded answer too long; the entry's answer is used")
        return False
    allowed = {_plain_number(n) for n in _NUMBER.findall(answer)}
    invented = [n for n in _NUMBER.findall(text) if _plain_number(n) not in allowed]
    if invented:
        log.warning("llm: worded answer brings numbers the entry lacks; the entry's is used")
        return False
    return True


def _plain_number(number: str) -> str:
    return re.sub(r"[.,]", "", number)
