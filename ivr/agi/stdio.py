"""Classic AGI: Asterisk starts one process per call and talks over stdin/stdout.

The same scripts and the same protocol code as FastAGI. Differences handled here:
* Asterisk signals a hangup with SIGHUP to the process (no HANGUP line), see res_agi.c run_agi.
* stdout is the AGI channel, so logs go to stderr.
* There is no shared media server, so the process listens on a port of its own for the one
  AudioSocket session of each media turn.
"""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import replace
from types import FrameType

from ivr.agi.dispatch import run_script
from ivr.agi.registry import Script
from ivr.agi.services import Services
from ivr.core.media_clock import MediaClock
from ivr.core.settings import Settings
from ivr.voice.call import Call
from ivr.voice.media_server import MediaServer
from ivr.wire.agi import LineChannel, WireError, read_header

log = logging.getLogger(__name__)


def run_classic(
    script: str, scripts: dict[str, Script], settings: Settings, services: Services
) -> int:
    channel = LineChannel(sys.stdin.fileno(), sys.stdout.buffer)
    try:
        env = read_header(channel)
    except WireError as exc:
        log.error("classic AGI: bad header block: %s", exc)
        return 1
    if env.args[:1] == (script,):  # AGI(ivr-agi,entry,...) repeats the name as agi_arg_1
        env = replace(env, args=env.args[1:])
    media = MediaServer(settings.media_host, 0, clock=MediaClock(settings.media_rate)).start()
    call = Call(channel, env, media, services)

    def on_sighup(signum: int, frame: FrameType | None) -> None:
        call.hung_up = True

    signal.signal(signal.SIGHUP, on_sighup)
    try:
        ending = run_script(call, scripts, script)
    finally:
        media.stop()
    return 0 if ending in {"done", "caller-hangup"} else 1
