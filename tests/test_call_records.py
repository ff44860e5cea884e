"""Call records under trouble: reused call ids, a locked database, a node that died."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ivr.core.models import CallRecord
from ivr.simulator.caller import HangUp, Listen, Press
from ivr.simulator.simulator import SimulatedCall
from tests.conftest import OPEN, SAMPLE_FLOWS
from tests.conftest_postgres import both_databases
from tests.test_sample_flow import KEY_OF, LANGUAGE, MAIN, NUMBER
from tests.wire_helpers import start_serve, wait_until


def all_records(ivr: Any) -> list[CallRecord]:
    with ivr.services.outbox.database.session(readonly=True) as session:
        return list(session.scalars(select(CallRecord).order_by(CallRecord.id)))


def call_with_id(ivr: Any, uniqueid: str, language: str, caller: str) -> SimulatedCall:
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port),
        NUMBER,
        [Press(KEY_OF[language]), HangUp(delay=0.5)],
        callerid=caller,
    )
    call.uniqueid = uniqueid  # what two processes started in one second both sent
    return call


@both_databases
def test_two_calls_with_one_uniqueid_keep_two_records(
    make_ivr: Any, backing: dict[str, str]
) -> None:
    """``ivr call`` twice in one second gave both calls the uniqueid "<epoch>.1" (the simulator
    counts per process): the second call's record must not be merged into the first's, whether
    the first is over (its record is kept under another id) or still going on (the second
    call gets an id of its own)."""
    ivr = make_ivr(**backing)
    one_after_the_other = [
        call_with_id(ivr, "1795000000.1", "zh", "0901111111").run(timeout=60),
        call_with_id(ivr, "1795000000.1", "en", "0902222222").run(timeout=60),
    ]
    calls = [call_with_id(ivr, "1795000000.2", lang, f"090333333{n}") for n, lang in
             enumerate(("zh", "en", "vi"))]  # fmt: skip
    with ThreadPoolExecutor(3) as pool:
        at_once = list(pool.map(lambda call: call.run(timeout=60), calls))
    for result in one_after_the_other + at_once:
        assert result.agi_status == ["HANGUP"]
    rows = {row.caller: row for row in all_records(ivr)}
    assert len(rows) == 5
    first, second = rows["0901111111"], rows["0902222222"]
    assert second.call_id == "1795000000.1"  # the id names the latest call
    assert first.call_id == f"1795000000.1~{first.id}"
    assert (first.language, second.language) == ("zh", "en")
    together = [rows[f"090333333{n}"] for n in range(3)]
    assert sorted(row.call_id for row in together) == [
        "1795000000.2", "1795000000.2~2", "1795000000.2~3"
    ]  # fmt: skip
    assert [row.language for row in together] == ["zh", "en", "vi"]
    for row in rows.values():
        assert row.path == [LANGUAGE.id, MAIN.id] and row.outcome == "caller-hangup"


def hold_write_lock(db_file: Path, seconds: float, taken: threading.Event) -> None:
    """Another program holding SQLite's write lock (a long import, a backup)."""
    connection = sqlite3.connect(db_file, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def test_a_locked_database_delays_the_record_not_the_caller(make_ivr: Any, caplog: Any) -> None:
    ivr = make_ivr(records_retry_s=0.1)
    db_file = Path(ivr.services.settings.db_url.removeprefix("sqlite:///"))
    unlocked = ivr.services.records.get("nothing")  # (the writer is idle: no wait)
    assert unlocked is None
    taken = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(db_file, 6.0, taken))
    holder.start()
    assert taken.wait(5)
    locked_at = time.monotonic()
    calls = [call_with_id(ivr, f"1795000001.{n}", lang, "0904444444") for n, lang in
             enumerate(("zh", "en", "vi"))]  # fmt: skip
    began = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda call: call.run(timeout=60), calls))
    ended = time.monotonic()
    for call, result in zip(calls, results, strict=True):
        assert result.agi_status == ["HANGUP"], result.transcript()
        first_frame = call.channel.sessions[0].first_frame
        assert first_frame is not None and first_frame - began < 2.0  # not the 5 s busy wait
    assert ended - locked_at < 6.0  # every call over while the lock was held
    assert all_records(ivr) == []  # not written yet, ...
    holder.join()
    for call in calls:  # ... and complete once the lock is gone
        record = ivr.services.records.get(call.uniqueid)
        assert record is not None, call.uniqueid
        assert record["path"] == [LANGUAGE.id, MAIN.id]
        assert record["outcome"] == "caller-hangup" and record["language"] in ("zh", "en", "vi")
        assert record["ended_at"] is not None and record["ended_at"] >= record["started_at"]
    assert len(all_records(ivr)) == 3
    messages = [r.getMessage() for r in caplog.records if r.name == "ivr.records.writer"]
    assert any("does not take writes" in m for m in messages)
    assert any("takes writes again" in m for m in messages)
    assert not any("0904444444" in r.getMessage() for r in caplog.records)


