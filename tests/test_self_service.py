"""Self-service through the real sockets: number entry with read-back, PIN or birth date,
the balance spoken and sent by SMS, lock-outs in shared live state, the account system down."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ivr.accounts.seed import DEMO_PERSONS
from ivr.core.db import Database
from ivr.core.models import CallbackRequest, SmsMessage
from ivr.simulator.caller import HangUp, Listen, Press, Say
from ivr.simulator.simulator import CallResult, SimulatedCall
from tests.conftest import OPEN, SAMPLE_FLOWS
from tests.conftest_redis import StoppableRedis
from tests.insurer_peer import TOKEN, InsurerPeer
from tests.test_sample_flow import NUMBER, said
from tests.wire_helpers import start_serve, wait_until

STRANGER = "0280000001"  # a caller ID registered to nobody: no caller-ID hint
VI, EN = Press("1"), Press("3")  # the sample flow's language keys


def person(**wanted: Any) -> Any:
    """The first fixed demo person with these attributes."""
    for candidate in DEMO_PERSONS:
        if all(getattr(candidate, k) == v for k, v in wanted.items()):
            return candidate
    raise LookupError(wanted)


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A data folder whose database holds the fixed demo persons (no random ones)."""
    data = tmp_path / "seeded"
    env = {**os.environ, "IVR_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "ivr.cli", "seed", "--demo", "--count", "0"]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    return data


@pytest.fixture
def ivr(make_ivr: Any, seeded: Path) -> Any:
    return make_ivr(data_dir=seeded)


def dial(ivr: Any, actions: list[Any], callerid: str = STRANGER, **options: Any) -> CallResult:
    address = ("127.0.0.1", ivr.agi.port)
    call = SimulatedCall(
        address, NUMBER, actions, callerid=callerid, rate=ivr.media.clock.rate, **options
    )
    return call.run(timeout=120)


def messages(data: Path) -> list[SmsMessage]:
    database = Database(f"sqlite:///{data / 'ivr.db'}")
    try:
        with database.session(readonly=True) as session:
            return list(session.scalars(select(SmsMessage).order_by(SmsMessage.id)))
    finally:
        database.close()


def test_balance_by_keys_with_read_back_and_sms(ivr: Any, seeded: Path) -> None:
    insured = person(language="vi")
    actions = [
        VI,
        Press("2"),  # main menu: balance
        Press(insured.insurance_number + "#"),
        Press("1"),  # read back: correct
        Press(insured.pin + "#"),
        Press("2"),  # send it by SMS
        Press("9"),  # back to the main menu
        HangUp(),
    ]
    result = dial(ivr, actions)
    route = result.route
    assert route[:3] == ["choose_language", "main_menu", "balance"], result.transcript()
    assert route[3] == "main_menu"
    logged = result.kinds("ivr")
    assert "ivr: say (read-back, 10 digits)" in logged
    assert logged.count("ivr: say (balance)") == 2  # the balance, then the SMS notice
    assert "ivr: script balance ended: menu" in logged
    # nothing the caller gave or was told about their account reaches Asterisk's log
    everything = "\n".join(e.text for e in result.events if e.kind in ("agi", "ivr"))
    assert insured.insurance_number not in everything and insured.pin not in everything
    sent = messages(seeded)
    assert [(m.purpose, m.to_number, m.language, m.status) for m in sent] == [
        ("balance", insured.mobile, "vi", "queued")
    ]
    assert "Số dư" in sent[0].text


def test_read_back_no_means_enter_again(ivr: Any) -> None:
    insured = person(language="vi")
    wrong = insured.insurance_number[:-1] + str((int(insured.insurance_number[-1]) + 1) % 10)
    actions = [
        VI,
        Press("2"),
        Press(wrong + "#"),
        Press("2"),  # read back: not right
        Press(insured.insurance_number + "#"),
        Press("1"),
        Press(insured.pin + "#"),
        Press("9"),
        HangUp(),
    ]
    result = dial(ivr, actions)
    logged = result.kinds("ivr")
    assert logged.count("ivr: say (read-back, 10 digits)") == 2
    assert "ivr: script balance ended: menu" in logged, result.transcript()


def test_birth_date_instead_of_pin_and_a_wrong_length(ivr: Any) -> None:
    insured = person(language="vi")
    actions = [VI, Press("2"), Press(insured.national_id + "#"), Press("1")]
    actions += [Press("12#")]  # neither a PIN nor a date: told what is expected, not counted
    actions += [Press(insured.birth_date.strftime("%d%m%Y") + "#"), Press("9"), HangUp()]
    result = dial(ivr, actions)
    spoken = said(result)
    assert "Mã PIN có bốn chữ số, ngày sinh có tám chữ số." in " ".join(spoken)
    assert "ivr: script balance ended: menu" in result.kinds("ivr"), result.transcript()


def test_caller_id_suggests_the_account_but_the_pin_is_still_asked(ivr: Any) -> None:
    insured = person(language="vi")
    actions = [VI, Press("2"), Press("1"), Press(insured.pin + "#"), Press("9"), HangUp()]
    result = dial(ivr, actions, callerid="0" + insured.mobile[2:])
    logged = result.kinds("ivr")
    assert "ivr: say (caller-id hint)" in logged
    assert "ivr: say (read-back, 10 digits)" not in logged  # the number was not asked
    assert "ivr: script balance ended: menu" in logged, result.transcript()


def test_unknown_number_is_said_and_counted(ivr: Any) -> None:
    actions = [VI, Press("2"), Press("9999999999#"), Press("1"), HangUp()]
    result = dial(ivr, actions)
    assert "Chúng tôi không tìm thấy tài khoản với số này." in said(result), result.transcript()


def wrong_pin_call(insured: Any, tries: int) -> list[Any]:
    actions: list[Any] = [VI, Press("2"), Press(insured.insurance_number + "#"), Press("1")]
    wrong = "0000" if insured.pin != "0000" else "1111"
    return actions + [Press(wrong + "#")] * tries + [Listen(), HangUp()]


def test_lockout_route_to_an_agent(ivr: Any) -> None:
    insured = person(language="vi")
    limit = ivr.services.settings.auth_max_failures_account
    result = dial(ivr, wrong_pin_call(insured, limit), queue_outcomes=["ANSWERED"])
    assert result.route[-3:] == ["balance", "agent_hours", "agent"], result.transcript()
    assert any("tạm khóa" in text for text in said(result))
    # the right PIN in a new call does not help while the lock-out lasts
    again = dial(ivr, [VI, Press("2"), Press(insured.insurance_number + "#"), Press("1")])
    assert any("tạm khóa" in text for text in said(again)), again.transcript()


# -- two server processes sharing Redis ---------------------------------------------------------
class Server:
    def __init__(self, data: Path, redis_url: str, prompts: Path, rate: float) -> None:
        env = {
            **os.environ,
            "IVR_DATA_DIR": str(data),
            "REDIS_URL": redis_url,
            "IVR_PROMPTS_DIR": str(prompts),
            "IVR_DIALPLANS_DIR": str(SAMPLE_FLOWS),
            "IVR_AGI_PORT": "0",
            "IVR_MEDIA_PORT": "0",
            "IVR_HTTP_PORT": "0",
            "IVR_SMS_GATEWAY": "none",
            "IVR_ASR": "vi=vosk",  # no Vietnamese model here: keys only, nothing to load
            "IVR_CLOCK": OPEN.isoformat(),  # the tests' calendar: agents work, not today's
            "IVR_MEDIA_RATE": str(rate),
        }
        self.rate = rate
        self.process, self.address = start_serve(env)

    def dial(self, actions: list[Any]) -> CallResult:
        call = SimulatedCall(self.address, NUMBER, actions, callerid=STRANGER, rate=self.rate)
        return call.run(timeout=120)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture
def two_servers(
    seeded: Path, redis_server: str, prompts_dir: Path, media_rate: float
) -> Iterator[tuple[Server, Server]]:
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    first = Server(seeded, redis_server, prompts_dir, media_rate)
    second = Server(seeded, redis_server, prompts_dir, media_rate)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def test_wrong_pins_lock_out_across_two_servers_sharing_redis(
    two_servers: tuple[Server, Server],
) -> None:
    first, second = two_servers
    insured = person(language="vi")
    one = first.dial(wrong_pin_call(insured, 2))
    assert not any("tạm khóa" in text for text in said(one)), one.transcript()
    two = second.dial(wrong_pin_call(insured, 1))  # the third failure, on the other server
    assert any("tạm khóa" in text for text in said(two)), two.transcript()
    right = [VI, Press("2"), Press(insured.insurance_number + "#"), Press("1")]
    three = first.dial(right + [Press(insured.pin + "#"), Listen(), HangUp()])
    assert any("tạm khóa" in text for text in said(three)), three.transcript()
    assert "ivr: say (balance)" not in three.kinds("ivr")


# -- the account system down ------------------------------------------------------------------
def callbacks(data: Path) -> list[CallbackRequest]:
    database = Database(f"sqlite:///{data / 'ivr.db'}")
    try:
        with database.session(readonly=True) as session:
            return list(session.scalars(select(CallbackRequest)))
    finally:
        database.close()


@pytest.fixture
def insurer() -> Iterator[InsurerPeer]:
    peer = InsurerPeer()
    yield peer
    peer.stop()


def through_insurer(make_ivr: Any, insurer: InsurerPeer, folder: Path, timeout: float) -> Any:
    return make_ivr(
        accounts="http",
        accounts_url=insurer.url,
        accounts_timeout=timeout,
        accounts_auth_header=f"Authorization: {TOKEN}",
        accounts_mapping=insurer.mapping_file(folder),
    )


def test_balance_through_the_insurers_http_system(
    make_ivr: Any, insurer: InsurerPeer, tmp_path: Path
) -> None:
    ivr = through_insurer(make_ivr, insurer, tmp_path, timeout=3.0)
    insured = person(language="vi")
    actions = [VI, Press("2"), Press(insured.insurance_number + "#"), Press("1")]
    actions += [Press(insured.pin + "#"), Press("9"), HangUp()]
    result = dial(ivr, actions)
    assert "ivr: script balance ended: menu" in result.kinds("ivr"), result.transcript()
    asked = [path for method, path, _ in insurer.requests]
    assert asked[-1] == "/api/v2/nguoi-tham-gia/P0/tai-khoan"


def test_insurer_too_slow_apology_and_a_callback(
    make_ivr: Any, insurer: InsurerPeer, tmp_path: Path
) -> None:
    ivr = through_insurer(make_ivr, insurer, tmp_path, timeout=0.5)
    insurer.mode, insurer.delay = "slow", 5.0
    result = dial(ivr, [VI, Press("2"), Press("2"), Listen(), HangUp()])
    spoken = said(result)
    assert any(text.startswith("Xin lỗi, hiện chưa kết nối được") for text in spoken), (
        result.transcript()
    )
    assert "Chúng tôi sẽ gọi lại cho quý khách theo số này trong thời gian sớm nhất." in spoken
    assert "ivr: script balance ended: callback" in result.kinds("ivr")
    booked = ivr.services.callbacks.pending()
    assert [(c.number, c.reason, c.language) for c in booked] == [
        ("84280000001", "accounts-unavailable", "vi")
    ]
    # the same caller again today: still one callback
    dial(ivr, [VI, Press("2"), Press("2"), Listen(), HangUp()])
    assert len(ivr.services.callbacks.pending()) == 1


def test_insurer_error_apology_and_an_agent(
    make_ivr: Any, insurer: InsurerPeer, tmp_path: Path
) -> None:
    ivr = through_insurer(make_ivr, insurer, tmp_path, timeout=2.0)
    insurer.mode = "error"
    result = dial(ivr, [VI, Press("2"), Press("1")], queue_outcomes=["ANSWERED"])
    assert result.route[-3:] == ["balance", "agent_hours", "agent"], result.transcript()
    assert "ivr: script balance ended: agent" in result.kinds("ivr")


@pytest.mark.slow
def test_id_number_by_voice_with_read_back_correction(ivr: Any) -> None:
    """English (Whisper) with Asterisk's own recordings: a number said wrong, "no" at the
    read-back, said again, "one" (yes), then the PIN by keys."""
    from tests.test_speech_menus import digit_string, recording

    insured = person(language="en")
    wrong = "0456789124"
    actions = [
        EN,
        Press("2"),
        Say(digit_string(*wrong), delay=0.5, label="a wrong number"),
        Say(recording("vm-no"), delay=0.5, label="no"),
        Say(digit_string(*insured.insurance_number), delay=0.5, label="the number"),
        Say(recording("digits/1"), delay=0.5, label="one"),
        Press(insured.pin + "#"),
        Press("9"),
        HangUp(),
    ]
    result = dial(ivr, actions)
    logged = result.kinds("ivr")
    assert logged.count("ivr: say (read-back, 10 digits)") == 2, result.transcript()
    assert "ivr: script balance ended: menu" in logged, result.transcript()
    assert any(text.startswith("ivr: heard") and "whisper" in text for text in logged)


def test_balance_sms_requested_in_a_call_arrives_through_kannel(
    make_ivr: Any, seeded: Path, kannel: Any
) -> None:
    """The real chain: outbox -> worker -> Kannel sendsms -> bearerbox -> fakesmsc, and the
    delivery report back through Kannel's dlr-url to the web side."""
    gateway = kannel.settings()
    ivr = make_ivr(
        data_dir=seeded,
        sms_gateway="kannel",
        kannel_url=gateway.kannel_url,
        kannel_user=gateway.kannel_user,
        kannel_password=gateway.kannel_password,
    )
    insured = person(language="zh")
    actions = [Press("2"), Press("2"), Press(insured.insurance_number + "#"), Press("1")]
    actions += [Press(insured.pin + "#"), Press("2"), Press("9"), HangUp()]
    result = dial(ivr, actions)
    assert "ivr: script balance ended: menu" in result.kinds("ivr"), result.transcript()
    [message] = messages(seeded)
    assert (message.to_number, message.language) == (insured.mobile, "zh")
    kannel.wait_for(insured.mobile, timeout=20)
    [received] = kannel.texts(insured.mobile)  # UCS-2, every character intact
    assert "余额" in received and "2.527.200" in received.replace(",", ".")
    outbox = ivr.services.outbox
    assert wait_until(lambda: outbox.status(message.id).reports, timeout=20)
    status = outbox.status(message.id)
    assert status.status in ("sent", "delivered") and status.attempts == 1
    # once sent, the outbox keeps the text with its digits masked: same length, no balance
    [kept] = messages(seeded)
    assert len(kept.text) == len(received) and "2,527,200" not in kept.text
    assert kept.text.replace("#", "") == "".join(c for c in received if not c.isdigit())


# -- Redis down ---------------------------------------------------------------------------------
def test_redis_down_every_caller_keeps_every_service_and_redis_catches_up(
    make_ivr: Any, seeded: Path, stoppable_redis: StoppableRedis, caplog: Any
) -> None:
    """With Redis stopped a balance caller still hears the balance (the lock-out check used to
    raise ConnectionError: "a technical problem"); failures are counted on this node meanwhile
    and added to Redis's count when it is back, where the node's live state goes again."""
    import redis

    ivr = make_ivr(data_dir=seeded, redis_url=stoppable_redis.url)
    state = ivr.services.state
    shared = redis.Redis.from_url(stoppable_redis.url, decode_responses=True)
    insured, other = person(language="vi"), person(language="en")
    wrong_pin = [*wrong_pin_call(other, 1)[:-2], HangUp(delay=1.0)]
    dial(ivr, wrong_pin)  # one failure, in Redis
    [account] = shared.keys("ivr:auth:failures:account:*")
    assert shared.get(account) == "1"
    flow_key = "ivr:flow:health_hotline:new"
    assert shared.get(flow_key) == "1"

    stoppable_redis.stop()
    right = [VI, Press("2"), Press(insured.insurance_number + "#"), Press("1")]
    balance = dial(ivr, right + [Press(insured.pin + "#"), Listen(), HangUp()])
    logged = balance.kinds("ivr")
    assert "ivr: say (balance)" in logged, balance.transcript()
    assert "technical" not in " ".join(said(balance)).casefold()
    wrong = dial(ivr, wrong_pin)  # counted on this node while Redis is away
    assert "ivr: keys ****" in wrong.kinds("ivr"), wrong.transcript()
    assert not state.on_redis
    warnings = [r for r in caplog.records if "Redis does not answer" in r.getMessage()]
    assert len(warnings) == 1

    stoppable_redis.start()
    wait_until(lambda: state.on_redis, timeout=20)
    assert shared.get(account) == "2"  # 1 before + 1 on this node meanwhile
    assert 0 < shared.pttl(account) <= ivr.services.settings.auth_lockout_s * 1000
    assert shared.get(flow_key) == "3"
    assert shared.hgetall("ivr:calls:active") == {}
    dial(ivr, [VI, HangUp()])
    assert shared.get(flow_key) == "4"  # Redis serves again
