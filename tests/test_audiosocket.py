"""The AudioSocket framing and media server, through real sockets."""

from __future__ import annotations

import socket
import struct
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from ivr.simulator.caller import HangUp, Press, Say
from ivr.simulator.simulator import SimulatedCall
from ivr.voice.media_server import MediaServer
from ivr.voice.turn import TurnSpec, run_turn
from ivr.wire import audiosocket as wire
from tests.wire_helpers import agi_server, no_leaks, wait_until


def test_frames_round_trip_in_any_split() -> None:
    session = uuid.uuid4()
    data = (
        wire.encode_uuid(session)
        + wire.encode_audio(bytes(480))
        + bytes([wire.KIND_DTMF, 0, 1])
        + b"7"
        + wire.encode_audio(bytes(72))
        + wire.encode(wire.KIND_HANGUP)
    )
    assert data[:3] == b"\x01\x00\x10" and data[3:19] == session.bytes  # 16 raw bytes
    for size in (1, 2, 5, 64, len(data)):
        reader = wire.FrameReader()
        frames = []
        for i in range(0, len(data), size):
            frames += reader.feed(data[i : i + size])
        assert [f.kind for f in frames] == [1, 0x10, 3, 0x10, 0]
        assert frames[0].uuid == session
        assert [len(f.payload) for f in frames] == [16, 480, 1, 72, 0]
        assert frames[2].digit == "7"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x42\x00\x01x", "unknown AudioSocket frame kind 0x42"),
        (struct.pack(">BH", 0x10, 5000), "oversized"),
        (b"\x03\x00\x02ab", "malformed DTMF"),
        (b"\x01\x00\x04abcd", "uuid frame of 4 bytes"),
        (b"\x10\x00\x03abc", "odd length"),
    ],
)
def test_malformed_frames_are_rejected(data: bytes, message: str) -> None:
    with pytest.raises(wire.FrameError, match=message):
        wire.FrameReader().feed(data)


def test_we_never_encode_dtmf_towards_asterisk() -> None:
    with pytest.raises(ValueError, match="not supported"):
        wire.encode(wire.KIND_DTMF, b"1")


def _expect_closed(sock: socket.socket) -> bool:
    sock.settimeout(3)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\n\r\n",  # unknown kind 'G'
        wire.encode_audio(bytes(320)),  # audio before the uuid
        b"\x01\x00\x05hello",  # a text uuid, not 16 raw bytes
        b"\x01\x00",  # then silence: the handshake times out
    ],
)
def test_garbage_connections_are_closed_and_server_stays_up(garbage: bytes) -> None:
    media = MediaServer(port=0).start()
    try:
        with no_leaks():
            with socket.create_connection(("127.0.0.1", media.port)) as sock:
                sock.sendall(garbage)
                assert _expect_closed(sock)
        # a session nobody waits for is closed too
        with socket.create_connection(("127.0.0.1", media.port)) as sock:
            sock.sendall(wire.encode_uuid(uuid.uuid4()))
            assert _expect_closed(sock)
        # and a real one still pairs
        session = uuid.uuid4()
        waiter = media.expect(session)
        with socket.create_connection(("127.0.0.1", media.port)) as sock:
            sock.sendall(wire.encode_uuid(session))
            paired = waiter.wait(3)
            assert paired is not None
            paired.close()
    finally:
        media.stop()


def test_malformed_frame_mid_turn_ends_that_session_only() -> None:
    media = MediaServer(port=0).start()
    session = uuid.uuid4()
    waiter = media.expect(session)
    client = socket.create_connection(("127.0.0.1", media.port))
    try:
        client.sendall(wire.encode_uuid(session) + wire.encode_audio(bytes(320)))
        sock = waiter.wait(3)
        assert sock is not None
        threading.Timer(0.3, lambda: client.sendall(b"\x77\x00\x00")).start()
        result = run_turn(sock, bytes(16000), TurnSpec(max_digits=1, timeout=5), "test-call")
        assert result.status == "error" and "0x77" in result.error
        assert result.heard_ms == 20
        received = b""
        client.settimeout(3)
        while chunk := client.recv(65536):
            received += chunk
        frames = wire.FrameReader(max_payload=65535).feed(received)
        assert frames[-1].kind == wire.KIND_HANGUP  # a graceful end for Asterisk
        assert {f.kind for f in frames} == {wire.KIND_AUDIO, wire.KIND_HANGUP}
    finally:
        client.close()
        media.stop()


