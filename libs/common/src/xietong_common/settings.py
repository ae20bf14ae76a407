"""Service settings, read from environment variables (pydantic-settings).

Every setting can also be given as a file: `NAME_FILE=/run/secrets/x` sets `NAME` to the
file's content (without a trailing line break), the convention of Docker secrets and of
Kubernetes Secrets mounted as files, so no password needs to be in the environment. Setting
both `NAME` and `NAME_FILE` is refused, as is a file that cannot be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from sqlalchemy.engine import make_url

FILE_SUFFIX = "_FILE"

# The outbox relay's linger (`outbox_linger_ms`). 10 ms: a pass costs the service ~1 ms of
# CPU (three round trips, a produce request and its acknowledgement), so with a create every
# 3–4 ms (one client) a pass each was a third of a create's CPU; passes 10 ms apart carry two
# or three events. Below 100 events a second an event never waits for it (docs/performance.md).
OUTBOX_LINGER_MS = 10.0

# How far the linger stretches once events come 1.5 a linger or faster (`outbox_linger_max_ms`):
# at n events a linger, n lingers, up to this. 50 ms: at 300 events a
# second (one client creating back to back) passes carry ~9 events, not 3 — ~10% of a create's
# CPU — while an event still waits at most 50 ms more, and only under that load.
OUTBOX_LINGER_MAX_MS = 50.0


def project_root() -> Path:
    """The checkout's root: the nearest parent holding uv.lock, else the working directory."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "uv.lock").exists():
            return parent
    return Path.cwd()


def env_names(settings_cls: type[BaseSettings]) -> dict[str, tuple[str, ...]]:
    """Field -> the environment variables that set it (upper case): `XIETONG_<NAME>`, or the
    field's alias choices (`XIETONG_DATABASE_URL`, `DATABASE_URL`)."""
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    names: dict[str, tuple[str, ...]] = {}
    for name, field in settings_cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names[name] = tuple(str(c).upper() for c in alias.choices)
        elif isinstance(alias, str):
            names[name] = (alias.upper(),)
        else:
            names[name] = (f"{prefix}{name}".upper(),)
    return names


