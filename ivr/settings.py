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

    @property
    def media_address(self) -> str:
        return self.media_advertise or f"{self.media_host}:{self.media_port}"

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
        )
