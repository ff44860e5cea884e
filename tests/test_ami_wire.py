"""The AMI codec: banner, split reads, several messages a read, ": " in values, repeated keys."""

from __future__ import annotations

import pytest

from ivr.wire.ami import Decoder, Message, WireError, encode, message

STREAM = (
    b"Asterisk Call Manager/11.0.0\r\n"
    b"Event: QueueCallerJoin\r\nQueue: insurance\r\nPosition: 1\r\nCount: 1\r\n\r\n"
    b"Response: Success\r\nActionID: ivr-1\r\nMessage: Originate successfully queued\r\n\r\n"
    b"Event: VarSet\r\nVariable: X\r\nValue: a: b: c\r\n\r\n"
)


def test_byte_by_byte_gives_the_same_messages_as_one_read() -> None:
    whole = Decoder()
    at_once = whole.feed(STREAM)
    split = Decoder()
    one_by_one = [msg for i in range(len(STREAM)) for msg in split.feed(STREAM[i : i + 1])]
    assert whole.banner == split.banner == "Asterisk Call Manager/11.0.0"
    assert [m.pairs for m in at_once] == [m.pairs for m in one_by_one]
    assert [m.event or m.response for m in at_once] == ["QueueCallerJoin", "Success", "VarSet"]
    assert at_once[2]["Value"] == "a: b: c"  # only the first colon separates


def test_event_before_the_response_and_a_partial_tail() -> None:
    decoder = Decoder()
    first = decoder.feed(STREAM[:-20])
    assert [m.event or m.response for m in first] == ["QueueCallerJoin", "Success"]
    assert decoder.partial
    rest = decoder.feed(STREAM[-20:])
    assert rest[0]["value"] == "a: b: c" and not decoder.partial


def test_keys_are_case_insensitive_and_repeated_keys_keep_order() -> None:
    msg = message(("Action", "Originate"), Variable=["A=1", "B=2"], ActionID="x")
    assert (
        msg.encode()
        == b"Action: Originate\r\nVariable: A=1\r\nVariable: B=2\r\nActionID: x\r\n\r\n"
    )
    parsed = Decoder(banner=False).feed(msg.encode())[0]
    assert parsed["actionid"] == parsed["ActionID"] == "x"
    assert parsed["VARIABLE"] == "A=1"
    assert parsed.getall("variable") == ["A=1", "B=2"]
    assert len(parsed) == 3 and list(parsed) == ["Action", "Variable", "ActionID"]


def test_empty_values_bare_lf_and_lines_without_colon() -> None:
    msgs = Decoder(banner=False).feed(b"Response: Follows\nPausedReason: \nsome raw output\n\n")
    assert msgs[0]["PausedReason"] == ""
    assert msgs[0].getall("Output") == ["some raw output"]


def test_secret_is_masked_in_repr_and_newlines_are_refused() -> None:
    login = message(("Action", "Login"), Username="ivr", Secret="hunter2")
    assert "hunter2" not in repr(login)
    with pytest.raises(ValueError):
        encode([("Channel", "Local/1@x\r\nAction: Logoff")])


def test_not_a_banner_is_a_wire_error() -> None:
    with pytest.raises(WireError):
        Decoder().feed(b"HTTP/1.1 400 Bad Request\r\n")


def test_integer_fields() -> None:
    msg = Message([("HoldTime", "12"), ("Reason", "")])
    assert msg.integer("HoldTime") == 12 and msg.integer("Reason", -1) == -1
