"""client_options: the aiokafka keyword arguments for a service's Kafka security settings."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from xietong_common.events.kafka_security import client_options
from xietong_common.settings import ServiceSettings


def _settings(**values: object) -> ServiceSettings:
    return ServiceSettings(**values)  # type: ignore[arg-type]


def test_plaintext_by_default() -> None:
    assert client_options(_settings()) == {"security_protocol": "PLAINTEXT"}


def test_sasl_scram_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIETONG_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("XIETONG_KAFKA_SASL_USERNAME", "referral")
    monkeypatch.setenv("XIETONG_KAFKA_SASL_PASSWORD", "s3cret-s3cret-s3cret")
    options = client_options(ServiceSettings())
    assert options == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "referral",
        "sasl_plain_password": "s3cret-s3cret-s3cret",
    }
    assert "s3cret" not in repr(ServiceSettings())  # the password stays a SecretStr


def test_sasl_ssl_builds_a_context_that_verifies_the_broker(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=test-ca",
            "-keyout",
            str(tmp_path / "ca.key"),
            "-out",
            str(ca),
            "-days",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    options = client_options(
        _settings(
            kafka_security_protocol="sasl_ssl",
            kafka_sasl_mechanism="scram-sha-256",
            kafka_sasl_username="integrator",
            kafka_sasl_password="pw-pw-pw-pw-pw-pw",
            kafka_ssl_cafile=ca,
        )
    )
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert any(c["subject"] == ((("commonName", "test-ca"),),) for c in context.get_ca_certs())


def test_ssl_without_a_ca_file_uses_the_system_cas() -> None:
    options = client_options(_settings(kafka_security_protocol="SSL"))
    assert options["security_protocol"] == "SSL"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "sasl_mechanism" not in options


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kafka_security_protocol": "TLS"}, "XIETONG_KAFKA_SECURITY_PROTOCOL"),
        ({"kafka_security_protocol": "SASL_PLAINTEXT"}, "XIETONG_KAFKA_SASL_USERNAME"),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_mechanism": "GSSAPI",
                "kafka_sasl_username": "a",
                "kafka_sasl_password": "b",
            },
            "XIETONG_KAFKA_SASL_MECHANISM",
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/nonexistent/ca.pem"},
            "no such file",
        ),
        ({"kafka_ssl_cafile": "/etc/hostname"}, "uses no TLS"),
    ],
)
def test_settings_that_cannot_work_fail_early(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        client_options(_settings(**values))


@pytest.mark.parametrize("client", [AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient])
async def test_every_aiokafka_client_accepts_the_options(client: type) -> None:
    options = client_options(
        _settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_username="referral",
            kafka_sasl_password="pw-pw-pw-pw-pw-pw",
        )
    )
    instance = client(bootstrap_servers="127.0.0.1:1", **options)  # constructs, connects not
    if isinstance(instance, AIOKafkaAdminClient):
        await instance.close()
    else:
        await instance.stop()