class Serve:
    """``ivr serve`` in a process of its own, on a data folder and a node id."""

    def __init__(self, data: Path, prompts: Path, node: str) -> None:
        env = {
            **os.environ,
            "IVR_DATA_DIR": str(data),
            "IVR_PROMPTS_DIR": str(prompts),
            "IVR_DIALPLANS_DIR": str(SAMPLE_FLOWS),
            "IVR_NODE_ID": node,
            "IVR_AGI_PORT": "0",
            "IVR_MEDIA_PORT": "0",
            "IVR_HTTP_PORT": "0",
            "IVR_SMS_GATEWAY": "none",
            "IVR_ASR": "vi=vosk",  # no models here: keys only, nothing to load
            "IVR_CLOCK": OPEN.isoformat(),
        }
        self.process, self.address = start_serve(env)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=20)


def record_in(db_file: Path, call_id: str) -> tuple[str | None, str | None] | None:
    """(outcome, node) of a call's record, read as another program would."""
    connection = sqlite3.connect(db_file)
    try:
        row = connection.execute(
            "SELECT outcome, node FROM call_records WHERE call_id = ?", (call_id,)
        ).fetchone()
        return None if row is None else (row[0], row[1])
    finally:
        connection.close()


def test_a_node_killed_mid_call_closes_that_record_when_it_starts_again(
    tmp_path: Path, prompts_dir: Path
) -> None:
    data = tmp_path / "data"
    first = Serve(data, prompts_dir, "node-a")
    db_file = data / "ivr.db"
    try:
        # a call of another node, going on: never this node's to close
        with sqlite3.connect(db_file) as other:
            other.execute(
                "INSERT INTO call_records (call_id, started_at, flow, number_dialled, caller, "
                "path, entry, tags, self_service, node) VALUES ('9.9', '2026-11-23 02:00:00', "
                "'health_hotline', '1', '2', '[]', 'new', '[]', '[]', 'node-b')"
            )
        call = SimulatedCall(
            first.address, NUMBER, [Press(KEY_OF["en"]), Listen(), Listen(), Listen()]
        )
        running = threading.Thread(target=call.run, kwargs={"timeout": 60}, daemon=True)
        running.start()
        assert wait_until(lambda: record_in(db_file, call.uniqueid) == (None, "node-a"), 10)
        time.sleep(1.0)  # well into the call
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        running.join(timeout=30)
        assert record_in(db_file, call.uniqueid) == (None, "node-a")  # left open by the kill
    finally:
        first.stop()
    again = Serve(data, prompts_dir, "node-a")
    try:
        assert wait_until(lambda: record_in(db_file, call.uniqueid) == ("interrupted", "node-a"))
        assert record_in(db_file, "9.9") == (None, "node-b")
    finally:
        again.stop()


def test_two_ivr_call_runs_started_in_one_second_have_ids_of_their_own(
    tmp_path: Path, prompts_dir: Path
) -> None:
    """Each ``ivr call`` process counted its uniqueids from 1 ("<epoch>.1"): two runs started
    in the same second sent the same id. Through the CLI, against one ``ivr serve``."""
    import subprocess
    import sys

    data = tmp_path / "data"
    node = Serve(data, prompts_dir, "node-a")
    host, port = node.address
    command = [
        sys.executable, "-m", "ivr.cli", "call", NUMBER, "--agi", f"{host}:{port}",
        "--dtmf", KEY_OF["en"], "--hangup", "0.5",
    ]  # fmt: skip

    def epoch(uniqueid: str) -> str:
        return uniqueid.rsplit("-", 1)[-1].split(".")[0]

    try:
        for _ in range(5):  # until both calls start within one second of the clock
            runs = [
                subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ)
                for _ in range(2)
            ]
            outputs = [run.communicate(timeout=120)[0] for run in runs]
            ids = [
                line.removeprefix("uniqueid: ")
                for out in outputs
                for line in out.splitlines()
                if line.startswith("uniqueid: ")
            ]
            assert len(ids) == 2, outputs
            if epoch(ids[0]) == epoch(ids[1]):
                break
        assert epoch(ids[0]) == epoch(ids[1]), ids
        assert ids[0] != ids[1], outputs
        for call_id in ids:  # each call's record under its own id, none renamed "~n"
            assert wait_until(lambda c=call_id: record_in(data / "ivr.db", c) is not None, 10)
            assert record_in(data / "ivr.db", call_id) == ("caller-hangup", "node-a")
    finally:
        node.stop()
