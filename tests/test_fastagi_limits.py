"""A busy day on the FastAGI side: a thousand connections held open, a node at its limit,
and peers that trickle, go quiet or never end a usage block. Through the real socket."""

from __future__ import annotations

import resource
import socket
import time
from typing import Any

from ivr.simulator.simulator import SimulatedCall
from ivr.voice.call import MAX_USAGE_BYTES, MAX_USAGE_LINES, CallerHungUp, UsageError
from tests.wire_helpers import agi_server, open_fds, wait_until

HELD = 1100
HEADER = b"agi_network: yes\nagi_request: agi://127.0.0.1/entry\nagi_uniqueid: 1795.1\n\n"


def call(server: Any) -> Any:
    return SimulatedCall(("127.0.0.1", server.port), "19001234", answer_delay=0.0).run(timeout=30)


def reading(sock: socket.socket) -> str:
    """One line from the server (a command), as Asterisk reads it."""
    data = b""
    while not data.endswith(b"\n"):
        part = sock.recv(1)
        assert part, "the server closed the connection"
        data += part
    return data.decode().rstrip("\n")


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection within ``seconds``."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_thousand_idle_connections_do_not_stop_the_next_call() -> None:
    """1,100 connections that send nothing put every new socket above descriptor 1023, where
    ``select.select`` raised ValueError and the next call failed."""
    # Client and server sockets are both in this process: it needs the descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * HELD + 500
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    seen: list[str | None] = []

    def entry(c: Any) -> None:
        c.answer()
        c.set_variable("IVR_SEEN", "yes")
        seen.append(c.get_variable("IVR_SEEN"))

    with agi_server({"entry": entry}, max_calls=HELD + 10, header_timeout=60) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(HELD)]
        try:
            assert wait_until(lambda: server.active_calls == HELD, timeout=30)
            assert open_fds() > 2 * HELD  # the next sockets are numbered above 1023
            result = call(server)
            assert result.agi_status == ["SUCCESS"], result.transcript()
            assert seen == ["yes"]
        finally:
            for sock in held:
                sock.close()
        assert wait_until(lambda: server.active_calls == 0, timeout=30)


def test_over_the_limit_a_new_connection_is_closed_at_once_and_logged(caplog: Any) -> None:
    ran: list[str] = []
    with agi_server({"entry": lambda c: ran.append(c.id)}, max_calls=2) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
        assert wait_until(lambda: server.active_calls == 2)
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as third:
                started = time.monotonic()
                third.sendall(HEADER)  # Asterisk sends its header without waiting
                # res_agi.c reads a first line "failure..." as AGISTATUS=FAILURE (a bare close
                # would read as a script that completed: SUCCESS)
                assert reading(third) == "FAILURE"
                assert closed_within(third, 2.0)
                assert time.monotonic() - started < 1.0
        assert server.refused_calls == 2
        assert any("refused" in r.getMessage() for r in caplog.records)
        for sock in held:
            sock.close()
        assert wait_until(lambda: server.active_calls == 0)
        assert call(server).agi_status == ["SUCCESS"]  # room again: served
        assert len(ran) == 1


def test_a_header_sent_a_byte_at_a_time_is_cut_off_at_its_deadline() -> None:
    """The deadline is for the whole block: it used to start again at every byte."""
    with agi_server({"entry": lambda c: None}, header_timeout=1.0) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            started = time.monotonic()
            for byte in HEADER * 10:  # 0.2 s a byte: the block would take minutes
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    break
                if closed_within(sock, 0.2) or time.monotonic() - started > 5:
                    break
            assert time.monotonic() - started < 2.5, "still reading a trickled header"
        assert call(server).agi_status == ["SUCCESS"]


def test_a_peer_that_goes_quiet_after_a_command_is_dropped_at_the_deadline() -> None:
    ended: list[str] = []

    def entry(c: Any) -> None:
        try:
            c.answer()
        except CallerHungUp as exc:
            ended.append(str(exc))
            raise

    with agi_server({"entry": entry}, reply_timeout=1.0) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(HEADER)
            assert reading(sock) == "ANSWER"
            started = time.monotonic()
            assert closed_within(sock, 5.0), "the server waits for ever"
            assert 0.9 < time.monotonic() - started < 3.0
        assert ended == ["ANSWER: no reply within 1 s"]
        assert wait_until(lambda: server.active_calls == 0)


def test_an_endless_usage_block_is_read_to_its_end_but_kept_short() -> None:
    outcome: dict[str, Any] = {}

    def entry(c: Any) -> None:
        try:
            c.answer()
        except UsageError as exc:
            outcome["usage"] = exc.usage
        c.verbose("still here", 1)  # the conversation goes on after the failed command
        outcome["after"] = True

    lines = 20_000
    with agi_server({"entry": entry}) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(HEADER)
            assert reading(sock) == "ANSWER"
            block = b"520-Invalid command syntax.  Proper usage follows:\n"
            block += (b"x" * 500 + b"\n") * lines + b"520 End of proper usage.\n"
            sock.sendall(block)  # 10 MB
            assert reading(sock) == 'VERBOSE "still here" 1'
            sock.sendall(b"200 result=1\n")
            assert closed_within(sock, 5.0)
    usage = outcome["usage"].splitlines()
    kept = usage[:-1]
    assert len(kept) <= MAX_USAGE_LINES and len("\n".join(kept)) <= MAX_USAGE_BYTES
    assert kept[0] == "Invalid command syntax.  Proper usage follows:"
    assert usage[-1] == f"(and {lines + 1 - len(kept)} more lines, not kept)"
    assert outcome["after"] is True


def test_the_simulator_reads_a_failure_line_as_asterisk_does() -> None:
    """res_agi.c run_agi(): a line starting "failure" (any case) ends the AGI with
    AGISTATUS=FAILURE, which the dialplan reads as "try the next node"; the simulator
    answered it "510 Invalid or unknown command" and reported SUCCESS."""
    with agi_server({"entry": lambda c: c.answer()}, max_calls=1) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as held:
            assert wait_until(lambda: server.active_calls == 1)
            result = call(server)
            assert result.agi_status == ["FAILURE"], result.transcript(detail=True)
            assert "510" not in result.transcript(detail=True)
            held.close()
