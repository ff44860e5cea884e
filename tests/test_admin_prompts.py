"""Admin web, prompts: the texts of the flows, playing them, human recordings that replace the
TTS audio (heard by real simulated calls), removing them, rendering TTS again."""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import Any

from ivr.flow.loader import load_flow
from ivr.flow.model import LanguageNode, MenuNode, PromptNode
from ivr.simulator.caller import HangUp, Listen, Press
from ivr.simulator.simulator import CallResult, SimulatedCall
from tests.admin_client import HTML, add_users, signed_in
from tests.conftest import SAMPLE_FLOWS

FLOW = load_flow(SAMPLE_FLOWS / "health_hotline.yaml")
LANGUAGE = FLOW.node(FLOW.start)
assert isinstance(LANGUAGE, LanguageNode)
MAIN = FLOW.node(LANGUAGE.next)
assert isinstance(MAIN, MenuNode)
POLICY = FLOW.node(MAIN.options["1"])
assert isinstance(POLICY, MenuNode)
COVERAGE = FLOW.node(POLICY.options["1"])
assert isinstance(COVERAGE, PromptNode)
TEXT = COVERAGE.prompt["en"]
EN_KEY = next(key for key, lang in LANGUAGE.options.items() if lang == "en")


def tone(seconds: float, rate: int = 16000, hz: float = 440.0) -> bytes:
    """A WAV file of a sine tone (16-bit mono at ``rate``)."""
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / rate)))
        for i in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return out.getvalue()


