"""``/sms/dlr``: Kannel calls it back with each delivery report of a message we sent.

The dlr-url we give Kannel (ivr.sms.kannel) is ``/sms/dlr?id=<our id>&type=%d&ts=%T&reply=%A
&fid=%F``; Kannel fetches it with GET, or POST when an smsbox is set up that way, so both are
taken and a form body counts like the query. The answer is plain text: Kannel only logs it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from ivr.core.digits import whole_number
from ivr.sms.kannel import dlr_status
from ivr.sms.outbox import Outbox

log = logging.getLogger(__name__)
router = APIRouter()


@router.api_route("/sms/dlr", methods=["GET", "POST"])
async def kannel_report(request: Request) -> PlainTextResponse:
    params = dict(request.query_params)
    if request.method == "POST":
        body = (await request.body()).decode("utf-8", "replace")
        params.update(parse_qsl(body, keep_blank_values=True))
    message_id, kind = whole_number(params.get("id")), whole_number(params.get("type"))
    if message_id is None or kind is None:
        return PlainTextResponse("id and type must be numbers\n", status_code=400)
    outbox: Outbox = request.app.state.outbox
    detail = " ".join(filter(None, (_reply(params.get("reply", "")), _time(params.get("ts", "")))))
    known = await run_in_threadpool(
        outbox.record_report,
        message_id,
        dlr_status(kind),
        str(kind),
        detail,
        params.get("fid", ""),
    )
    if not known:
        log.warning("delivery report for unknown sms %s (type %s)", message_id, kind)
        return PlainTextResponse("unknown message\n", status_code=404)
    return PlainTextResponse("ok\n")


def _reply(reply: str) -> str:
    """The SMSC's answer (``ACK/``, or an SMPP receipt text); masked when stored."""
    return f"reply={reply}" if reply else ""


def _time(stamp: str) -> str:
    """Kannel's ``%T`` (Unix time) as a readable UTC time, which digit masking leaves alone."""
    try:
        return f"at {datetime.fromtimestamp(int(stamp), UTC):%Y-%m-%d %H:%M:%S}Z"
    except (ValueError, OverflowError, OSError):
        return ""
