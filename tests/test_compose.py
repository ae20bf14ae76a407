"""deploy/docker-compose.yml runs the same system: every service has its database, Kafka,
a healthcheck and its port, and starts only once PostgreSQL and Kafka are healthy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SERVICES = {
    "info-sharing": ("info_sharing", 8001),
    "assistance": ("assistance", 8002),
    "referral": ("referral", 8003),
    "legal-review": ("legal_review", 8004),
    "joint-inspection": ("joint_inspection", 8005),
    "secondment": ("secondment", 8006),
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return data


def test_infrastructure_uses_official_images_with_healthchecks(compose: dict[str, Any]) -> None:
    kafka, postgres = compose["services"]["kafka"], compose["services"]["postgres"]
    assert kafka["image"].startswith("apache/kafka:4")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert postgres["image"].startswith("postgres:")
    assert "healthcheck" in kafka
    assert "healthcheck" in postgres


@pytest.mark.parametrize(("name", "expected"), SERVICES.items())
def test_each_service_has_its_database_kafka_healthcheck_and_port(
    compose: dict[str, Any], name: str, expected: tuple[str, int]
) -> None:
    pkg, port = expected
    svc = compose["services"][name]
    env = svc["environment"]
    assert env["XIETONG_DATABASE_URL"].endswith(f"@postgres:5432/xietong_{pkg}")
    assert env["XIETONG_DATABASE_URL"].startswith(f"postgresql+asyncpg://{pkg}:")
    assert env["XIETONG_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert f"{pkg}.main:app" in svc["command"]
    assert str(port) in svc["command"]
    assert f"{port}:{port}" in svc["ports"]
    assert str(port) in " ".join(svc["healthcheck"]["test"])
    depends = svc["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["kafka"]["condition"] == "service_healthy"


def test_init_script_creates_every_service_database() -> None:
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    for pkg, _ in SERVICES.values():
        assert pkg in script
    assert "CREATE DATABASE xietong_${svc}" in script


def test_one_image_for_all_services(compose: dict[str, Any]) -> None:
    images = {compose["services"][name]["image"] for name in SERVICES}
    assert images == {"xietong:latest"}
    assert (DEPLOY / "Dockerfile").read_text().count("FROM ") == 2  # multi-stage