def _turn_script(got: dict[str, Any], spec: TurnSpec, audio: bytes) -> Any:
    def entry(c: Any) -> None:
        c.answer()
        result = c.turn(audio, spec)
        got.update(
            status=result.status,
            digits=result.digits,
            heard=len(result.caller_audio),
            played_ms=result.played_ms,
            interrupted=result.interrupted,
        )

    return entry


def test_thirty_ms_caller_packets_dtmf_and_barge_in() -> None:
    got: dict[str, Any] = {}
    speech = bytes(range(256)) * 30  # 7680 bytes = 16 packets of 480 bytes
    entry = _turn_script(got, TurnSpec(max_digits=2, timeout=3), wire.silence(4000))
    with agi_server({"entry": entry}) as server:
        result = SimulatedCall(
            ("127.0.0.1", server.port),
            "1900",
            [Say(speech, delay=0.1)],
            answer_delay=0,
            packet_ms=30,
            rate=server.media.clock.rate,
        ).run()
        assert got["heard"] == len(speech)  # every 480-byte frame arrived whole
        assert got["status"] == "timeout"
        result = SimulatedCall(
            ("127.0.0.1", server.port),
            "1900",
            [Press("42", delay=0.5)],
            answer_delay=0,
            rate=server.media.clock.rate,
        ).run()
    assert got["digits"] == "42" and got["status"] == "digits"
    assert got["interrupted"] and got["played_ms"] < 1500  # the key stopped the 4 s prompt
    assert not result.kinds("error")


@pytest.mark.realtime  # the subject: Asterisk's 2 s inactivity timer, a real-time one
def test_listening_keeps_the_session_alive_with_silence() -> None:
    """Asterisk drops an AudioSocket after 2 s with no traffic; a 3 s wait must survive."""
    got: dict[str, Any] = {}
    entry = _turn_script(got, TurnSpec(max_digits=1, timeout=3.0), b"")
    with agi_server({"entry": entry}) as server:
        result = SimulatedCall(
            ("127.0.0.1", server.port),
            "1900",
            [Press("5", delay=2.6)],
            answer_delay=0,
            continuous_media=False,
            rate=server.media.clock.rate,
        ).run()
    assert got["status"] == "digits" and got["digits"] == "5"
    assert not result.kinds("error")
    assert result.played_seconds >= 2.5  # silence frames, paced in real time


@pytest.mark.realtime  # frame pacing: the audio played until the caller left, in seconds
def test_hangup_during_turn_frees_everything() -> None:
    got: dict[str, Any] = {}
    entry = _turn_script(got, TurnSpec(max_digits=1, timeout=5), wire.silence(3000))
    with agi_server({"entry": entry}) as server:
        with no_leaks():
            result = SimulatedCall(
                ("127.0.0.1", server.port),
                "1900",
                [HangUp(delay=0.5)],
                answer_delay=0,
                rate=server.media.clock.rate,
            ).run()
            assert wait_until(lambda: server.active_calls == 0)
    assert got == {}  # the turn raised CallerHungUp instead of returning
    assert result.agi_status == ["HANGUP"]
    assert 0.3 < result.played_seconds < 1.0


def test_caller_speech_from_a_recording_and_from_espeak_reaches_the_turn() -> None:
    from ivr.simulator.caller import read_wav, speech

    recording = read_wav(Path("/usr/share/asterisk/sounds/en/digits/7.wav"))  # human voice
    synthetic = speech("không một hai", "vi")
    got: dict[str, Any] = {}
    entry = _turn_script(got, TurnSpec(max_digits=1, timeout=2.5), b"")
    with agi_server({"entry": entry}) as server:
        for audio in (recording, synthetic):
            SimulatedCall(
                ("127.0.0.1", server.port),
                "1900",
                [Say(audio, delay=0.1)],
                answer_delay=0,
                rate=server.media.clock.rate,
            ).run()
            assert got["heard"] == len(audio), (got["heard"], len(audio))
            assert got["status"] == "timeout"
