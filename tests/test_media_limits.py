"""The AudioSocket port on a busy day, through real sockets: a thousand idle connections, a
handshake trickled a byte at a time, a peer sending audio faster than anyone speaks, and
``ivr serve`` started with the usual soft limit of 1024 open files."""

from __future__ import annotations

import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from ivr.agi.registry import Script
from ivr.agi.server import FastAgiServer
from ivr.simulator.caller import HangUp, Press
from ivr.simulator.simulator import SimulatedCall
from ivr.voice.media_server import MediaServer
from ivr.voice.turn import MAX_HEARD_BYTES, TurnSpec, run_turn
from ivr.wire import audiosocket as wire
from ivr.wire.audio_format import BYTES_PER_SECOND
from tests.conftest import OPEN, SAMPLE_FLOWS
from tests.test_sample_flow import KEY_OF, LANGUAGE, MAIN, NUMBER
from tests.wire_helpers import wait_until

HELD = 1100


def _room_for(descriptors: int) -> None:
    """This process holds both ends of the held connections: it needs the descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < descriptors:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(descriptors, hard), hard))


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_handshake_trickled_a_byte_at_a_time_is_cut_off_at_its_deadline() -> None:
    """The 2 s were a socket timeout, started again at every byte received: a peer sending
    its uuid frame a byte every 0.5 s held the connection (and a thread) for 10 s."""
    media = MediaServer(port=0).start()
    try:
        session = uuid.uuid4()
        waiter = media.expect(session)
        with socket.create_connection(("127.0.0.1", media.port)) as sock:
            started = time.monotonic()
            for byte in wire.encode_uuid(session):
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    break
                if _closed_within(sock, 0.5):
                    break
            held = time.monotonic() - started
        assert held < 3.0, f"a trickled handshake was held {held:.1f} s"
        assert waiter.wait(0.1) is None  # never paired
    finally:
        media.stop()


def test_a_thousand_idle_media_connections_cost_no_thread_and_the_next_call_pairs() -> None:
    _room_for(2 * HELD + 500)
    media = MediaServer(port=0, handshake_timeout=60).start()
    before = threading.active_count()
    held: list[socket.socket] = []
    try:
        held = [socket.create_connection(("127.0.0.1", media.port)) for _ in range(HELD)]
        assert wait_until(lambda: media.handshaking == HELD, timeout=30)
        assert threading.active_count() - before < 10, "a thread per idle connection"
        seen: list[str] = []

        def entry(c: Any) -> None:
            c.answer()
            seen.append(c.turn(bytes(3200), TurnSpec(max_digits=1, timeout=1)).digits)

        agi = FastAgiServer({"entry": Script("entry", entry)}, None, media, port=0).start()
        try:
            call = SimulatedCall(("127.0.0.1", agi.port), "1", [Press("5", delay=0.05)])
            result = call.run(timeout=30)
        finally:
            agi.stop()
        assert result.agi_status == ["SUCCESS"], result.transcript()
        assert seen == ["5"]
        assert media.handshaking == HELD  # the idle ones still wait, each to its deadline
    finally:
        for sock in held:
            sock.close()
        media.stop()


def test_idle_media_connections_are_closed_at_the_handshake_deadline() -> None:
    media = MediaServer(port=0, handshake_timeout=1.0).start()
    try:
        socks = [socket.create_connection(("127.0.0.1", media.port)) for _ in range(50)]
        started = time.monotonic()
        assert all(_closed_within(s, 3.0) for s in socks)
        assert time.monotonic() - started < 2.5
        assert wait_until(lambda: media.handshaking == 0)
        for sock in socks:
            sock.close()
    finally:
        media.stop()


def test_audio_sent_faster_than_speech_is_kept_bounded() -> None:
    """A turn kept every byte of caller audio (and the VAD every byte of the utterance): a
    peer sending megabytes in a few seconds of call time grew the call by as much."""
    media = MediaServer(port=0).start()
    session = uuid.uuid4()
    waiter = media.expect(session)
    client = socket.create_connection(("127.0.0.1", media.port))
    sent = [0]

    def flood() -> None:
        loud = (b"\x00\x40\x00\xc0" * 80) * 5  # 100 ms of a square wave, as 320-byte frames
        frames = b"".join(wire.encode_audio(loud[i : i + 320]) for i in range(0, 1600, 320))
        try:
            for _ in range(2000):  # 200 s of audio, sent as fast as the socket takes it
                client.sendall(frames)
                sent[0] += 1600
        except OSError:
            pass

    try:
        client.sendall(wire.encode_uuid(session))
        sock = waiter.wait(3)
        assert sock is not None
        threading.Thread(target=flood, daemon=True).start()
        spec = TurnSpec(speech=True, timeout=5, max_speech=15.0)
        result = run_turn(sock, b"", spec, "flood", on_speech=lambda audio: None)
        assert len(result.caller_audio) <= MAX_HEARD_BYTES
        assert len(result.utterance) <= (15.0 + spec.vad.pre_roll) * BYTES_PER_SECOND + 65536
        assert result.status == "speech"
    finally:
        client.close()
        media.stop()


@pytest.mark.realtime
@pytest.mark.load
def test_ivr_serve_with_a_soft_limit_of_1024_files_holds_a_thousand_connections(
    tmp_path: Path, prompts_dir: Path
) -> None:
    """``ivr serve`` started as many services are (soft limit 1024 open files): it raises
    its soft limit at start and logs it; 1,100 idle connections on the FastAGI port and as
    many on the AudioSocket port, and a new call still follows its route."""
    _room_for(2 * 2 * HELD + 500)
    env = {
        **os.environ,
        "IVR_DATA_DIR": str(tmp_path / "data"),
        "IVR_PROMPTS_DIR": str(prompts_dir),
        "IVR_DIALPLANS_DIR": str(SAMPLE_FLOWS),
        "IVR_AGI_PORT": "0",
        "IVR_MEDIA_PORT": "0",
        "IVR_HTTP_PORT": "0",
        "IVR_SMS_GATEWAY": "none",
        "IVR_ASR": "vi=vosk",
        "IVR_CLOCK": OPEN.isoformat(),
        "IVR_MAX_CALLS": str(HELD + 100),
        "IVR_AGI_HEADER_TIMEOUT": "60",
    }
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard)),
    )
    held: list[socket.socket] = []
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"FastAGI on ([\d.]+):(\d+), AudioSocket on ([\d.]+):(\d+)", line)
        assert found, line
        agi = (found.group(1), int(found.group(2)))
        media = (found.group(3), int(found.group(4)))
        limits = Path(f"/proc/{process.pid}/limits").read_text()
        soft = int(re.search(r"Max open files\s+(\d+)", limits).group(1))  # type: ignore[union-attr]
        assert soft > 2 * HELD + 500, limits
        assert "open files: soft limit raised from 1024" in (tmp_path / "serve.log").read_text()
        held = [socket.create_connection(agi) for _ in range(HELD)]
        held += [socket.create_connection(media) for _ in range(HELD)]
        fds = lambda: len(os.listdir(f"/proc/{process.pid}/fd"))  # noqa: E731
        assert wait_until(lambda: fds() > 2 * HELD, timeout=10), fds()
        call = SimulatedCall(agi, NUMBER, [Press(KEY_OF["en"]), HangUp(delay=0.5)])
        result = call.run(timeout=60)
        assert result.route == [LANGUAGE.id, MAIN.id], result.transcript()
        assert not result.kinds("error"), result.transcript()
    finally:
        for sock in held:
            sock.close()
        process.terminate()
        process.wait(timeout=30)
        log.close()
