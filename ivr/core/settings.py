"""One typed settings object, read once from the environment (``IVR_*``).

Every variable is documented in the README. Secrets (database passwords, AMI secret) come
only from the environment, never from files in the repository.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ivr.core.clock import Clock, make_clock, parse_instant, parse_window
from ivr.core.media_clock import MAX_RATE

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # ivr/core/settings.py -> the checkout


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
    # Calls (FastAGI connections) served at once; over it a new one is refused at once, so
    # Asterisk's AGI() sets AGISTATUS=FAILURE and the dialplan tries the next node.
    max_calls: int = 500
    agi_header_timeout_s: float = 10.0  # for the whole header block of a connection
    agi_reply_timeout_s: float = 30.0  # for the reply to a command that plays nothing
    media_host: str = "127.0.0.1"
    media_port: int = 9092
    # What Asterisk is told to connect to in ``EXEC AudioSocket uuid,host:port``. Differs from
    # media_host:media_port when the IVR listens on 0.0.0.0 inside a container.
    media_advertise: str = ""
    # Call time per real second (ivr.media_clock): 1.0 in production. Only a simulated call
    # (tests, ``ivr call --local``) runs faster, and then the simulator must use the same rate.
    media_rate: float = 1.0
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
    # The web side: the admin web, SMS delivery reports, /healthz.
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # How gateways reach the web side (Kannel's dlr-url); default http://<http_host>:<port>.
    public_url: str = ""
    # Accounts: the local database, or an insurer's system over HTTP.
    accounts: str = "local"
    accounts_url: str = ""
    accounts_timeout: float = 3.0
    accounts_auth_header: str = ""  # a secret: "Authorization: Bearer ...", from the env only
    accounts_mapping: Path | None = None  # JSON file: our field -> their JSON path
    # Caller authentication: failed tries before a lock-out, counted per caller number and per
    # account across every worker (live state), and how long a lock-out lasts.
    auth_max_failures_caller: int = 5
    auth_max_failures_account: int = 3
    auth_lockout_s: float = 1800.0
    # SMS: the gateway the worker sends through ("kannel", "smpp" or "none": kept in the outbox).
    sms_gateway: str = "kannel"
    sms_sender: str = "1900"
    kannel_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_user: str = "ivr"
    kannel_password: str = ""  # a secret, from the env only
    smpp_host: str = "127.0.0.1"
    smpp_port: int = 2775
    smpp_system_id: str = "ivr"
    smpp_password: str = ""  # a secret, from the env only
    sms_max_attempts: int = 8
    sms_retry_base_s: float = 30.0  # the first retry waits this long, then doubling
    # AMI: queue and agent events in, Originate and queue actions out ("" host: no AMI client).
    ami_host: str = ""
    ami_port: int = 5038
    ami_user: str = "ivr"
    ami_secret: str = ""  # a secret, from the env only
    queues_dir: Path = field(default_factory=lambda: _default_dir("queues"))
    # Knowledge base: folder of the sample/imported entries, and the retrieval score below
    # which the AI agent says it does not know instead of answering.
    knowledge_dir: Path = field(default_factory=lambda: _default_dir("knowledge"))
    kb_threshold: float = 0.40  # the lexical scorer's, where it decides alone (ivr.kb)
    # Hybrid retrieval (sentence embeddings beside the lexical score), and where the entries'
    # vectors are cached (default <data_dir>/kb-embeddings).
    kb_dense: bool = True
    kb_embeddings: Path | None = None
    # Optional LLM that phrases answers (OpenAI-compatible /v1/chat/completions); "" = off.
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""  # a secret, from the env only
    llm_timeout_s: float = 4.0
    # Tickets: hours until a new ticket is due; overdue tickets are escalated.
    ticket_due_hours: float = 48.0
    # Admin web: the session cookie only over HTTPS (behind a TLS proxy).
    admin_secure_cookie: bool = False
    # The clock starts at this instant instead of now (IVR_CLOCK; tests and trials only).
    clock_start: datetime | None = None
    # This node's name in call records ("" : <hostname>:<agi_port>); each node closes the
    # records it left open when it died, and only those, so it must differ between nodes.
    node_id: str = ""
    # The first pause before a call-record write the database refused is tried again
    # (doubling up to 10 s); the records wait in memory meanwhile.
    records_retry_s: float = 0.5
    # Outbound notification campaigns (ivr campaigns): the local hours numbers may be called,
    # the trunk channels and new calls per second they may use, tries before the SMS.
    campaign_hours: str = "08:00-20:00"
    campaign_channels: int = 4
    campaign_cps: float = 1.0
    campaign_attempts: int = 3
    campaign_retry_s: float = 1800.0
    campaign_token: str = ""  # a secret, from the env only: the campaigns API's bearer token
    # Work that runs on one node at a time (the SMS outbox worker; queue events and calls
    # back) is leased for this long and renewed every third of it (ivr.core.leases): another
    # node takes over within about this time of the holder's death.
    lease_ttl_s: float = 6.0

    def clock(self) -> Clock:
        """The clock of this process: real UTC, or IVR_CLOCK's running on from its start."""
        return make_clock(self.clock_start)

    @property
    def node(self) -> str:
        return self.node_id or f"{socket.gethostname()}:{self.agi_port}"

    @property
    def media_address(self) -> str:
        return self.media_advertise or f"{self.media_host}:{self.media_port}"

    @property
    def asr_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def kb_embeddings_dir(self) -> Path:
        return self.kb_embeddings or self.data_dir / "kb-embeddings"

    @property
    def asr_engines(self) -> dict[str, str]:
        return language_map(self.asr, "IVR_ASR")

    @property
    def tts_engines(self) -> dict[str, str]:
        return language_map(self.tts, "IVR_TTS")

    @property
    def web_url(self) -> str:
        return self.public_url or f"http://{self.http_host}:{self.http_port}"

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
            max_calls=_count(env.get("IVR_MAX_CALLS", str(base.max_calls)), "IVR_MAX_CALLS"),
            agi_header_timeout_s=_seconds(
                env.get("IVR_AGI_HEADER_TIMEOUT", str(base.agi_header_timeout_s)),
                "IVR_AGI_HEADER_TIMEOUT",
            ),
            agi_reply_timeout_s=_seconds(
                env.get("IVR_AGI_REPLY_TIMEOUT", str(base.agi_reply_timeout_s)),
                "IVR_AGI_REPLY_TIMEOUT",
            ),
            media_host=env.get("IVR_MEDIA_HOST", base.media_host),
            media_port=_port(env.get("IVR_MEDIA_PORT", str(base.media_port)), "IVR_MEDIA_PORT"),
            media_advertise=env.get("IVR_MEDIA_ADVERTISE", ""),
            media_rate=_rate(env.get("IVR_MEDIA_RATE", str(base.media_rate)), "IVR_MEDIA_RATE"),
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
            http_host=env.get("IVR_HTTP_HOST", base.http_host),
            http_port=_port(env.get("IVR_HTTP_PORT", str(base.http_port)), "IVR_HTTP_PORT"),
            public_url=env.get("IVR_PUBLIC_URL", "").rstrip("/"),
            accounts=_choice(env.get("IVR_ACCOUNTS", base.accounts), "IVR_ACCOUNTS", ACCOUNTS),
            accounts_url=env.get("IVR_ACCOUNTS_URL", "").rstrip("/"),
            accounts_timeout=_seconds(
                env.get("IVR_ACCOUNTS_TIMEOUT", str(base.accounts_timeout)), "IVR_ACCOUNTS_TIMEOUT"
            ),
            accounts_auth_header=env.get("IVR_ACCOUNTS_AUTH_HEADER", ""),
            accounts_mapping=(
                Path(env["IVR_ACCOUNTS_MAPPING"]) if env.get("IVR_ACCOUNTS_MAPPING") else None
            ),
            auth_max_failures_caller=_count(
                env.get("IVR_AUTH_MAX_FAILURES_CALLER", str(base.auth_max_failures_caller)),
                "IVR_AUTH_MAX_FAILURES_CALLER",
            ),
            auth_max_failures_account=_count(
                env.get("IVR_AUTH_MAX_FAILURES_ACCOUNT", str(base.auth_max_failures_account)),
                "IVR_AUTH_MAX_FAILURES_ACCOUNT",
            ),
            auth_lockout_s=_seconds(
                env.get("IVR_AUTH_LOCKOUT", str(base.auth_lockout_s)), "IVR_AUTH_LOCKOUT"
            ),
            sms_gateway=_choice(
                env.get("IVR_SMS_GATEWAY", base.sms_gateway), "IVR_SMS_GATEWAY", SMS_GATEWAYS
            ),
            sms_sender=env.get("IVR_SMS_SENDER", base.sms_sender),
            kannel_url=env.get("IVR_KANNEL_URL", base.kannel_url),
            kannel_user=env.get("IVR_KANNEL_USER", base.kannel_user),
            kannel_password=env.get("IVR_KANNEL_PASSWORD", ""),
            smpp_host=env.get("IVR_SMPP_HOST", base.smpp_host),
            smpp_port=_port(env.get("IVR_SMPP_PORT", str(base.smpp_port)), "IVR_SMPP_PORT"),
            smpp_system_id=env.get("IVR_SMPP_SYSTEM_ID", base.smpp_system_id),
            smpp_password=env.get("IVR_SMPP_PASSWORD", ""),
            sms_max_attempts=_count(
                env.get("IVR_SMS_MAX_ATTEMPTS", str(base.sms_max_attempts)), "IVR_SMS_MAX_ATTEMPTS"
            ),
            sms_retry_base_s=_seconds(
                env.get("IVR_SMS_RETRY_BASE", str(base.sms_retry_base_s)), "IVR_SMS_RETRY_BASE"
            ),
            ami_host=env.get("IVR_AMI_HOST", base.ami_host),
            ami_port=_port(env.get("IVR_AMI_PORT", str(base.ami_port)), "IVR_AMI_PORT"),
            ami_user=env.get("IVR_AMI_USER", base.ami_user),
            ami_secret=env.get("IVR_AMI_SECRET", ""),
            queues_dir=Path(env.get("IVR_QUEUES_DIR", str(base.queues_dir))),
            knowledge_dir=Path(env.get("IVR_KNOWLEDGE_DIR", str(base.knowledge_dir))),
            kb_threshold=_fraction(
                env.get("IVR_KB_THRESHOLD", str(base.kb_threshold)), "IVR_KB_THRESHOLD"
            ),
            kb_dense=env.get("IVR_KB_DENSE", "1") not in ("0", "false", "no", "off"),
            kb_embeddings=Path(env["IVR_KB_EMBEDDINGS"]) if env.get("IVR_KB_EMBEDDINGS") else None,
            llm_url=env.get("IVR_LLM_URL", "").rstrip("/"),
            llm_model=env.get("IVR_LLM_MODEL", base.llm_model),
            llm_api_key=env.get("IVR_LLM_API_KEY", ""),
            llm_timeout_s=_seconds(
                env.get("IVR_LLM_TIMEOUT", str(base.llm_timeout_s)), "IVR_LLM_TIMEOUT"
            ),
            ticket_due_hours=_seconds(
                env.get("IVR_TICKET_DUE_HOURS", str(base.ticket_due_hours)),
                "IVR_TICKET_DUE_HOURS",
                "hours",
            ),
            admin_secure_cookie=env.get("IVR_ADMIN_SECURE_COOKIE", "0") in ("1", "true", "yes"),
            clock_start=parse_instant(env["IVR_CLOCK"]) if env.get("IVR_CLOCK") else None,
            node_id=env.get("IVR_NODE_ID", "").strip(),
            records_retry_s=_seconds(
                env.get("IVR_RECORDS_RETRY", str(base.records_retry_s)), "IVR_RECORDS_RETRY"
            ),
            campaign_hours=_window(env.get("IVR_CAMPAIGN_HOURS", base.campaign_hours)),
            campaign_channels=_count(
                env.get("IVR_CAMPAIGN_CHANNELS", str(base.campaign_channels)),
                "IVR_CAMPAIGN_CHANNELS",
            ),
            campaign_cps=_seconds(
                env.get("IVR_CAMPAIGN_CPS", str(base.campaign_cps)), "IVR_CAMPAIGN_CPS", "calls"
            ),
            campaign_attempts=_count(
                env.get("IVR_CAMPAIGN_ATTEMPTS", str(base.campaign_attempts)),
                "IVR_CAMPAIGN_ATTEMPTS",
            ),
            campaign_retry_s=_seconds(
                env.get("IVR_CAMPAIGN_RETRY", str(base.campaign_retry_s)), "IVR_CAMPAIGN_RETRY"
            ),
            campaign_token=env.get("IVR_CAMPAIGN_TOKEN", ""),
            lease_ttl_s=_seconds(env.get("IVR_LEASE_TTL", str(base.lease_ttl_s)), "IVR_LEASE_TTL"),
        )


ACCOUNTS = ("local", "http")
SMS_GATEWAYS = ("kannel", "smpp", "none")


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


def _window(value: str) -> str:
    """IVR_CAMPAIGN_HOURS: HH:MM-HH:MM, the start before the end."""
    parse_window(value, "IVR_CAMPAIGN_HOURS")
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


def _seconds(value: str, name: str, unit: str = "seconds") -> float:
    try:
        seconds = float(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number of {unit}, got {value!r}") from exc
    if not seconds > 0:
        raise ValueError(f"{name} must be more than 0 {unit}, got {value}")
    return seconds


def _rate(value: str, name: str) -> float:
    try:
        rate = float(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a speed factor (1 = real time), got {value!r}") from exc
    if not 1.0 <= rate <= MAX_RATE:
        raise ValueError(f"{name} must be between 1 (real time) and {MAX_RATE:g}, got {value}")
    return rate


def _fraction(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}") from exc
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {number}")
    return number
