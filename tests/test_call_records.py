"""Call records under trouble: reused call ids, a locked database, a node that died."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from ivr.core.models import CallRecord
from ivr.simulator.caller import HangUp, Press
from ivr.simulator.simulator import SimulatedCall
from tests.test_sample_flow import KEY_OF, LANGUAGE, MAIN, NUMBER


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


def test_two_calls_with_one_uniqueid_keep_two_records(make_ivr: Any) -> None:
    """``ivr call`` twice in one second gave both calls the uniqueid "<epoch>.1" (the simulator
    counts per process): the second call's record must not be merged into the first's, whether
    the first is over (its record is kept under another id) or still going on (the second
    call gets an id of its own)."""
    ivr = make_ivr()
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
