"""Every setting can come from a file (`NAME_FILE`), so no secret needs to be in the
environment: Docker secrets and Kubernetes Secrets are mounted as files (docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsError

from joint_inspection.settings import InspectionSettings
from xietong_common.settings import ServiceSettings, env_names


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XIETONG_DATABASE_URL", "DATABASE_URL", "XIETONG_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_secret_setting_reads_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIETONG_JWT_SECRET_FILE", str(_file(tmp_path, "jwt", "jwt-value\n")))
    monkeypatch.setenv("XIETONG_KAFKA_SASL_PASSWORD_FILE", str(_file(tmp_path, "k", "kafka-pw")))
    monkeypatch.setenv("XIETONG_DATABASE_PASSWORD_FILE", str(_file(tmp_path, "db", "db-pw\r\n")))
    monkeypatch.setenv("XIETONG_DATABASE_URL", "postgresql+asyncpg://referral_app@db:5432/x")
    settings = ServiceSettings()
    assert settings.jwt_secret is not None
    assert settings.jwt_secret.get_secret_value() == "jwt-value"  # the line break is not part
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == "kafka-pw"
    assert settings.database_url == "postgresql+asyncpg://referral_app:db-pw@db:5432/x"


def test_a_service_s_own_secret_setting_reads_a_file_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XIETONG_JWT_LOCAL_KEY", "false")
    monkeypatch.setenv("XIETONG_INSPECTION_IDENTITY_KEY_FILE", str(_file(tmp_path, "i", "key-1")))
    key = InspectionSettings().inspection_identity_key
    assert key is not None
    assert key.get_secret_value() == "key-1"


def test_any_setting_not_only_secrets_and_aliases_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XIETONG_OUTBOX_BATCH_SIZE_FILE", str(_file(tmp_path, "n", "17")))
    monkeypatch.setenv("DATABASE_URL_FILE", str(_file(tmp_path, "u", "postgresql://a:b@h/d")))
    monkeypatch.setenv("XIETONG_JWT_ALGORITHMS_FILE", str(_file(tmp_path, "alg", '["ES256"]')))
    settings = ServiceSettings()
    assert settings.outbox_batch_size == 17
    assert settings.database_url == "postgresql://a:b@h/d"
    assert settings.jwt_algorithms == ("ES256",)


def test_the_password_file_replaces_a_password_in_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XIETONG_DATABASE_URL", "postgresql+asyncpg://app:old@db:5432/x")
    monkeypatch.setenv("XIETONG_DATABASE_PASSWORD_FILE", str(_file(tmp_path, "p", "n3w/p@ss")))
    url = ServiceSettings().database_url
    assert url == "postgresql+asyncpg://app:n3w%2Fp%40ss@db:5432/x"  # escaped for the URL


def test_value_and_file_both_set_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XIETONG_JWT_SECRET", "in-the-environment")
    monkeypatch.setenv("XIETONG_JWT_SECRET_FILE", str(_file(tmp_path, "jwt", "in-a-file")))
    with pytest.raises(SettingsError, match="XIETONG_JWT_SECRET and XIETONG_JWT_SECRET_FILE"):
        ServiceSettings()


def test_a_missing_file_stops_at_start_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XIETONG_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsError, match="XIETONG_KAFKA_SASL_PASSWORD_FILE: cannot read"):
        ServiceSettings()


def test_settings_that_are_paths_keep_their_meaning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`XIETONG_AUDIT_KEY_FILE` is the setting audit_key_file (a path), not a file holding a
    value of some `XIETONG_AUDIT_KEY` setting: the file is not read here."""
    monkeypatch.setenv("XIETONG_AUDIT_KEY_FILE", str(tmp_path / "not-read.pem"))
    assert ServiceSettings().audit_key_file == tmp_path / "not-read.pem"
    assert "XIETONG_AUDIT_KEY_FILE" in env_names(ServiceSettings)["audit_key_file"]
