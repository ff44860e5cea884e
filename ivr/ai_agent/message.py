"""Taking a caller's message as a ticket: record, transcribe, open, read the reference back,
send it by SMS.

The recording is the caller's own voice over AudioSocket (``call.listen(record=True)``): the
same turn that a recognizer transcribes, so there is no second pass over the audio. Where no
recognizer hears the language, the recording alone is kept and the ticket says so; an agent
listens to it. The ticket is written before the caller hears its reference, so a promise made
on the phone is never lost.
"""

from __future__ import annotations

import logging
import re
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from ivr.ai_agent.texts import say
from ivr.core.phone import is_mobile, normalize_phone
from ivr.core.privacy import mask_number
from ivr.tts.verbalize import say_digits
from ivr.voice.listen import listen
from ivr.wire.audio_format import BYTES_PER_SECOND, SAMPLE_RATE

if TYPE_CHECKING:
    from ivr.ai_agent.services import AgentCall

log = logging.getLogger(__name__)

MESSAGE_SECONDS = 60.0  # the longest message
MESSAGE_END_SILENCE = 2.0  # a pause this long ends it (people pause between sentences)
NOT_TRANSCRIBED = "(recording only: no transcript)"
TOPIC_SCORE = 0.2


def take_message(call: AgentCall, reason: str) -> str:
    """Record the caller's message and open a ticket: "ticket", or "failed" if they said
    nothing twice."""
    for _ in range(2):
        heard = listen(
            call,
            say("record_message", call.language),
            grammar=None,
            max_digits=1,
            no_input_timeout=8.0,
            max_speech=MESSAGE_SECONDS,
            end_silence=MESSAGE_END_SILENCE,
            record=True,
        )
        if heard.audio:
            return _open_ticket(call, heard.text, heard.audio, reason)
        call.say(say("message_empty", call.language))
    return "failed"


def _open_ticket(call: AgentCall, text: str, audio: bytes, reason: str) -> str:
    services = call.services
    recording = save_recording(services.settings.data_dir / "recordings", call.id, audio)
    insured = call.notes.insured
    opened = services.tickets.open(
        caller=normalize_phone(call.env.callerid) or call.env.callerid or "",
        language=call.language,
        summary=text or NOT_TRANSCRIBED,
        call_id=call.id,
        recording=str(recording),
        insured_ref=getattr(insured, "ref", None),
        category=topic_of(call, text),
    )
    log.info(
        "call %s: ticket opened (%s, %d s of audio)",
        call.id,
        reason,
        len(audio) // BYTES_PER_SECOND,
    )
    services.note_tag(call.id, "ticket")
    spoken = say_digits(opened.reference, call.language)
    call.say(say("ticket_opened", call.language, reference=spoken), private="ticket reference")
    number = normalize_phone(call.env.callerid)
    if is_mobile(number):
        services.tickets.send_sms(opened.reference, number)
        if services.sms_worker is not None:
            services.sms_worker.wake()
        log.info("call %s: ticket SMS queued for %s", call.id, mask_number(number))
    call.say(say("ticket_again", call.language, reference=spoken), private="ticket reference")
    return "ticket"


def topic_of(call: AgentCall, text: str) -> str | None:
    """The message's category: the nearest knowledge-base entry's, when it is near enough to
    name the topic (a lower bar than answering: a wrong category only sorts the ticket)."""
    if not text:
        return None
    hits = call.services.kb.search(text, call.language, limit=1)
    if hits and hits[0].score >= TOPIC_SCORE:
        return str(hits[0].category)
    return None


def save_recording(folder: Path, call_id: str, audio: bytes) -> Path:
    """The caller's message as an 8 kHz mono 16-bit WAV file named after the call."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", call_id)
    path = folder / f"{safe}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(audio)
    return path
