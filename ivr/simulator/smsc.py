"""A fake SMSC that speaks SMPP 3.4 on the wire, written from the specification.

It plays the operator's side for the SMPP gateway's tests: accepts a bind_transceiver (and
bind_transmitter) with the configured password, answers submit_sm with a message id, answers
enquire_link and unbind, and when the submit asked for a receipt (registered_delivery bit 0)
sends a deliver_sm delivery receipt ("id:... stat:DELIVRD ...", SMPP 3.4 appendix B, with the
receipted_message_id and message_state TLVs). It records what it received, UDH and coding
included, and reassembles concatenated messages, so a test sees what a phone would show.

It does not use smpplib: an independent peer catches mistakes a shared library would hide.
"""

from __future__ import annotations

import itertools
import random
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ivr.sms.encoding import gsm_decode

BIND_RECEIVER, BIND_TRANSMITTER, SUBMIT_SM, DELIVER_SM = 0x01, 0x02, 0x04, 0x05
UNBIND, BIND_TRANSCEIVER, ENQUIRE_LINK, GENERIC_NACK = 0x06, 0x09, 0x15, 0x80000000
RESPONSE = 0x80000000
ESME_ROK, ESME_RINVCMDID, ESME_RINVPASWD = 0x00, 0x03, 0x0E
TLV_RECEIPTED_MESSAGE_ID, TLV_MESSAGE_STATE = 0x001E, 0x0427
STATE_CODES = {"DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "REJECTD": 8}


@dataclass(frozen=True)
class Submitted:
    """One submit_sm as the SMSC received it."""

    message_id: str
    source: str
    destination: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    udh: bytes  # the user data header, when esm_class has UDHI (0x40)
    payload: bytes  # the short message after the UDH

    @property
    def text(self) -> str:
        if self.data_coding == 0x08:
            return self.payload.decode("utf-16-be")
        return gsm_decode(self.payload)

    @property
    def concatenation(self) -> tuple[int, int, int] | None:
        """(reference, total, number) from an 8-bit concatenation UDH, if there is one."""
        if len(self.udh) >= 6 and self.udh[1:3] == b"\x00\x03":
            return self.udh[3], self.udh[4], self.udh[5]
        return None


def _cstring(body: bytes, position: int) -> tuple[str, int]:
    end = body.index(b"\x00", position)
    return body[position:end].decode("latin-1"), end + 1


def _pdu(command_id: int, status: int, sequence: int, body: bytes = b"") -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, sequence) + body


def _parse_submit(body: bytes) -> Submitted:
    """The mandatory fields of submit_sm (SMPP 3.4 section 4.4.1), in order; no id yet."""
    _, position = _cstring(body, 0)  # service_type
    source, position = _cstring(body, position + 2)  # after source_addr_ton, _npi
    destination, position = _cstring(body, position + 2)  # after dest_addr_ton, _npi
    esm_class = body[position]
    _, position = _cstring(body, position + 3)  # after protocol_id, priority_flag
    _, position = _cstring(body, position)  # validity_period
    registered_delivery, data_coding, length = (
        body[position],
        body[position + 2],
        body[position + 4],
    )
    short_message = body[position + 5 : position + 5 + length]
    udh = short_message[: short_message[0] + 1] if esm_class & 0x40 and short_message else b""
    return Submitted(
        "",
        source,
        destination,
        esm_class,
        data_coding,
        registered_delivery,
        udh,
        short_message[len(udh) :],
    )