def wav_of(data: bytes) -> tuple[int, int, int, bytes]:
    with wave.open(io.BytesIO(data), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
        return wav.getframerate(), wav.getsampwidth(), wav.getnchannels(), frames


def upload(client: Any, data: bytes, name: str = "voice.wav", **form: str) -> Any:
    fields = {"language": "en", "text": TEXT, **form}
    return client.post("/admin/prompts/upload", fields, files={"file": (name, data)})


def to_coverage_and_listen(ivr: Any) -> CallResult:
    """English, policy questions, coverage: the coverage prompt heard out, then hang up."""
    actions = [Press(EN_KEY), Press("1"), Press("1"), Listen(), HangUp()]
    call = SimulatedCall(
        ("127.0.0.1", ivr.agi.port), FLOW.numbers[0], actions, rate=ivr.media.clock.rate
    )
    return call.run(timeout=120)


def test_the_page_lists_texts_per_language_and_plays_them(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    viewer = signed_in(ivr, "viewer")
    page = viewer.get("/admin/prompts")
    assert page.status_code == 200
    for lang in ("vi", "zh", "en"):
        assert f'id="lang-{lang}"' in page.text
    assert "health_hotline/main_menu" in page.text and "<audio controls" in page.text
    assert "Upload recording" not in page.text  # viewers listen only
    heard = viewer.get("/admin/prompts/audio", params={"language": "en", "text": TEXT})
    assert heard.status_code == 200 and heard.headers["content-type"] == "audio/wav"
    rate, width, channels, frames = wav_of(heard.content)
    assert (rate, width, channels) == (8000, 2, 1) and len(frames) > 8000
    assert frames == ivr.services.prompts.audio(TEXT, "en")
    other = viewer.get("/admin/prompts/audio", params={"language": "en", "text": "Say anything"})
    assert other.status_code == 404 and "No flow says this en text" in other.text
    assert "rendered" in viewer.get("/admin/prompts").text


def test_an_uploaded_recording_is_what_callers_hear_until_removed(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    tts = ivr.services.prompts.synthesized(TEXT, "en")
    saved = upload(admin, tone(1.0))
    assert saved.status_code == 200, saved.text
    assert "Recording saved (1.0 s)" in saved.text
    heard = admin.get("/admin/prompts/audio", params={"language": "en", "text": TEXT})
    rate, width, channels, recording = wav_of(heard.content)
    assert (rate, width, channels) == (8000, 2, 1)
    assert abs(len(recording) - 16000) <= 32  # 1 s at 8 kHz, 16-bit
    assert recording != tts[: len(recording)]
    tts_only = admin.get(
        "/admin/prompts/audio", params={"language": "en", "text": TEXT, "source": "tts"}
    )
    assert wav_of(tts_only.content)[3] == tts
    assert "<strong>recording</strong> (1.0 s, admin" in admin.get("/admin/prompts").text

    call = to_coverage_and_listen(ivr)
    assert COVERAGE.id in call.route, call.transcript()
    assert any(recording[:15000] in played for played in call.played), call.transcript()

    removed = admin.post("/admin/prompts/remove", {"language": "en", "text": TEXT})
    assert removed.status_code == 200 and "Recording removed" in removed.text
    back = admin.get("/admin/prompts/audio", params={"language": "en", "text": TEXT})
    assert wav_of(back.content)[3] == tts
    again = to_coverage_and_listen(ivr)
    assert not any(recording[:15000] in played for played in again.played)
    assert any(tts[:8000] in played for played in again.played), again.transcript()
    nothing = admin.post("/admin/prompts/remove", {"language": "en", "text": TEXT})
    assert nothing.status_code == 404 and "no recording" in nothing.text
    actions = [e.action for e in _audit(ivr)]
    assert "prompt-upload" in actions and "prompt-remove" in actions


def test_uploads_that_cannot_be_recordings_are_refused_plainly(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    cases = [
        (upload(admin, b"this is not audio at all", "notes.wav"), "not audio"),
        (upload(admin, tone(0.1), "click.wav"), "too short (0.10 s): at least 0.3 s"),
        (upload(admin, tone(121, rate=8000), "long.wav"), "too long (121 s): at most 120 s"),
        (upload(admin, b"\0" * (21 * 1024 * 1024), "huge.wav"), "at most 20 MB"),
        (upload(admin, b"", "empty.wav"), "The file is empty"),
        (admin.post("/admin/prompts/upload", {"language": "en", "text": TEXT}), "Choose a"),
        (upload(admin, tone(1), text="Not a prompt of ours."), "No flow says this en text"),
        (upload(admin, tone(1), language="fr"), "Unknown language fr: the flows speak en, vi, zh"),
    ]
    for reply, message in cases:
        assert reply.status_code == 422, (message, reply.text[:300])
        assert message in reply.text, message
        assert "Traceback" not in reply.text
    assert not list((ivr.services.settings.data_dir / "prompt_recordings").rglob("*.wav"))
    assert ivr.services.prompts.recording(TEXT, "en") is None


def test_roles_and_csrf_on_prompt_changes(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    viewer, supervisor, admin = (signed_in(ivr, r) for r in ("viewer", "supervisor", "admin"))
    for client in (viewer, supervisor):
        refused = upload(client, tone(1))
        assert refused.status_code == 403 and "This needs the admin role" in refused.text
        rerender = client.post("/admin/prompts/rerender", {"language": "en"})
        assert rerender.status_code == 403
    forged = upload(admin, tone(1), csrf_token="forged")
    assert forged.status_code == 403 and "security token" in forged.text
    no_token = admin.http.post(
        "/admin/prompts/upload",
        data={"language": "en", "text": TEXT},
        files={"file": ("v.wav", tone(1))},
        headers=HTML,
    )
    assert no_token.status_code == 403
    assert ivr.services.prompts.recording(TEXT, "en") is None
    admin.http.cookies.clear()
    anonymous = admin.api("GET", f"/admin/prompts/audio?language=en&text={TEXT}")
    assert anonymous.status_code == 401


def test_render_again_one_text_or_a_whole_language(make_ivr: Any) -> None:
    ivr = make_ivr()
    add_users(ivr)
    admin = signed_in(ivr, "admin")
    prompts = ivr.services.prompts
    before = prompts.synthesized(TEXT, "en")
    path = prompts.path_for(TEXT, "en")
    path.unlink()
    one = admin.post("/admin/prompts/rerender", {"language": "en", "text": TEXT})
    assert one.status_code == 200 and "Rendered 1 en text(s) again in" in one.text
    again = prompts.synthesized(TEXT, "en")
    assert path.exists() and path.read_bytes() == again
    assert abs(len(again) - len(before)) < 1600  # the same words (TTS may differ in noise)
    english = [t for lang, t in FLOW.prompt_texts() if lang == "en"]
    every = admin.post("/admin/prompts/rerender", {"language": "en"})
    assert f"Rendered {len(english)} en text(s) again in" in every.text
    assert all(prompts.cached(t, "en") for t in english)
    unknown = admin.post("/admin/prompts/rerender", {"language": "fr"})
    assert (
        unknown.status_code == 422
        and "Unknown language fr: the flows speak en, vi, zh" in unknown.text
    )


def _audit(ivr: Any) -> list[Any]:
    from tests.admin_client import users_of

    return list(users_of(ivr).audit_log(50))
