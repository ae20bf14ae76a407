"""deploy/docker-compose.yml runs the same system: every service has its database, Kafka,
a healthcheck and its port, and starts only once PostgreSQL and Kafka are healthy.

Without a Docker engine, the file is also checked as compose would load it: against the
Compose Specification's JSON schema (vendored in deploy/schema/), every setting a
service reads set or defaulted, every required secret documented in deploy/.env.example,
volumes and healthchecks present, and the Kafka and reference-data set-up consistent.
(tests/test_compose_kafka.py runs the compose file's Kafka for real.)"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import AliasChoices

from xietong_common.settings import ServiceSettings
from xietong_devtools.deploy import (
    MissingVariable,
    compose_variables,
    interpolate,
    password_variable,
)

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SERVICES = {
    "info-sharing": ("info_sharing", 8001),
    "assistance": ("assistance", 8002),
    "referral": ("referral", 8003),
    "legal-review": ("legal_review", 8004),
    "joint-inspection": ("joint_inspection", 8005),
    "secondment": ("secondment", 8006),
    "oversight": ("oversight", 8007),
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


# ---- the compose file is valid and self-consistent (no Docker engine needed) -------------

ROOT = DEPLOY.parent
COMPOSE_TEXT = (DEPLOY / "docker-compose.yml").read_text()
REQUIRED = sorted(k for k, (op, _) in compose_variables(COMPOSE_TEXT).items() if op == ":?")
# Settings whose defaults fit only a checkout and the local stack (`project_root()`, a
# broker on 127.0.0.1, an unauthenticated client): a container must be given them.
DEPLOYMENT_SETTINGS = (
    "service_name",
    "database_url",
    "kafka_bootstrap_servers",
    "kafka_security_protocol",
    "kafka_sasl_username",
    "kafka_sasl_password",
    "jwt_secret",
    "data_dir",
    "blob_dir",
)
# XIETONG_* variables that are not settings: read by `xietong serve`, or passed to the
# postgres / kafka-init containers to create the services' accounts.
NOT_SETTINGS = {"XIETONG_DATA_SEED_DIR"}


def _sample_env() -> dict[str, str]:
    return {name: f"sample-{name.lower().replace('_', '-')}" for name in REQUIRED}


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    """The compose model as compose sees it: interpolated, YAML merge keys resolved."""
    data: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE_TEXT, _sample_env()))
    return data


def _env_names(cls: type[ServiceSettings]) -> dict[str, tuple[str, ...]]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: dict[str, tuple[str, ...]] = {}
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names[name] = tuple(str(c) for c in alias.choices)
        elif isinstance(alias, str):
            names[name] = (alias,)
        else:
            names[name] = (f"{prefix}{name}".upper(),)
    return names


def _settings_class(pkg: str) -> type[ServiceSettings]:
    cls: type[ServiceSettings] = importlib.import_module(f"{pkg}.main").SPEC.settings_class
    return cls


def test_compose_file_matches_the_compose_specification(rendered: dict[str, Any]) -> None:
    schema = json.loads((DEPLOY / "schema" / "compose-spec.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(rendered)]
    assert errors == []
    # …and the schema does catch mistakes, so the check above means something.
    broken = json.loads(json.dumps(rendered))
    broken["services"]["referral"]["depends_onn"] = {}
    broken["services"]["referral"]["ports"] = "8003:8003"  # must be a list
    assert len(list(validator.iter_errors(broken))) >= 2


@pytest.mark.parametrize(("name", "expected"), SERVICES.items())
def test_every_setting_a_service_reads_is_set_or_has_a_default(
    rendered: dict[str, Any], name: str, expected: tuple[str, int]
) -> None:
    pkg, _ = expected
    cls = _settings_class(pkg)
    env = rendered["services"][name]["environment"]
    names = _env_names(cls)
    for field, field_info in cls.model_fields.items():
        is_set = any(n in env for n in names[field])
        assert is_set or not field_info.is_required(), f"{name}: {names[field][0]} is required"
        if field in DEPLOYMENT_SETTINGS:
            assert is_set, f"{name}: set {names[field][0]} (its default fits only a checkout)"
    known = {n for choices in names.values() for n in choices} | NOT_SETTINGS
    unknown = sorted(k for k in env if k.startswith("XIETONG_") and k not in known)
    assert unknown == [], f"{name}: no setting reads {unknown}"


def test_compose_refuses_to_start_without_any_secret() -> None:
    assert REQUIRED, "the secrets are required (${VAR:?message})"
    for name in REQUIRED:
        env = {k: v for k, v in _sample_env().items() if k != name}
        with pytest.raises(MissingVariable, match=name):
            interpolate(COMPOSE_TEXT, env)
    assert "change-me" not in COMPOSE_TEXT
    variables = compose_variables(COMPOSE_TEXT)
    for name, (op, default) in variables.items():
        if name in ONE_OF_TOKEN_KEYS:
            # The HS256 secret or the identity provider's JWKS: neither has a value here, and
            # a service given neither stops at start (no development key in a deployment).
            assert (op, default) == (":-", ""), f"{name} has a default ({op}{default})"
            assert 'XIETONG_JWT_LOCAL_KEY: "false"' in COMPOSE_TEXT
        elif re.search("PASSWORD|SECRET", name):
            assert op == ":?", f"{name} must be required, not defaulted ({op})"


ONE_OF_TOKEN_KEYS = {"XIETONG_JWT_SECRET"}


def test_every_required_variable_is_documented_in_env_example() -> None:
    example = (DEPLOY / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert set(REQUIRED) <= documented, sorted(set(REQUIRED) - documented)
    assert documented <= set(compose_variables(COMPOSE_TEXT)), "documented but unused"
    for name in REQUIRED:  # no sample value that could end up in production
        assert re.search(rf"^{name}=$", example, flags=re.MULTILINE), name


def test_new_env_fills_every_required_secret(tmp_path: Path) -> None:
    out = subprocess.run(
        ["bash", str(DEPLOY / "new-env.sh")], capture_output=True, text=True, check=True
    ).stdout
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", out, flags=re.MULTILINE))
    for name in REQUIRED:
        assert re.fullmatch(r"[0-9a-f]{48}", values[name]), name
    assert len({values[n] for n in REQUIRED}) == len(REQUIRED)
    interpolate(COMPOSE_TEXT, values)  # nothing missing


def test_volumes_and_bind_mounts_exist(rendered: dict[str, Any]) -> None:
    declared = set(rendered.get("volumes", {}))
    used: set[str] = set()
    for name, svc in rendered["services"].items():
        for mount in svc.get("volumes", []):
            source = mount.split(":")[0] if isinstance(mount, str) else mount["source"]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert used == declared, f"declared but unused: {declared - used}"


def test_every_long_running_service_has_a_healthcheck(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    for name, svc in services.items():
        one_shot = svc.get("restart") == "no"
        assert one_shot or "healthcheck" in svc, f"{name} has no healthcheck"
        for target, dep in svc.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if dep["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health"
            if dep["condition"] == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is not one-shot"
        mode = svc.get("network_mode", "")
        if mode.startswith("service:"):
            assert mode.removeprefix("service:") in svc["depends_on"]


@pytest.mark.parametrize(("name", "expected"), SERVICES.items())
def test_each_service_has_its_own_database_password_and_kafka_user(
    rendered: dict[str, Any], name: str, expected: tuple[str, int]
) -> None:
    pkg, _ = expected
    raw: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
    env = raw["services"][name]["environment"]
    db_var = f"XIETONG_DB_PASSWORD_{pkg.upper()}"
    assert f"${{{db_var}:?" in env["XIETONG_DATABASE_URL"]
    assert db_var in raw["services"]["postgres"]["environment"]
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    assert "XIETONG_DB_PASSWORD_${svc^^}" in script
    # Its Kafka principal is its name, which is also its consumer group (the ACLs' group).
    assert env["XIETONG_SERVICE_NAME"] == name
    assert env["XIETONG_KAFKA_SASL_USERNAME"] == name
    kafka_var = password_variable(name)
    assert env["XIETONG_KAFKA_SASL_PASSWORD"].startswith(f"${{{kafka_var}:?")
    assert kafka_var in raw["services"]["kafka-init"]["environment"]
    rendered_env = rendered["services"][name]["environment"]
    assert rendered_env["XIETONG_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert rendered_env["XIETONG_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"


def test_database_passwords_differ_per_service() -> None:
    raw: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
    urls = [raw["services"][n]["environment"]["XIETONG_DATABASE_URL"] for n in SERVICES]
    variables = {re.search(r"\$\{(\w+):\?", u).group(1) for u in urls}  # type: ignore[union-attr]
    assert len(variables) == len(SERVICES)


def test_kafka_keeps_its_data_in_its_volume(rendered: dict[str, Any]) -> None:
    kafka = rendered["services"]["kafka"]
    log_dirs = kafka["environment"]["KAFKA_LOG_DIRS"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in kafka["volumes"]}
    assert mounts[log_dirs] == "kafkadata"  # not the image's /tmp/kraft-combined-logs


def test_kafka_listeners_authenticate_everyone_but_loopback(rendered: dict[str, Any]) -> None:
    env = rendered["services"]["kafka"]["environment"]
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    for name, address in listeners.items():
        if protocols[name] == "PLAINTEXT":  # principal ANONYMOUS, the super user: loopback only
            assert address.startswith("127.0.0.1:"), name
        else:
            assert protocols[name].startswith("SASL_"), name
    assert env["KAFKA_SUPER_USERS"] == "User:ANONYMOUS"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert "9094:9094" in rendered["services"]["kafka"]["ports"]  # integrators, from outside
    assert "EXTERNAL://localhost:9094" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "INTERNAL://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]


@pytest.mark.parametrize("tls", [False, True])
def test_kafka_start_script_uses_tls_for_integrators_when_a_certificate_is_given(
    tmp_path: Path, tls: bool
) -> None:
    show = tmp_path / "show-env"
    show.write_text("#!/usr/bin/env bash\nenv | grep '^KAFKA_' | sort\n")
    show.chmod(0o755)
    if tls:
        (tmp_path / "server.pem").write_text("key and certificate")
    out = subprocess.run(
        ["bash", str(DEPLOY / "kafka" / "start.sh")],
        env={
            "PATH": "/usr/bin:/bin",
            "XIETONG_KAFKA_TLS_DIR": str(tmp_path),
            "XIETONG_KAFKA_RUN": str(show),
            "KAFKA_ADVERTISED_LISTENERS": "INTERNAL://kafka:9092,EXTERNAL://example:9094",
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = "SASL_SSL" if tls else "SASL_PLAINTEXT"
    assert f"EXTERNAL:{expected}" in out
    assert "INTERNAL:SASL_PLAINTEXT" in out
    assert ("KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_TYPE=PEM" in out) is tls
    assert f"EXTERNAL listener (integrators) is {expected} on example:9094" in out


def test_reference_data_is_one_writable_volume_shared_by_all_services(
    rendered: dict[str, Any],
) -> None:
    for name in SERVICES:
        svc = rendered["services"][name]
        mounts = {m.split(":")[1]: m.split(":")[0] for m in svc["volumes"]}
        data_dir = svc["environment"]["XIETONG_DATA_DIR"]
        assert mounts[data_dir] == "reference-data", name
        assert svc["environment"]["XIETONG_DATA_SEED_DIR"] == "/app/data"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY data ./data" in dockerfile  # the seed, in /app/data
    assert "/var/lib/xietong/data" in dockerfile  # created owned by the service user
    assert "chown -R xietong:xietong /var/lib/xietong" in dockerfile


@pytest.mark.parametrize("name", SERVICES)
def test_services_log_json_from_the_first_line(rendered: dict[str, Any], name: str) -> None:
    from xietong_common.cli.main import build_parser
    from xietong_common.cli.serve import cmd_serve

    command = rendered["services"][name]["command"]
    assert command[:2] == ["xietong", "serve"]
    args = build_parser().parse_args(command[1:])
    assert args.func is cmd_serve
    assert args.host == "0.0.0.0"
    assert "XIETONG_LOG_JSON" not in rendered["services"][name]["environment"]  # default: JSON


def test_build_context_leaves_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for entry in (".local", ".venv", ".git", "**/__pycache__", "deploy/.env", "deploy/kafka/tls"):
        assert entry in ignored, entry
    for needed in ("pyproject.toml", "uv.lock", "libs", "services", "data"):
        assert needed not in ignored
