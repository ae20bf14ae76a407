"""Settings of the notifier service (env prefix `XIETONG_`), beside the shared ones.

The notice says nothing of webhooks; every number here is an operating choice with a
default that keeps a receiver's outage of a day from losing a message (issue 24: retried
for at least 24 hours, then dead-lettered).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache

from pydantic import Field, SecretStr, model_validator

from notifier.domain.sealing import MIN_KEY_CHARS, derive_key
from xietong_common.context import ServiceContext, settings_of
from xietong_common.settings import ServiceSettings, project_root

LOCAL_KEY_FILE = "notifier-secrets.key"


class NotifierSettings(ServiceSettings):
    """Webhook delivery: targets, retries, limits."""

    notifier_allow_http: bool = Field(
        default=False,
        description="accept `http://` webhook URLs (local development only): deliveries then "
        "travel unencrypted; production keeps `https://` only",
    )
    notifier_allowed_private_hosts: list[str] = Field(
        default_factory=list,
        description="host names or addresses exempt from the refusal of private, loopback and "
        "link-local targets (an operator's named internal receiver; the tests' 127.0.0.1). "
        "Compared with the URL's host exactly; empty: every target must resolve to public "
        "addresses only",
    )
    notifier_delivery_every_s: float = Field(
        default=2.0, gt=0, description="seconds between runs of the delivery job"
    )
    notifier_delivery_batch: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="deliveries sent per run at most (at most one per subscription per run, so "
        "a slow or dead receiver never holds back another's)",
    )
    notifier_delivery_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="seconds a receiver has to answer one POST (connect, send, read) before "
        "the attempt counts as failed",
    )
    notifier_max_attempts: int = Field(
        default=22,
        ge=1,
        le=100,
        description="attempts before a delivery is dead (with the default backoff, 22 attempts "
        "span about 27 hours: issue 24 asks for at least 24)",
    )
    notifier_backoff_initial_s: float = Field(
        default=10.0,
        ge=0,
        description="wait after the first failed attempt; doubled after each further failure",
    )
    notifier_backoff_max_s: float = Field(
        default=7200.0, ge=0, description="the longest wait between two attempts"
    )
    notifier_max_response_bytes: int = Field(
        default=4096,
        ge=0,
        le=1_048_576,
        description="bytes of a receiver's answer kept with a failed attempt (the rest is "
        "never read)",
    )
    notifier_secrets_key: SecretStr | None = Field(
        default=None,
        description="key material (32+ random characters) the subscriptions' signing secrets "
        "are sealed with at rest (AES-256-GCM, key derived by HKDF-SHA256); give it as a file, "
        "XIETONG_NOTIFIER_SECRETS_KEY_FILE. Unset: a key generated once in "
        ".local/notifier-secrets.key where the local development key is allowed, else the "
        "notifier refuses to start. Never change it: sealed secrets no longer open",
    )
    notifier_secret_overlap_h: float = Field(
        default=24.0,
        ge=0,
        le=24 * 30,
        description="hours after a secret's rotation during which deliveries are signed with "
        "the new and the previous secret (two `v1,` signatures), so a receiver can switch at "
        "its own pace; then with the new one only. 0: at once",
    )

    workbench_public_url: str = Field(
        default="",
        pattern=r"^(https?://[^\s?#]+)?$",
        description="the staff workbench's address as staff reach it (the same variable the "
        "workbench reads, XIETONG_WORKBENCH_PUBLIC_URL): robot and SMS messages link to the "
        "record's page there (`…/referrals/<id>`). Empty: no link",
    )

    @model_validator(mode="after")
    def _secrets_key_in_deployments(self) -> NotifierSettings:
        key = self.notifier_secrets_key
        if key is not None and len(key.get_secret_value()) < MIN_KEY_CHARS:
            raise ValueError(f"XIETONG_NOTIFIER_SECRETS_KEY: at least {MIN_KEY_CHARS} characters")
        if key is None and not self.jwt_local_key:
            raise ValueError("set XIETONG_NOTIFIER_SECRETS_KEY (a deployment needs its own)")
        return self


def secrets_key(settings: NotifierSettings) -> bytes:
    """The key that seals signing secrets: from the setting, else (development and tests)
    from .local/notifier-secrets.key, made once like the services' local JWT key."""
    if settings.notifier_secrets_key is not None:
        return _derived(settings.notifier_secrets_key.get_secret_value())
    path = project_root() / ".local" / LOCAL_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        # A hard link never replaces a file: two processes starting at once keep one key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink(missing_ok=True)
    return _derived(path.read_text().strip())


@lru_cache(maxsize=4)
def _derived(material: str) -> bytes:
    return derive_key(material)


def notifier_settings(ctx: ServiceContext) -> NotifierSettings:
    """The notifier service's settings (SPEC.settings_class)."""
    return settings_of(ctx, NotifierSettings)