class EnvWithFilesSource(EnvSettingsSource):
    """The environment, where `NAME_FILE` names a file holding the value of `NAME` (for every
    variable a setting reads: passwords, the JWT secret, keys, URLs alike)."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        env = dict(super()._load_env_vars())
        known = {n for names in env_names(self.settings_cls).values() for n in names}
        if not self.case_sensitive:
            known = {n.lower() for n in known}
        suffix = FILE_SUFFIX if self.case_sensitive else FILE_SUFFIX.lower()
        for key, path in list(env.items()):
            base = key.removesuffix(suffix)
            if base == key or base not in known or path is None:
                continue
            shown = f"{base.upper()}{FILE_SUFFIX}"
            if env.get(base):
                raise SettingsError(
                    f"{base.upper()} and {shown} are both set: give the value one way"
                )
            try:
                value = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise SettingsError(f"{shown}: cannot read {path}: {exc}") from None
            env[base] = value.rstrip("\r\n")
        return env


class ServiceSettings(BaseSettings):
    """Settings every xietong service shares. Env prefix `XIETONG_`; any of them may be given
    as a file with `<VARIABLE>_FILE` (module docstring)."""

    model_config = SettingsConfigDict(env_prefix="XIETONG_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            EnvWithFilesSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    service_name: str = "xietong"
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
        validation_alias=AliasChoices("XIETONG_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL of this service's own database (asyncpg driver).",
    )
    database_password: SecretStr | None = Field(
        default=None,
        description="the password of database_url's role, when the URL carries none (give it "
        "as a file: XIETONG_DATABASE_PASSWORD_FILE); it replaces a password in the URL",
    )
    database_pool_size: int = 10
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("XIETONG_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    kafka_namespace: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9._-]{0,100}$",
        description="prefix of every topic and consumer group this deployment uses on Kafka "
        "(e.g. `staging.`), so deployments sharing a broker never read each other's events; "
        "empty: the plain topic names of docs/events.md",
    )
    deployment_id: str = Field(
        default="default",
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="names this deployment (production, staging, …), set once per environment "
        "and never changed: every signed audit checkpoint carries it, and `xietong audit "
        "verify` judges a database only against checkpoints of its own deployment",
    )
    kafka_topic_partitions: int = 3
    kafka_replication_factor: int = 1
    migrate_on_start: bool = True
    run_relay: bool = True
    run_consumer: bool = True
    run_jobs: bool = True

    outbox_batch_size: int = 200
    outbox_poll_interval_s: float = 1.0
    outbox_linger_ms: float = Field(
        default=OUTBOX_LINGER_MS,
        ge=0,
        le=1000,
        description="the relay starts a pass at most once per this many milliseconds while "
        "events keep coming (a full batch goes at once): commits close together travel in one "
        "pass (Kafka's producer's `linger.ms`). An event waits only when events come faster "
        "than one per linger, and then at most this long (up to `outbox_linger_max_ms` as "
        "they come faster); 0 gives each commit a pass of its own",
    )
    outbox_linger_max_ms: float = Field(
        default=OUTBOX_LINGER_MAX_MS,
        ge=0,
        le=1000,
        description="once events come one and a half per `outbox_linger_ms` or faster, the "
        "linger grows with their rate — at n events a linger, n lingers — up to this many "
        "milliseconds: a "
        "busy service's relay makes fewer, fuller passes, a quiet one's events go as soon as "
        "before. Never below `outbox_linger_ms`; equal to it for a fixed linger",
    )
    outbox_retention_days: float = Field(
        default=7,
        description="published outbox rows are kept this long (for inspection), then deleted",
    )
    inbox_retention_days: float = Field(
        default=30,
        description="handled event ids are kept this long; keep it above Kafka's retention so a "
        "redelivered event is still recognised",
    )
    deadline_sweep_every_s: float = Field(
        default=60.0,
        gt=0,
        description="how often the deadline sweep runs: newly installed holiday schedules, "
        "provisional deadlines made final, deadlines passed with nothing done (SUP-02)",
    )
    deadline_reminder_leads: tuple[str, ...] = Field(
        default=("2 working days", "4 hours"),
        description="issue 24: how long before a deadline `deadline.approaching` is published, "
        "once per lead time (`N working days` on the holiday calendar with 调休, `N hours` of "
        "clock time; a JSON list in the environment); for deadlines of more than "
        "deadline_reminder_short_hours",
    )
    deadline_reminder_leads_short: tuple[str, ...] = Field(
        default=("4 hours", "1 hour"),
        description="the lead times of deadlines counted in clock hours, at most "
        "deadline_reminder_short_hours long (a 24-hour deadline: 4 hours and 1 hour before)",
    )
    deadline_reminder_short_hours: int = Field(
        default=24,
        ge=1,
        description="a deadline of at most this many clock hours gets the short lead times",
    )
    calendar_watch_from: str = Field(
        default="12-01",
        pattern=r"^\d{2}-\d{2}$",
        description="MM-DD from which /readyz warns (and xietong_calendar_next_year_missing is "
        "1) while next year's holiday schedule is not installed: from then on deadlines reach "
        "into that year, are provisional and count in no breach until it is (RULES.md)",
    )
    accountability_retention_days: int = Field(
        default=400,
        description="SUP-01/02: the accountability topics (docs/events.md: deadline facts, "
        "refusals, flags) keep their events at least this many days, enough to rebuild a "
        "year's assessment from the broker; -1 keeps them for ever. Applied when a service "
        "starts: to topics it creates, and to existing ones whose retention is shorter "
        "(never shortened)",
    )
    housekeeping_every_s: float = Field(
        default=3600.0, gt=0, description="how often old outbox rows and inbox ids are deleted"
    )
    dlq_observe_every_s: float = Field(
        default=60.0,
        gt=0,
        description="how often the dead letters not yet re-driven are counted "
        "(xietong_dlq_messages)",
    )

    @field_validator("deadline_reminder_leads", "deadline_reminder_leads_short", mode="before")
    @classmethod
    def _leads(cls, value: object) -> tuple[str, ...]:
        from xietong_common.leads import parse_leads

        return tuple(lead.text for lead in parse_leads(value))

    @field_validator("calendar_watch_from")
    @classmethod
    def _month_day(cls, value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        date(2024, month, day)  # a leap year: 02-29 is a day; 02-30 raises
        return value

    @field_validator("accountability_retention_days")
    @classmethod
    def _at_least_400_days(cls, value: int) -> int:
        if value != -1 and value < 400:
            raise ValueError("accountability topics keep their events at least 400 days (or -1)")
        return value

    inbox_max_attempts: int = 5
    inbox_batch_size: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="events of one partition handled in one transaction, in order (1: each in "
        "its own); a batch that fails is handled again one event at a time",
    )
    inbox_backoff_initial_s: float = 0.2
    inbox_backoff_max_s: float = 5.0

    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 key; when unset, .local/jwt.key is used (created on demand).",
    )
    jwt_jwks_url: str | None = Field(
        default=None,
        description="production: the identity provider's JWKS URL; tokens are then verified with "
        "its keys (jwt_algorithms) and HS256 tokens are refused",
    )
    jwt_jwks_cache_s: float = Field(default=600, gt=0, description="how long its keys are cached")
    jwt_algorithms: tuple[str, ...] = Field(
        default=("RS256", "ES256"), description="algorithms accepted from the identity provider"
    )
    jwt_issuer: str = "xietong"
    jwt_audience: str = "xietong"
    jwt_user_claim: str = Field(default="sub", description="claim (dotted path) naming the person")
    jwt_org_claim: str = Field(
        default="org", description="claim (dotted path) carrying the organisation code"
    )
    jwt_roles_claim: str = Field(
        default="roles",
        description="claim (dotted path, e.g. realm_access.roles) carrying the roles: a list or "
        "a space-separated string",
    )
    jwt_local_key: bool = Field(
        default=True,
        description="development: without a secret or JWKS, use a key generated in .local/; "
        "deployments set it to false, so a missing key stops the service at start",
    )

    max_request_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="largest request body other than a file upload (JSON); larger is a 413",
    )
    http_max_head_bytes: int = Field(
        default=64 * 1024,
        ge=8 * 1024,
        description="largest request line plus headers the server reads; past it the answer is "
        "414 (the URL) or 431 (the headers), problem+json",
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="largest multipart upload (a case material); counted while it streams in",
    )
    file_worker_processes: int = Field(
        default=2,
        ge=1,
        le=32,
        description="files read at once in worker processes (spreadsheets, PDF, documents); "
        "more wait their turn without blocking the service",
    )
    file_worker_seconds: float = Field(
        default=60.0,
        gt=0,
        description="wall-clock budget of one uploaded file's inspection (its type, whether it "
        "is whole, its text): past it the worker is killed and the file refused (422)",
    )
    file_worker_memory_mb: int = Field(
        default=1024,
        ge=256,
        description="memory (address space) a worker process reading one file may use; past "
        "it the file is refused (422)",
    )
    import_worker_seconds: float = Field(
        default=600.0,
        gt=0,
        description="wall-clock budget of reading and validating one imported table",
    )
    import_sync_max_bytes: int = Field(
        default=256 * 1024,
        ge=0,
        description="an import file up to this size is answered in the request (201/200/422); "
        "a larger one, or any with `Prefer: respond-async`, becomes an import job (202)",
    )
    import_job_stale_s: float = Field(
        default=120.0,
        gt=0,
        description="an import job whose process has not reported for this long (it died or "
        "was restarted) is marked failed",
    )
    idempotency_retention_days: float = Field(
        default=7, gt=0, description="how long an Idempotency-Key is remembered"
    )

    data_dir: Path = Field(default_factory=lambda: project_root() / "data")
    blob_dir: Path = Field(default_factory=lambda: project_root() / ".local" / "blobs")
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector (e.g. http://otel-collector:4318) to send traces to; "
        "unset, no trace leaves the process",
    )
    otel_traces_sample_ratio: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="the share of new traces whose spans are recorded (a request whose caller "
        "sampled its trace follows the caller); default: 1 when traces are exported "
        "(otel_exporter_otlp_endpoint), else 0 — spans nobody receives are not made. Trace "
        "ids flow either way (logs, events)",
    )
    tracing: bool = Field(
        default=True,
        description="false: no tracing instrumentation at all (HTTP, database, Kafka hops); "
        "requests still get a trace id for their logs and events",
    )
    log_level: str = "INFO"
    log_json: bool = True
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="serve /metrics on this port of its own (`xietong serve`; the containers "
        "use 9100) and no longer on the API's port, so a reverse proxy or a published port "
        "never exposes it; unset: /metrics is a route of the API",
    )

    kafka_security_protocol: str = Field(
        default="PLAINTEXT",
        description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL "
        "(docker compose: SASL_PLAINTEXT on the internal listener)",
    )
    kafka_sasl_mechanism: str = Field(
        default="SCRAM-SHA-512", description="SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN"
    )
    kafka_sasl_username: str | None = Field(
        default=None, description="this service's Kafka principal (SASL protocols)"
    )
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        description="CA bundle (PEM) the broker's certificate is checked against (SSL "
        "protocols); default: the system's trusted CAs",
    )

    # An audit trail an outsider can check (docs/audit.md).
    audit_hash_algorithm: Literal["sha256", "sm3"] = Field(
        default="sha256",
        description="hash function that chains new audit rows: sha256, or sm3 (GB/T 32905) "
        "for a site under 商用密码 assessment; each row records its own, so a change applies "
        "from the next row and earlier rows still verify",
    )
    audit_signature_algorithm: Literal["ed25519", "sm2"] = Field(
        default="ed25519",
        description="how the service signs its chain head: ed25519, or sm2 (GB/T 32918, with "
        "SM3 and the default signer id) for a site under 商用密码 assessment",
    )
    audit_key_file: Path | None = Field(
        default=None,
        description="this service's checkpoint signing key (PEM, unencrypted PKCS#8, mode "
        "0600); default: <audit_key_dir>/<service>.<algorithm>.pem",
    )
    audit_key_dir: Path = Field(
        default_factory=lambda: project_root() / ".local" / "audit-keys",
        description="where a signing key is generated when audit_key_file is not set",
    )
    audit_key_generate: bool = Field(
        default=True,
        description="generate the signing key on first use when its file does not exist "
        "(development, or a deployment that keeps audit_key_dir on a volume); false: a "
        "missing key stops the service at start",
    )
    audit_trusted_keys_file: Path | None = Field(
        default=None,
        description="PEM public keys of this service's earlier (rotated) signing keys, so the "
        "checkpoints they signed still verify; default: <audit_key_dir>/<service>.trusted.pem "
        "if it exists",
    )
    audit_verify_every_s: float = Field(
        default=3600.0,
        gt=0,
        description="how often the service verifies its own audit chain against the newest "
        "checkpoints it recorded (xietong_audit_chain_verified; `xietong audit verify` checks "
        "every source)",
    )
    audit_checkpoint_every_s: float = Field(
        default=600.0,
        gt=0,
        description="how often the chain head is signed and published to audit.checkpoint "
        "(only when it moved): the newest rows an intruder could remove undetected",
    )

    @model_validator(mode="after")
    def _password_into_url(self) -> ServiceSettings:
        # The URL as every consumer of database_url reads it (the engine, the relay's LISTEN
        # connection, alembic), with the password that came apart from it.
        if self.database_password is not None:
            url = make_url(self.database_url).set(
                password=self.database_password.get_secret_value()
            )
            self.database_url = url.render_as_string(hide_password=False)
        return self