class FakeSmsc:
    """``start()`` listens on ``host:port`` (port 0: any free one, then ``port`` is real)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        password: str = "secret",
        receipt_state: str | None = "DELIVRD",
        submit_status: Callable[[Submitted], int] | None = None,
    ) -> None:
        self.host, self.port, self.password = host, port, password
        self.receipt_state = receipt_state  # None: never send receipts
        self.submit_status = submit_status  # a status for a submit_sm; default ESME_ROK
        self.submitted: list[Submitted] = []
        self.binds: list[str] = []  # system ids that bound
        self.enquire_links = 0
        self._ids = itertools.count(random.randrange(1 << 28))  # unique across restarts
        self._sequences = itertools.count(1)
        self._changed = threading.Condition()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._stopping = False

    def start(self) -> FakeSmsc:
        self._listener = socket.create_server((self.host, self.port))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name="fake-smsc", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping = True
        for sock in [self._listener, *self._connections]:
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Submitted]:
        """At least ``count`` submitted parts, or AssertionError after ``timeout``."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.submitted) >= count, timeout):
                raise AssertionError(f"fake SMSC got {len(self.submitted)} parts, not {count}")
            return list(self.submitted)

    def messages(self) -> list[tuple[str, str]]:
        """(destination, text) per message as a phone shows it: parts joined by their UDH."""
        whole: list[tuple[str, str]] = []
        groups: dict[tuple[str, int], dict[int, Submitted]] = {}
        for part in list(self.submitted):
            concatenation = part.concatenation
            if concatenation is None:
                whole.append((part.destination, part.text))
                continue
            reference, total, number = concatenation
            group = groups.setdefault((part.destination, reference), {})
            group[number] = part
            if len(group) == total:
                text = "".join(group[n].text for n in sorted(group))
                whole.append((part.destination, text))
                del groups[(part.destination, reference)]
        return whole

    # -- the wire -----------------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        lock = threading.Lock()  # receipts go out from timer threads too
        try:
            while True:
                header = reader.read(16)
                if len(header) < 16:
                    return
                length, command_id, _, sequence = struct.unpack(">IIII", header)
                body = reader.read(length - 16)
                answer = self._answer(command_id, sequence, body, connection, lock)
                if answer is not None:
                    with lock:
                        connection.sendall(answer)
                if command_id == UNBIND:
                    return
        except OSError:
            return
        finally:
            connection.close()

    def _answer(
        self,
        command_id: int,
        sequence: int,
        body: bytes,
        connection: socket.socket,
        lock: threading.Lock,
    ) -> bytes | None:
        if command_id in (BIND_TRANSCEIVER, BIND_TRANSMITTER, BIND_RECEIVER):
            system_id, position = _cstring(body, 0)
            password, _ = _cstring(body, position)
            if password != self.password:
                return _pdu(command_id | RESPONSE, ESME_RINVPASWD, sequence)
            self.binds.append(system_id)
            return _pdu(command_id | RESPONSE, ESME_ROK, sequence, b"FakeSMSC\x00")
        if command_id == SUBMIT_SM:
            return self._submit(sequence, body, connection, lock)
        if command_id == ENQUIRE_LINK:
            self.enquire_links += 1
            return _pdu(ENQUIRE_LINK | RESPONSE, ESME_ROK, sequence)
        if command_id == UNBIND:
            return _pdu(UNBIND | RESPONSE, ESME_ROK, sequence)
        if command_id & RESPONSE:
            return None  # deliver_sm_resp, enquire_link_resp
        return _pdu(GENERIC_NACK, ESME_RINVCMDID, sequence)

    def _submit(
        self, sequence: int, body: bytes, connection: socket.socket, lock: threading.Lock
    ) -> bytes:
        part = _parse_submit(body)
        status = self.submit_status(part) if self.submit_status else ESME_ROK
        if status != ESME_ROK:
            return _pdu(SUBMIT_SM | RESPONSE, status, sequence)
        part = replace(part, message_id=f"{next(self._ids):x}")
        with self._changed:
            self.submitted.append(part)
            self._changed.notify_all()
        if part.registered_delivery & 1 and self.receipt_state:
            # After the response has gone out, as a real SMSC does.
            timer = threading.Timer(0.05, self._send_receipt, (connection, lock, part))
            timer.daemon = True
            timer.start()
        return _pdu(SUBMIT_SM | RESPONSE, ESME_ROK, sequence, part.message_id.encode() + b"\x00")

    def _send_receipt(
        self, connection: socket.socket, lock: threading.Lock, part: Submitted
    ) -> None:
        state = self.receipt_state or "DELIVRD"
        stamp = datetime.now(UTC).strftime("%y%m%d%H%M")
        text = (
            f"id:{part.message_id} sub:001 dlvrd:{'001' if state == 'DELIVRD' else '000'} "
            f"submit date:{stamp} done date:{stamp} stat:{state} err:000 text:"
        )
        message = text.encode("ascii")
        body = b"\x00" + b"\x01\x01" + part.destination.encode() + b"\x00"
        body += b"\x01\x01" + part.source.encode() + b"\x00"
        body += bytes((0x04, 0, 0)) + b"\x00\x00" + bytes((0, 0, 0, 0, len(message))) + message
        body += struct.pack(">HH", TLV_RECEIPTED_MESSAGE_ID, len(part.message_id) + 1)
        body += part.message_id.encode() + b"\x00"
        body += struct.pack(">HHB", TLV_MESSAGE_STATE, 1, STATE_CODES.get(state, 7))
        sequence = next(self._sequences)
        try:
            with lock:
                connection.sendall(_pdu(DELIVER_SM, ESME_ROK, sequence, body))
        except OSError:
            pass
