"""deploy/docker-compose.yml runs the same system on one host: every service has its
database (as a DML-only role), Kafka, a healthcheck and its port, and starts only once
PostgreSQL and Kafka are healthy and the migrations ran as the owner role.

Without a Docker engine, the file is also checked as compose would load it: against the
Compose Specification's JSON schema (vendored in deploy/schema/), every setting a service
reads set or defaulted, every secret a file made by deploy/new-env.sh and mounted only
where it is needed, REST ports on 127.0.0.1 behind the HTTPS proxy, the metrics port never
published, resource limits and log rotation everywhere, and the Kafka and reference-data
set-up consistent. (tests/test_compose_kafka.py runs the compose file's Kafka for real,
tests/test_compose_postgres.py its PostgreSQL roles, tests/test_proxy.py its proxy and
tests/test_backup.py its backups.)"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from xietong_common.audit.crypto import load_public_keys, load_signing_key
from xietong_common.services import SERVICES as SERVICE_PACKAGES
from xietong_common.settings import ServiceSettings, env_names
from xietong_devtools.deploy import compose_variables, interpolate

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ROOT = DEPLOY.parent
PORTS = {
    "info-sharing": 8001,
    "assistance": 8002,
    "referral": 8003,
    "legal-review": 8004,
    "joint-inspection": 8005,
    "secondment": 8006,
    "oversight": 8007,
    "notifier": 8008,
}
SERVICES = {name: (SERVICE_PACKAGES[name], port) for name, port in PORTS.items()}
COMPOSE_TEXT = (DEPLOY / "docker-compose.yml").read_text()
METRICS_PORT = "9100"
ONE_SHOT = {"kafka-init", "migrate", "restore"}


def test_the_services_are_those_of_the_code() -> None:
    assert set(PORTS) == set(SERVICE_PACKAGES)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
    return data


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    """The compose model as compose sees it with an empty .env: interpolated, YAML merge
    keys resolved."""
    data: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE_TEXT, {}))
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
    rendered: dict[str, Any], name: str, expected: tuple[str, int]
) -> None:
    pkg, port = expected
    svc = rendered["services"][name]
    env = svc["environment"]
    # The DML-only role, and no password in the URL: it comes from the secret file.
    assert env["XIETONG_DATABASE_URL"] == (
        f"postgresql+asyncpg://{pkg}_app@postgres:5432/xietong_{pkg}"
    )
    assert env["XIETONG_DATABASE_PASSWORD_FILE"] == "/run/secrets/database-password"
    assert env["XIETONG_MIGRATE_ON_START"] == "false"
    assert env["XIETONG_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert f"{pkg}.main:app" in svc["command"]
    assert str(port) in svc["command"]
    assert str(port) in " ".join(svc["healthcheck"]["test"])
    depends = svc["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["kafka-init"]["condition"] == "service_completed_successfully"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_migrations_run_once_as_each_database_s_owner(rendered: dict[str, Any]) -> None:
    migrate = rendered["services"]["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["command"] == ["sh", "/opt/xietong/migrate.sh"]
    assert migrate["environment"]["XIETONG_SERVICES"].split() == list(PORTS)
    assert set(migrate["secrets"]) == {f"{s}-db-owner-password" for s in PORTS}
    assert set(migrate["depends_on"]) == {"postgres"}
    script = (DEPLOY / "postgres" / "migrate.sh").read_text()
    assert "postgresql+asyncpg://${pkg}@" in script  # the owner role is named like the package
    assert "${svc}-db-owner-password" in script
    assert "xietong migrate" in script


def test_init_script_creates_every_service_s_database_and_roles() -> None:
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    listed = re.search(r"^services=\((.*)\)$", script, re.MULTILINE)
    assert listed is not None
    assert listed.group(1).split() == list(PORTS)
    assert '-v app="${pkg}_app"' in script
    assert "roles.sql" in script


def test_one_image_for_all_services_tagged_with_the_version(rendered: dict[str, Any]) -> None:
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version is not None
    images = {rendered["services"][name]["image"] for name in [*PORTS, "migrate", "workbench"]}
    assert images == {f"xietong:{version.group(1)}"}
    assert (DEPLOY / "Dockerfile").read_text().count("\nFROM ") == 2  # multi-stage


# ---- the compose file is valid and self-consistent (no Docker engine needed) -------------

# Settings whose defaults fit only a checkout and the local stack (`project_root()`, a
# broker on 127.0.0.1, an unauthenticated client): a container must be given them.
DEPLOYMENT_SETTINGS = (
    "service_name",
    "database_url",
    "database_password",
    "kafka_bootstrap_servers",
    "kafka_security_protocol",
    "kafka_sasl_username",
    "kafka_sasl_password",
    "jwt_secret",
    "data_dir",
    "blob_dir",
    "audit_key_file",
    "metrics_port",
)
# XIETONG_* variables that are not settings: read by `xietong serve`, or by migrate.sh.
NOT_SETTINGS = {"XIETONG_DATA_SEED_DIR"}


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
    names = {
        field: (*choices, *(f"{c}_FILE" for c in choices))
        for field, choices in env_names(cls).items()
    }
    for field, field_info in cls.model_fields.items():
        is_set = any(n in env for n in names[field])
        assert is_set or not field_info.is_required(), f"{name}: {names[field][0]} is required"
        if field in DEPLOYMENT_SETTINGS:
            assert is_set, f"{name}: set {names[field][0]} (its default fits only a checkout)"
    known = {n for choices in names.values() for n in choices} | NOT_SETTINGS
    unknown = sorted(k for k in env if k.startswith("XIETONG_") and k not in known)
    assert unknown == [], f"{name}: no setting reads {unknown}"


def test_no_secret_is_in_an_environment_variable_or_in_env_example(
    rendered: dict[str, Any],
) -> None:
    """Passwords, keys and the JWT secret are files (compose secrets, `*_FILE` settings):
    never an environment variable, which `docker inspect` shows and children inherit."""
    secretish = re.compile(r"PASSWORD|SECRET|(?<!_LOCAL)_KEY$|IDENTITY_KEY")
    for name, svc in rendered["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if secretish.search(key):
                assert key.endswith("_FILE"), f"{name}: {key} holds a secret in the environment"
                assert str(value).startswith("/run/secrets/"), f"{name}: {key}={value}"
    for variable in compose_variables(COMPOSE_TEXT):
        assert not re.search("PASSWORD|SECRET", variable), f"${{{variable}}} in the compose file"
    example = (DEPLOY / ".env.example").read_text()
    assert not re.search(r"^[A-Z_]*(PASSWORD|SECRET)[A-Z_]*=", example, re.MULTILINE)


def test_every_variable_is_documented_in_env_example_and_optional() -> None:
    example = (DEPLOY / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    variables = compose_variables(COMPOSE_TEXT)
    assert set(variables) == documented
    for name, (op, _) in variables.items():
        assert op == ":-", f"{name}: ${{{name}{op}…}}: every variable has a default"
    for name in documented:  # no sample value that could end up in production
        value = re.search(rf"^{name}=(.*)$", example, flags=re.MULTILINE)
        assert value is not None
        assert value.group(1) in ("", "xietong", "sub", "org", "roles"), name


# ---- secrets: one of each per service, mounted into that service alone --------------------


def _secret_names(svc: dict[str, Any]) -> dict[str, str]:
    """Secret source -> its file name in /run/secrets/ in the container."""
    found = {}
    for entry in svc.get("secrets", []):
        if isinstance(entry, str):
            found[entry] = entry
        else:
            found[entry["source"]] = entry.get("target", entry["source"])
    return found


@pytest.mark.parametrize("name", PORTS)
def test_each_service_gets_its_own_secrets_and_no_other_s(
    rendered: dict[str, Any], name: str
) -> None:
    svc = rendered["services"][name]
    mounted = _secret_names(svc)
    expected = {
        f"{name}-db-password": "database-password",
        f"{name}-kafka-password": "kafka-password",
        f"{name}-audit-key": "audit-signing-key.pem",
        "jwt-secret": "jwt-secret",
    }
    if name == "joint-inspection":
        expected["inspection-identity-key"] = "inspection-identity-key"
    if name == "notifier":
        expected["notifier-secrets-key"] = "notifier-secrets-key"
    env = svc["environment"]
    if name == "oversight":  # SUP-01, the outsider: every service's public key, no private one
        keys_dir = env["XIETONG_OVERSIGHT_AUDIT_KEYS_DIR"]
        for service in rendered["services"]:
            if f"{service}-audit-key" in rendered["secrets"]:
                expected[f"{service}-audit-public"] = f"{keys_dir}/{service}.pem"
    assert mounted == expected
    for target in mounted.values():
        used = f"/run/secrets/{target}" in env.values() or target.startswith(
            f"{env.get('XIETONG_OVERSIGHT_AUDIT_KEYS_DIR', '-')}/"
        )
        assert used, f"{name}: {target} mounted, unused"
    assert env["XIETONG_AUDIT_KEY_FILE"] == "/run/secrets/audit-signing-key.pem"
    assert env["XIETONG_AUDIT_KEY_GENERATE"] == "false"
    # The signing key is readable by the service's user alone, and nowhere is the old
    # shared, writable key volume.
    key = next(e for e in svc["secrets"] if isinstance(e, dict) and e["source"].endswith("-key"))
    assert (key["uid"], key["mode"]) == ("10001", 0o400)
    assert not any("audit-keys" in str(m) for m in svc.get("volumes", []))


def test_a_signing_key_or_password_reaches_no_other_container(rendered: dict[str, Any]) -> None:
    holders: dict[str, set[str]] = {}
    for name, svc in rendered["services"].items():
        for source in _secret_names(svc):
            holders.setdefault(source, set()).add(name)
    for service in PORTS:
        assert holders[f"{service}-audit-key"] == {service}
        assert holders[f"{service}-db-password"] == {service, "postgres"}
        assert holders[f"{service}-db-owner-password"] == {"migrate", "postgres"}
        assert holders[f"{service}-kafka-password"] == {service, "kafka-init"}
    assert holders["postgres-password"] == {"postgres", "backup", "restore"}
    assert set(holders) == set(rendered["secrets"]), "every secret is used, none undeclared"


def _fake_docker(directory: Path, compose_version: str | None, v1: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if compose_version is not None:
        (directory / "docker").write_text(
            "#!/bin/sh\n"
            f'[ "$1 $2 $3" = "compose version --short" ] && echo "{compose_version}" && exit 0\n'
            "exit 1\n"
        )
        (directory / "docker").chmod(0o755)
    if v1 is not None:
        (directory / "docker-compose").write_text(f'#!/bin/sh\necho "{v1}"\n')
        (directory / "docker-compose").chmod(0o755)
    return directory


def _deploy_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "deploy"
    shutil.copytree(
        DEPLOY, copy, ignore=shutil.ignore_patterns("secrets", ".env", "backups", "*.pem", "*.key")
    )
    return copy


def _new_env(deploy: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(deploy / "new-env.sh"), "xietong.example.gov.cn"],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(deploy)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("new-env")
    deploy = _deploy_copy(tmp)
    result = _new_env(deploy, _fake_docker(tmp / "bin", "2.29.7"))
    assert result.returncode == 0, result.stderr
    assert "Docker Compose 2.29.7" in result.stderr
    return deploy


def test_new_env_makes_every_secret_file_compose_mounts(
    prepared: Path, rendered: dict[str, Any]
) -> None:
    secrets_dir = prepared / "secrets"
    assert secrets_dir.stat().st_mode & 0o777 == 0o700
    for name, spec in rendered["secrets"].items():
        path = prepared / spec["file"]
        assert path.is_file(), f"new-env.sh does not make {spec['file']} ({name})"
        assert path.parent == secrets_dir
        text = path.read_text()
        if name.endswith("-audit-key"):
            assert load_signing_key(text).algorithm == "ed25519"
        elif name.endswith("-audit-public"):
            # SUP-01: the public half of the service's signing key, for oversight's outsider.
            service = name.removesuffix("-audit-public")
            private = load_signing_key((secrets_dir / f"{service}-audit-key.pem").read_text())
            assert text.startswith("-----BEGIN PUBLIC KEY-----")
            assert "PRIVATE" not in text
            assert [k.key_id for k in load_public_keys(text)] == [private.key_id]
        elif name == "workbench-oidc-client-secret":
            assert text == ""  # a public client until the identity provider gives a secret
        else:
            assert re.fullmatch(r"[0-9a-f]{48}", text), name
    passwords = [
        p.read_text() for p in secrets_dir.iterdir() if p.read_text() and p.suffix != ".pem"
    ]
    assert len(set(passwords)) == len(passwords)
    assert (prepared / ".env").read_text() == (DEPLOY / ".env.example").read_text()
    assert (prepared / ".env").stat().st_mode & 0o777 == 0o600
    cert = prepared / "proxy" / "tls" / "server.pem"
    text = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:xietong.example.gov.cn" in text


def test_new_env_never_overwrites(prepared: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in (prepared / "secrets").iterdir()}
    cert = (prepared / "proxy" / "tls" / "server.pem").read_bytes()
    result = _new_env(prepared, _fake_docker(tmp_path / "bin", "2.24.0"))
    assert result.returncode == 0, result.stderr
    assert {p.name: p.read_bytes() for p in (prepared / "secrets").iterdir()} == before
    assert (prepared / "proxy" / "tls" / "server.pem").read_bytes() == cert


@pytest.mark.parametrize(
    ("compose_version", "v1"),
    [("2.20.3", None), ("v2.23.9", None), (None, "docker-compose version 1.29.2, build unknown")],
)
def test_new_env_refuses_a_compose_too_old_for_the_file(
    tmp_path: Path, compose_version: str | None, v1: str | None
) -> None:
    deploy = _deploy_copy(tmp_path)
    result = _new_env(deploy, _fake_docker(tmp_path / "bin", compose_version, v1))
    assert result.returncode == 1
    assert "2.24.0" in result.stderr
    assert not (deploy / "secrets").exists()


def test_the_minimum_compose_version_is_stated_where_it_is_checked() -> None:
    stated = re.search(r"Needs Docker Compose v(\d+\.\d+\.\d+) or newer", COMPOSE_TEXT)
    checked = re.search(r'^MIN_COMPOSE="(.+)"$', (DEPLOY / "new-env.sh").read_text(), re.M)
    assert stated is not None
    assert checked is not None
    assert stated.group(1) == checked.group(1)
    assert "name: xietong" in COMPOSE_TEXT  # what Compose v1 rejects
    assert f"Docker Compose {checked.group(1)}" in (ROOT / "docs" / "deploy.md").read_text()
    assert "SINGLE NODE ONLY" in COMPOSE_TEXT


# ---- exposure, limits, logs ---------------------------------------------------------------


def _published(svc: dict[str, Any]) -> list[str]:
    return [str(p) for p in svc.get("ports", [])]


def test_only_the_proxy_and_kafka_s_external_listener_are_published_beyond_localhost(
    rendered: dict[str, Any],
) -> None:
    for name, svc in rendered["services"].items():
        for port in _published(svc):
            host = port.rsplit(":", 2)[0] if port.count(":") == 2 else "0.0.0.0"
            if name == "proxy":
                assert port.endswith((":8443", ":9443", ":8080"))
            elif name == "kafka":
                assert port == "9094:9094"
            else:
                assert host == "127.0.0.1", f"{name} publishes {port} beyond localhost"
            assert not port.endswith(f":{METRICS_PORT}"), f"{name} publishes its metrics port"


@pytest.mark.parametrize("name", PORTS)
def test_metrics_are_on_an_internal_port_of_their_own(rendered: dict[str, Any], name: str) -> None:
    svc = rendered["services"][name]
    assert svc["environment"]["XIETONG_METRICS_PORT"] == METRICS_PORT
    assert [p for p in _published(svc) if METRICS_PORT in p] == []
    scrape = (DEPLOY / "observability" / "prometheus" / "prometheus.yml").read_text()
    assert f"{name}:{METRICS_PORT}" in scrape


def test_every_container_has_resource_limits_and_rotated_logs(rendered: dict[str, Any]) -> None:
    for name, svc in rendered["services"].items():
        limits = svc.get("deploy", {}).get("resources", {}).get("limits", {})
        assert "memory" in limits, f"{name} has no memory limit"
        if name not in ONE_SHOT:
            assert "cpus" in limits, f"{name} has no CPU limit"
        logging = svc.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging["options"]["max-size"], name
        assert logging["options"]["max-file"], name


def test_kafka_s_heap_fits_its_memory_limit(rendered: dict[str, Any]) -> None:
    kafka = rendered["services"]["kafka"]
    heap = kafka["environment"]["KAFKA_HEAP_OPTS"]
    xmx = re.search(r"-Xmx(\d+)([mg])", heap)
    assert xmx is not None
    heap_mb = int(xmx.group(1)) * (1024 if xmx.group(2) == "g" else 1)
    limit = kafka["deploy"]["resources"]["limits"]["memory"]
    limit_mb = int(limit[:-1]) * (1024 if limit.endswith("G") else 1)
    assert heap_mb <= limit_mb * 0.75  # the rest for metaspace, buffers and page cache


def test_services_run_read_only_without_privileges(rendered: dict[str, Any]) -> None:
    for name in [*PORTS, "migrate", "workbench"]:
        svc = rendered["services"][name]
        assert svc["read_only"] is True, name
        assert svc["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in svc["security_opt"], name


def test_volumes_and_bind_mounts_exist(rendered: dict[str, Any]) -> None:
    declared = set(rendered.get("volumes", {}))
    used: set[str] = set()
    made_at_run = {"./backups"}  # the backup target, created by compose on first start
    for name, svc in rendered["services"].items():
        for mount in svc.get("volumes", []):
            source = mount.split(":")[0] if isinstance(mount, str) else mount["source"]
            if source.startswith((".", "/")):
                assert source in made_at_run or (DEPLOY / source).exists(), f"{name}: {source}"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert used == declared, f"declared but unused: {declared - used}"


def test_every_long_running_service_has_a_healthcheck(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    for name, svc in services.items():
        one_shot = svc.get("restart") == "no"
        assert one_shot == (name in ONE_SHOT), name
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


def test_the_proxy_waits_for_every_service_and_serves_its_certificate(
    rendered: dict[str, Any],
) -> None:
    proxy = rendered["services"]["proxy"]
    assert set(proxy["depends_on"]) == {*PORTS, "workbench"}
    assert "./proxy/xietong.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert "./proxy/tls:/etc/nginx/tls:ro" in proxy["volumes"]
    assert "0.0.0.0:443:8443" in proxy["ports"]  # the workbench
    assert "0.0.0.0:8443:9443" in proxy["ports"]  # the APIs


def test_backups_run_on_a_schedule_with_a_retention_beside_the_blobs(
    rendered: dict[str, Any],
) -> None:
    backup = rendered["services"]["backup"]
    assert backup["image"] == rendered["services"]["postgres"]["image"]  # pg_dump = server
    assert backup["entrypoint"] == ["bash", "/opt/xietong/backup.sh", "--loop"]
    env = backup["environment"]
    assert env["XIETONG_BACKUP_EVERY_S"] == "86400"
    assert env["XIETONG_BACKUP_KEEP_DAYS"] == "14"
    assert "blobs:/var/lib/xietong/blobs:ro" in backup["volumes"]
    assert "./backups:/backups" in backup["volumes"]
    assert backup["healthcheck"]["test"][-1] == "--check"


def test_the_observability_profile_is_optional_and_local(rendered: dict[str, Any]) -> None:
    for name in ("prometheus", "grafana"):
        svc = rendered["services"][name]
        assert svc["profiles"] == ["observability"]
        assert all(p.startswith("127.0.0.1:") for p in _published(svc)), name
    for name, svc in rendered["services"].items():
        if name == "restore":
            assert svc["profiles"] == ["restore"]  # run by hand only
        elif name not in ("prometheus", "grafana"):
            assert "profiles" not in svc, f"{name} would not start by default"
    mounts = " ".join(rendered["services"]["prometheus"]["volumes"])
    assert "./observability/prometheus/alerts.yml" in mounts
    grafana = " ".join(rendered["services"]["grafana"]["volumes"])
    assert "./observability/grafana/dashboards" in grafana


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


def test_kafka_init_reads_every_password_from_its_secret_file(rendered: dict[str, Any]) -> None:
    init = rendered["services"]["kafka-init"]
    for principal in [*PORTS, "integrator"]:
        variable = "XIETONG_KAFKA_PASSWORD_" + principal.upper().replace("-", "_") + "_FILE"
        assert init["environment"][variable] == f"/run/secrets/{principal}-kafka-password"
    assert "password() {  # VARIABLE" in (DEPLOY / "kafka" / "init-acls.sh").read_text()


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
    for name in PORTS:
        svc = rendered["services"][name]
        mounts = {m.split(":")[1]: m.split(":")[0] for m in svc["volumes"]}
        data_dir = svc["environment"]["XIETONG_DATA_DIR"]
        assert mounts[data_dir] == "reference-data", name
        assert svc["environment"]["XIETONG_DATA_SEED_DIR"] == "/app/data"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY data ./data" in dockerfile  # the seed, in /app/data
    assert "/var/lib/xietong/data" in dockerfile  # created owned by the service user
    assert "chown -R xietong:xietong /var/lib/xietong" in dockerfile


@pytest.mark.parametrize("name", PORTS)
def test_services_log_json_from_the_first_line(rendered: dict[str, Any], name: str) -> None:
    from xietong_common.cli.main import build_parser
    from xietong_common.cli.serve import cmd_serve

    command = rendered["services"][name]["command"]
    assert command[:2] == ["xietong", "serve"]
    args = build_parser().parse_args(command[1:])
    assert args.func is cmd_serve
    assert args.host == "0.0.0.0"
    assert "XIETONG_LOG_JSON" not in rendered["services"][name]["environment"]  # default: JSON


def test_build_context_leaves_local_state_and_secrets_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for entry in (
        ".local",
        ".venv",
        ".git",
        "**/__pycache__",
        "deploy/.env",
        "deploy/kafka/tls",
        "deploy/secrets",
        "deploy/proxy/tls",
        "deploy/backups",
    ):
        assert entry in ignored, entry
    for needed in ("pyproject.toml", "uv.lock", "libs", "services", "data"):
        assert needed not in ignored
    gitignored = (ROOT / ".gitignore").read_text()
    for entry in ("deploy/secrets/", "deploy/backups/", "deploy/proxy/tls/*"):
        assert entry in gitignored


def test_compose_runs_without_root_for_scripts() -> None:
    """The scripts compose mounts are executable and have a shebang."""
    for script in (
        "new-env.sh",
        "bundle.sh",
        "postgres/init-databases.sh",
        "postgres/migrate.sh",
        "backup/backup.sh",
        "backup/restore.sh",
        "proxy/make-certs.sh",
    ):
        path = DEPLOY / script
        assert os.access(path, os.X_OK), script
        assert path.read_text().startswith("#!"), script


def test_the_workbench_calls_the_services_and_holds_no_database_or_kafka_secret(
    rendered: dict[str, Any],
) -> None:
    from workbench.settings import WorkbenchSettings

    workbench = rendered["services"]["workbench"]
    env = workbench["environment"]
    assert json.loads(env["XIETONG_WORKBENCH_SERVICE_URLS"]) == {
        name: f"http://{name}:{port}" for name, port in PORTS.items()
    }
    assert env["XIETONG_WORKBENCH_SESSION_SECRET_FILE"] == "/run/secrets/workbench-session-secret"
    assert env["XIETONG_JWT_LOCAL_KEY"] == "false"
    assert env["XIETONG_METRICS_PORT"] == METRICS_PORT
    assert not any(k.startswith(("XIETONG_DATABASE", "XIETONG_KAFKA")) for k in env)
    assert set(_secret_names(workbench)) == {
        "jwt-secret",
        "workbench-session-secret",
        "workbench-oidc-client-secret",
    }
    assert workbench["volumes"] == ["reference-data:/var/lib/xietong/data:ro"]
    assert workbench["ports"] == ["127.0.0.1:8000:8000"]
    names = {
        field: (*choices, *(f"{c}_FILE" for c in choices))
        for field, choices in env_names(WorkbenchSettings).items()
    }
    known = {n for choices in names.values() for n in choices} | NOT_SETTINGS
    assert sorted(k for k in env if k.startswith("XIETONG_") and k not in known) == []
