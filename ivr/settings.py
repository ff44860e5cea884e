"""One typed settings object, read once from the environment (``IVR_*``).

Every variable is documented in the README. Secrets (database passwords, AMI secret) come
only from the environment, never from files in the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_dir(name: str) -> Path:
    """A folder of the checkout when running from one, else one under the working directory."""
    candidate = PROJECT_ROOT / name
    return candidate if candidate.is_dir() else Path.cwd() / name


def _port(value: str, name: str) -> int:
    try:
        port = int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a TCP port number, got {value!r}") from exc
    if not 0 <= port <= 65535:
        raise ValueError(f"{name} must be between 0 and 65535, got {port}")
    return port


@dataclass(frozen=True)
class Settings:
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    media_host: str = "127.0.0.1"
    media_port: int = 9092
    # What Asterisk is told to connect to in ``EXEC AudioSocket uuid,host:port``. Differs from
    # media_host:media_port when the IVR listens on 0.0.0.0 inside a container.
    media_advertise: str = ""
    data_dir: Path = field(default_factory=lambda: Path.cwd() / "var")
    dialplans_dir: Path = field(default_factory=lambda: _default_dir("dialplans"))
    prompts_dir: Path = field(default_factory=lambda: _default_dir("audio_prompts"))
    database_url: str = ""
    redis_url: str = ""
    log_level: str = "INFO"
    # Speech recognition: engine per language, models in <models_dir>/<language>/.
    models_dir: Path | None = None  # default <data_dir>/models
    # English: a vosk model if one is installed (streaming, the lower turn latency), else the
    # packaged Whisper tiny.en
    asr: str = "en=vosk|whisper,vi=vosk,zh=vosk"
    asr_missing: str = "dtmf"  # a language without a model: "dtmf" (menus by keys) or "error"
    asr_threads: int = 2
    models_catalog: str = "https://alphacephei.com/vosk/models/model-list.json"
    # Text to speech: engine per language.
    tts: str = "vi=pyttsx3,zh=pyttsx3,en=pyttsx3"

    @property
    def media_address(self) -> str:
        return self.media_advertise or f"{self.media_host}:{self.media_port}"

    @property
    def asr_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def asr_engines(self) -> dict[str, str]:
        return language_map(self.asr, "IVR_ASR")

    @property
    def tts_engines(self) -> dict[str, str]:
        return language_map(self.tts, "IVR_TTS")

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'ivr.db'}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        base = cls()
        return cls(
            agi_host=env.get("IVR_AGI_HOST", base.agi_host),
            agi_port=_port(env.get("IVR_AGI_PORT", str(base.agi_port)), "IVR_AGI_PORT"),
            media_host=env.get("IVR_MEDIA_HOST", base.media_host),
            media_port=_port(env.get("IVR_MEDIA_PORT", str(base.media_port)), "IVR_MEDIA_PORT"),
            media_advertise=env.get("IVR_MEDIA_ADVERTISE", ""),
            data_dir=Path(env.get("IVR_DATA_DIR", str(base.data_dir))),
            dialplans_dir=Path(env.get("IVR_DIALPLANS_DIR", str(base.dialplans_dir))),
            prompts_dir=Path(env.get("IVR_PROMPTS_DIR", str(base.prompts_dir))),
            database_url=env.get("DATABASE_URL", ""),
            redis_url=env.get("REDIS_URL", ""),
            log_level=env.get("IVR_LOG_LEVEL", base.log_level).upper(),
            models_dir=Path(env["IVR_MODELS_DIR"]) if env.get("IVR_MODELS_DIR") else None,
            asr=_checked_map(env.get("IVR_ASR", base.asr), "IVR_ASR"),
            asr_missing=_choice(
                env.get("IVR_ASR_MISSING", base.asr_missing), "IVR_ASR_MISSING", ("dtmf", "error")
            ),
            asr_threads=_count(
                env.get("IVR_ASR_THREADS", str(base.asr_threads)), "IVR_ASR_THREADS"
            ),
            models_catalog=env.get("IVR_MODELS_CATALOG", base.models_catalog),
            tts=_checked_map(env.get("IVR_TTS", base.tts), "IVR_TTS"),
        )


def language_map(value: str, name: str) -> dict[str, str]:
    """``"en=whisper,vi=vosk"`` -> ``{"en": "whisper", "vi": "vosk"}``; ValueError naming the
    variable on anything else."""
    result: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        language, sep, engine = item.partition("=")
        if not sep or not language.strip() or not engine.strip():
            raise ValueError(f"{name}: expected language=engine pairs, got {item!r}")
        result[language.strip()] = engine.strip()
    return result


def _checked_map(value: str, name: str) -> str:
    language_map(value, name)
    return value


def _choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _count(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from exc
    if number < 1:
        raise ValueError(f"{name} must be at least 1, got {number}")
    return number
