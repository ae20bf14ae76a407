"""The workbench's XIETONG_ settings.

The workbench shares the services' token settings (`XIETONG_JWT_*`: the identity provider's
JWKS, issuer, audience, claims; the local development key), their reference data
(`XIETONG_DATA_DIR`: organisation names, the matter catalogue, the holiday schedules) and their
log settings, so one environment configures both. It has no database and no Kafka: the
`XIETONG_DATABASE_URL`/`KAFKA_*` settings it inherits are never read.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import Field, SecretStr, field_validator

from xietong_common.settings import ServiceSettings, project_root

# The seven services the workbench calls (and the notifier to come), at the ports `make run`
# gives them; a deployment names its own (`XIETONG_WORKBENCH_SERVICE_URLS`).
DEFAULT_SERVICE_URLS = {
    "info-sharing": "http://127.0.0.1:8001",
    "assistance": "http://127.0.0.1:8002",
    "referral": "http://127.0.0.1:8003",
    "legal-review": "http://127.0.0.1:8004",
    "joint-inspection": "http://127.0.0.1:8005",
    "secondment": "http://127.0.0.1:8006",
    "oversight": "http://127.0.0.1:8007",
    "notifier": "http://127.0.0.1:8008",
}


class WorkbenchSettings(ServiceSettings):
    """工作台 settings. Env prefix `XIETONG_`."""

    service_name: str = "workbench"
    workbench_port: int = Field(default=8000, ge=1, le=65535, description="`make run`'s port")
    workbench_service_urls: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_SERVICE_URLS),
        description='base URL of each service, as JSON (`{"referral": "http://referral:8000"}`)'
        "; services not named keep their `make run` URL",
    )
    workbench_public_url: str | None = Field(
        default=None,
        description="the workbench's own URL as browsers reach it (behind a proxy); the OIDC "
        "redirect URI is built from it. Unset: from the request",
    )
    workbench_session_secret: SecretStr | None = Field(
        default=None,
        description="key that signs the session cookie (32+ random bytes); unset, a key is "
        "generated in .local/ when the local development key is allowed, else the workbench "
        "refuses to start",
    )
    workbench_session_max_age_s: int = Field(
        default=8 * 3600, ge=60, description="a sign-in lasts at most this long"
    )
    workbench_cookie_secure: bool = Field(
        default=True,
        description="session cookie only over HTTPS (`__Host-` name); false only for plain-HTTP "
        "development on 127.0.0.1 (`make run` sets it so)",
    )
    workbench_oidc_discovery_url: str | None = Field(
        default=None,
        description="the identity provider's OpenID configuration "
        "(`…/.well-known/openid-configuration`); set, staff sign in there (authorization code "
        "+ PKCE) and the local sign-in page is off",
    )
    workbench_oidc_client_id: str | None = None
    workbench_oidc_client_secret: SecretStr | None = Field(
        default=None, description="unset for a public client (PKCE alone)"
    )
    workbench_oidc_scopes: str = "openid profile"
    workbench_api_timeout_s: float = Field(
        default=30.0, gt=0, description="how long a page waits for a service's answer"
    )

    @field_validator("workbench_service_urls", mode="before")
    @classmethod
    def _known_services(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        unknown = sorted(set(value) - set(DEFAULT_SERVICE_URLS))
        if unknown:
            raise ValueError(f"unknown services {unknown}; known: {sorted(DEFAULT_SERVICE_URLS)}")
        merged = {**DEFAULT_SERVICE_URLS, **{k: str(v) for k, v in value.items()}}
        for name, url in merged.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{name}: {url!r} is not an http(s) URL")
        return {name: url.rstrip("/") for name, url in merged.items()}

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.workbench_oidc_discovery_url and self.workbench_oidc_client_id)

    @property
    def local_sign_in(self) -> bool:
        """The development sign-in page: only with the local key allowed, no identity provider
        (no JWKS the services would check tokens against) and no OIDC client configured —
        exactly when `xietong token` mints tokens the services accept."""
        return self.jwt_local_key and not self.jwt_jwks_url and not self.oidc_enabled

    @property
    def session_cookie(self) -> str:
        # `__Host-`: the browser keeps it only if Secure, Path=/ and no Domain.
        return "__Host-xietong-session" if self.workbench_cookie_secure else "xietong-session"


def session_secret(settings: WorkbenchSettings) -> str:
    """The session-signing key: the setting, else (development only) one generated once under
    .local/, like the services' local JWT key."""
    if settings.workbench_session_secret is not None:
        value = settings.workbench_session_secret.get_secret_value()
        if len(value) < 32:
            raise ValueError("XIETONG_WORKBENCH_SESSION_SECRET must be at least 32 characters")
        return value
    if not settings.jwt_local_key:
        raise ValueError(
            "no session key: set XIETONG_WORKBENCH_SESSION_SECRET (32+ random characters)"
        )
    path = project_root() / ".local" / "workbench-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            tmp.rename(path) if not path.exists() else tmp.unlink()
        except FileExistsError:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()
