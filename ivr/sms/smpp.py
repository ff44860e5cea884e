"""Direct SMPP 3.4 to an operator's SMSC, through smpplib: the second gateway after Kannel.

One transceiver bind carries both our submit_sm and the SMSC's deliver_sm receipts. The worker
is single-threaded, so this gateway is too: ``send`` writes submit_sm and reads until its
submit_sm_resp (answering enquire_link and keeping any receipt that comes first), and
``receipts`` reads whatever arrived since (called by the worker between messages).

Texts go as GSM 7-bit (data_coding 0, one septet per octet, unpacked as SMPP carries them) or
UCS-2 (data_coding 8, UTF-16-BE). A long text is split by ivr.sms.encoding (never inside an
ESC pair or a surrogate pair, which smpplib.gsm.make_parts can do) and each part carries the
8-bit-reference concatenation UDH ``05 00 03 ref total seq`` with esm_class UDHI (0x40).

Each part gets its own SMSC message id and its own receipt. The message's reference is the
first part's id; the other parts' ids are mapped to it in memory, and a long message counts
as delivered when every part is. After a restart that map is gone and only the first part's
receipt is matched.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections import OrderedDict
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

from ivr.core.privacy import mask_number
from ivr.core.settings import Settings
from ivr.sms.encoding import coding_of, gsm_encode, split
from ivr.sms.gateway import OutgoingSms, PermanentFailure, Receipt, TemporaryFailure
from ivr.wire.readiness import readable

log = logging.getLogger(__name__)
WIRE_LOGGER = "ivr.sms.smpp.wire"
# smpplib's DEBUG lines dump whole PDUs, numbers and texts included: never below INFO.
logging.getLogger(WIRE_LOGGER).setLevel(logging.INFO)
DATA_CODING = {"gsm7": 0x00, "ucs2": 0x08}
UDHI = 0x40  # esm_class: the short message starts with a user data header
RECEIPT = 0x04  # esm_class of deliver_sm: an SMSC delivery receipt
TON_UNKNOWN, TON_INTERNATIONAL, TON_ALPHANUMERIC, NPI_ISDN = 0x00, 0x01, 0x05, 0x01
SHORT_CODE_DIGITS = 8  # "1900", "19001234": a national short code, not an E.164 number
# submit_sm_resp statuses worth retrying: system error, queue full, throttled, submit failed.
TEMPORARY = {0x08, 0x14, 0x58, 0x45}
# The receipt's "stat:" word (SMPP 3.4 appendix B) -> our status.
STATES = {
    "DELIVRD": "delivered",
    "EXPIRED": "failed",
    "DELETED": "failed",
    "UNDELIV": "failed",
    "REJECTD": "rejected",
    "ACCEPTD": "accepted",
    "ENROUTE": "buffered",
    "UNKNOWN": "unknown",
}
MESSAGE_STATE = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_FIELD = re.compile(r"(\w+(?: date)?):(\S*)")
ENQUIRE_EVERY_S = 30.0
# A PDU is a 16-byte header and its body; the largest real one (deliver_sm with a
# message_payload) is a few kB. Past this the connection is dropped before the body is read.
MIN_PDU, MAX_PDU = 16, 65536
PARTS_REMEMBERED = 10_000


def encode_parts(text: str, reference: int) -> tuple[int, int, list[bytes]]:
    """data_coding, esm_class and the short_message of each part, UDH included."""
    coding = coding_of(text)
    encode = gsm_encode if coding == "gsm7" else (lambda part: part.encode("utf-16-be"))
    parts = split(text, coding)
    if len(parts) == 1:
        return DATA_CODING[coding], 0, [encode(text)]
    total = len(parts)
    encoded = [
        bytes((5, 0, 3, reference & 0xFF, total, number)) + encode(part)
        for number, part in enumerate(parts, start=1)
    ]
    return DATA_CODING[coding], UDHI, encoded


def parse_receipt(text: str) -> dict[str, str]:
    """``id:123 sub:001 ... stat:DELIVRD err:000 text:...`` -> ``{"id": "123", ...}``."""
    head = text.split(" text:", 1)[0]
    return {name.lower(): value for name, value in _FIELD.findall(head)}


class SmppGateway:
    name = "smpp"

    def __init__(
        self, host: str, port: int, system_id: str, password: str, sender: str, timeout_s: float
    ) -> None:
        self.host, self.port = host, port
        self.system_id, self.password = system_id, password
        self.sender = sender
        self.timeout_s = timeout_s
        self._client: Any = None
        self._last_io = 0.0
        self._received: list[Receipt] = []
        self._first_part: OrderedDict[str, str] = OrderedDict()  # part id -> first part id
        self._undelivered: dict[str, set[str]] = {}  # first part id -> parts not yet delivered

    @classmethod
    def from_settings(cls, settings: Settings, timeout_s: float) -> SmppGateway:
        return cls(
            settings.smpp_host,
            settings.smpp_port,
            settings.smpp_system_id,
            settings.smpp_password,
            settings.sms_sender,
            timeout_s,
        )

    # -- connection ---------------------------------------------------------------------------

    def _bound(self) -> Any:
        if self._client is not None:
            return self._client
        client = smpplib.client.Client(
            self.host,
            self.port,
            timeout=self.timeout_s,
            logger_name=WIRE_LOGGER,
            allow_unknown_opt_params=True,
        )
        try:
            client.connect()
            client.bind_transceiver(system_id=self.system_id, password=self.password)
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            # A refused bind (wrong password) is an operator's fix away: retry, not give up.
            _close(client)
            raise TemporaryFailure(f"SMPP bind to {self.host}:{self.port} failed: {exc}") from None
        log.info("smpp: bound to %s:%s as transceiver", self.host, self.port)
        self._client, self._last_io = client, time.monotonic()
        return client

    def _drop(self) -> None:
        if self._client is not None:
            _close(self._client)
            self._client = None

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.unbind()
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
                pass
            self._drop()

    # -- sending ------------------------------------------------------------------------------

    def send(self, message: OutgoingSms) -> str | None:
        deadline = time.monotonic() + self.timeout_s
        data_coding, esm_class, parts = encode_parts(message.text, message.id)
        source_ton = _type_of_number(self.sender)
        client = self._bound()
        ids: list[str] = []
        try:
            for part in parts:
                pdu = client.send_message(
                    source_addr_ton=source_ton,
                    source_addr_npi=NPI_ISDN,
                    source_addr=self.sender,
                    dest_addr_ton=TON_INTERNATIONAL,
                    dest_addr_npi=NPI_ISDN,
                    destination_addr=message.to.lstrip("+"),
                    esm_class=esm_class,
                    data_coding=data_coding,
                    short_message=part,
                    registered_delivery=1,
                )
                ids.append(self._submit_result(pdu.sequence, deadline))
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            # PDUError here is smpplib refusing to write in a state it thinks is not bound.
            self._drop()
            raise TemporaryFailure(f"SMPP connection lost: {exc or 'closed'}") from None
        if len(ids) > 1:
            self._remember_parts(ids)
        log.info("sms %s to %s: SMSC ids %s", message.id, mask_number(message.to), ids)
        return ids[0]

    def _submit_result(self, sequence: int, deadline: float) -> str:
        """Read until the submit_sm_resp of ``sequence``: its message id, or a failure."""
        while True:
            pdu = self._read(max(deadline - time.monotonic(), 0.001))
            if pdu is None:
                self._drop()  # a late answer would confuse the next message's wait
                raise TemporaryFailure(f"SMSC did not answer within {self.timeout_s:g} s")
            if pdu.command not in ("submit_sm_resp", "generic_nack"):
                continue
            if pdu.sequence != sequence:
                continue
            if pdu.status != smpplib.consts.SMPP_ESME_ROK:
                text = smpplib.consts.DESCRIPTIONS.get(pdu.status, "unknown")
                reason = f"SMSC refused: status 0x{pdu.status:02X} {text}"
                if pdu.status in TEMPORARY:
                    raise TemporaryFailure(reason)
                raise PermanentFailure(reason)
            return _text(pdu.message_id)

    def _read(self, timeout: float) -> Any:
        """The next PDU, answered if it is a request (enquire_link, deliver_sm, unbind);
        None on timeout."""
        client = self._client
        sock = client._socket  # smpplib offers no way to wait with a timeout of our choosing
        if not readable(sock, timeout):
            return None
        header = sock.recv(4, socket.MSG_PEEK)
        length = int.from_bytes(header, "big") if len(header) == 4 else MIN_PDU
        if not MIN_PDU <= length <= MAX_PDU:
            # smpplib would read (and keep) whatever length the header says, up to 4 GB
            raise smpplib.exceptions.PDUError(f"SMSC sent a PDU of {length} bytes")
        pdu = client.read_pdu()
        self._last_io = time.monotonic()
        if pdu.command == "deliver_sm":
            self._on_deliver(pdu)
            _respond(client, "deliver_sm_resp", pdu.sequence)
        elif pdu.command == "enquire_link":
            _respond(client, "enquire_link_resp", pdu.sequence)
        elif pdu.command == "unbind":
            _respond(client, "unbind_resp", pdu.sequence)
            raise smpplib.exceptions.ConnectionError("SMSC unbound")
        return pdu

    # -- receipts -----------------------------------------------------------------------------

    def receipts(self) -> list[Receipt]:
        """Receipts read so far and any waiting on the socket; keeps the bind alive."""
        if self._client is not None:
            try:
                while self._read(0) is not None:
                    pass
                if time.monotonic() - self._last_io > ENQUIRE_EVERY_S:
                    self._client.send_pdu(
                        smpplib.smpp.make_pdu("enquire_link", client=self._client)
                    )
                    self._last_io = time.monotonic()
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
                log.warning("smpp: connection to %s:%s lost while idle", self.host, self.port)
                self._drop()
        received, self._received = self._received, []
        return received

    def _on_deliver(self, pdu: Any) -> None:
        if not pdu.esm_class & RECEIPT:
            log.info("smpp: ignoring a mobile-originated message")
            return
        fields = parse_receipt(_text(pdu.short_message))
        part = _text(getattr(pdu, "receipted_message_id", None)) or fields.get("id", "")
        state = getattr(pdu, "message_state", None)
        word = MESSAGE_STATE.get(state, "") if state else fields.get("stat", "UNKNOWN")
        detail = f"err:{fields.get('err', '')}" if fields.get("err") else ""
        status = STATES.get(word.upper(), "unknown")
        first = self._first_part.get(part, part)
        waiting = self._undelivered.get(first)
        if waiting is not None and status == "delivered":
            waiting.discard(part)
            if waiting:
                return  # the message is delivered when its last part is
        self._undelivered.pop(first, None)
        self._received.append(Receipt(first, status, word, detail))

    def _remember_parts(self, ids: list[str]) -> None:
        for part in ids:
            self._first_part[part] = ids[0]
        self._undelivered[ids[0]] = set(ids)
        while len(self._first_part) > PARTS_REMEMBERED:
            forgotten, first = self._first_part.popitem(last=False)
            self._undelivered.pop(first, None)


def _type_of_number(sender: str) -> int:
    if not sender.isdigit():
        return TON_ALPHANUMERIC
    return TON_UNKNOWN if len(sender) <= SHORT_CODE_DIGITS else TON_INTERNATIONAL


def _respond(client: Any, command: str, sequence: int) -> None:
    response = smpplib.smpp.make_pdu(command, client=client)
    response.sequence = sequence
    client.send_pdu(response)


def _close(client: Any) -> None:
    try:
        client.disconnect()
    except OSError:
        pass


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value
