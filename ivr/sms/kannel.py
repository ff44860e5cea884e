"""Kannel's sendsms HTTP interface, and the meaning of its delivery-report types.

One GET per message to ``/cgi-bin/sendsms`` (Kannel user guide, "SMS Push"). Kannel answers
``202 0: Accepted for delivery``, or ``202 3: Queued for later delivery`` when no SMSC is
connected (bearerbox stores it and sends it later): both mean Kannel has the message. A 4xx
means Kannel refused this message ("Missing receiver number", "Sender missing and no global
set"): permanent, except 401/403 (our credentials: retried until an operator fixes them). A
5xx, a refused connection or a timeout: temporary. A text longer than the sendsms-user's
``max-messages`` parts is accepted and cut by Kannel, so the outbox refuses long texts itself.

Long texts are split by Kannel itself (sendsms-user ``max-messages`` > 1 and
``concatenation = true``); delivery reports of the parts come back merged as one.

The dlr-url carries our message id; Kannel fills in ``%d`` (report type), ``%T`` (time),
``%A`` (the SMSC's answer) and ``%F`` (the SMSC's message id) when it calls us back.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ivr.core.privacy import mask_digits_in, mask_number
from ivr.core.settings import Settings
from ivr.sms.encoding import coding_of
from ivr.sms.gateway import OutgoingSms, PermanentFailure, Receipt, TemporaryFailure

log = logging.getLogger(__name__)

# dlr-mask bits (user guide, "SMS Delivery Reports") and what each report type means to us.
DLR_TYPES = {
    1: "delivered",  # delivered to the phone
    2: "failed",  # not delivered to the phone
    4: "buffered",  # queued on the SMSC
    8: "accepted",  # delivered to the SMSC
    16: "rejected",  # refused by the SMSC
    32: "intermediate",  # an SMSC's intermediate notification
}
DLR_MASK = 1 | 2 | 4 | 8 | 16
DLR_QUERY = "type=%d&ts=%T&reply=%A&fid=%F"  # Kannel's escapes, filled in per report
ACCEPTED = ("0:", "3:")  # "0: Accepted for delivery", "3: Queued for later delivery"
# "403 Authorization failed for sendsms" is about our credentials, not the message: an operator
# fixes them, and the messages should still go out then.
RETRIED_4XX = (401, 403)


def dlr_status(kind: int) -> str:
    """Our word for a Kannel report type; a combination of bits is read by its highest final
    bit, as Kannel sends one type per report."""
    for bit in (1, 2, 16, 4, 8, 32):
        if kind & bit:
            return DLR_TYPES[bit]
    return "unknown"


@dataclass
class KannelGateway:
    url: str  # .../cgi-bin/sendsms
    username: str
    password: str
    sender: str
    dlr_base: str  # <web_url>/sms/dlr; empty: no delivery reports asked for
    timeout_s: float
    name: str = "kannel"

    @classmethod
    def from_settings(cls, settings: Settings, timeout_s: float) -> KannelGateway:
        return cls(
            url=settings.kannel_url,
            username=settings.kannel_user,
            password=settings.kannel_password,
            sender=settings.sms_sender,
            dlr_base=f"{settings.web_url}/sms/dlr",
            timeout_s=timeout_s,
        )

    def request_url(self, message: OutgoingSms) -> str:
        """The sendsms URL for ``message``. It holds the password: never log it."""
        query = {
            "username": self.username,
            "password": self.password,
            "from": self.sender,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            # 0: GSM 7-bit (Kannel converts the UTF-8 text); 2: UCS-2, for Vietnamese, Chinese
            "coding": "0" if coding_of(message.text) == "gsm7" else "2",
        }
        if self.dlr_base:
            query["dlr-mask"] = str(DLR_MASK)
            query["dlr-url"] = f"{self.dlr_base}?id={message.id}&{DLR_QUERY}"
        separator = "&" if "?" in self.url else "?"
        return self.url + separator + urllib.parse.urlencode(query)

    def send(self, message: OutgoingSms) -> str | None:
        try:
            with urllib.request.urlopen(self.request_url(message), timeout=self.timeout_s) as r:
                body = r.read(1000).decode("utf-8", "replace").strip()
        except urllib.error.HTTPError as exc:
            body = exc.read(300).decode("utf-8", "replace").strip()
            reason = mask_digits_in(f"Kannel answered {exc.code}: {body}")
            if 400 <= exc.code < 500 and exc.code not in RETRIED_4XX:
                raise PermanentFailure(reason) from None
            raise TemporaryFailure(reason) from None
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, garbled
            why = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise TemporaryFailure(f"Kannel unreachable: {why}") from None
        if not body.startswith(ACCEPTED):
            # A 2xx means Kannel took the request; an unknown body is logged, not resent.
            log.warning("sms %s: Kannel answered %r", message.id, mask_digits_in(body[:100]))
        log.info("sms %s to %s: Kannel %r", message.id, mask_number(message.to), body[:40])
        return None  # Kannel gives no id: its reports find the message through the dlr-url

    def receipts(self) -> list[Receipt]:
        return []  # they come to the web endpoint

    def close(self) -> None:
        pass
