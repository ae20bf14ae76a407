"""deploy/helm/xietong: `helm lint`, `helm template` with a district's values, every rendered
object valid against the Kubernetes JSON schemas (kubernetes-validate's, for the oldest and
newest Kubernetes the chart supports), and the chart says what the issue asks of it:
one Deployment per service with its probes, resources and PodDisruptionBudget, migrations as
the owner role in a hook Job, the services as their DML-only role, secrets as files, metrics
for a ServiceMonitor, external PostgreSQL and Kafka only. helm itself is installed by CI
(.ci/install-tools); without it here these tests are skipped."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from xietong_common.services import SERVICES
from xietong_devtools.tools import require_tool

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "deploy" / "helm" / "xietong"
PRODUCTION = CHART / "ci" / "production-values.yaml"
MINIMAL = CHART / "ci" / "minimal-values.yaml"
KUBERNETES = ("1.25.0", "1.37.0")  # the chart's kubeVersion floor, and the newest schemas
OPS_PATHS = {"healthz", "readyz", "metrics"}
# A prefix more than one service has goes bare to the one that held it first, or to none;
# every service is reached under /services/<service>/ too (tests/test_proxy.py).
BARE_OWNER = {"items": "info-sharing", "subscriptions": "info-sharing"}


@pytest.fixture(scope="module")
def helm() -> str:
    return require_tool("helm")


def _template(helm: str, *values: Path, extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            helm,
            "template",
            "xietong",
            str(CHART),
            "--kube-version",
            KUBERNETES[-1],
            *(a for v in values for a in ("-f", str(v))),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def production(helm: str) -> list[dict[str, Any]]:
    return _template(helm, PRODUCTION)


def _kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _service_of(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/name"])


def test_chart_version_is_the_packages_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version is not None
    assert chart["version"] == chart["appVersion"] == version.group(1)


def test_the_chart_lists_the_services_of_the_code() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert list(values["services"]) == list(SERVICES)
    for name, svc in values["services"].items():
        assert svc["module"] == f"{SERVICES[name]}.main:app"
        assert svc["database"] == f"xietong_{SERVICES[name]}"


@pytest.mark.parametrize("values", [PRODUCTION, MINIMAL], ids=["production", "minimal"])
def test_helm_lint(helm: str, values: Path) -> None:
    result = subprocess.run(
        [helm, "lint", "--strict", str(CHART), "-f", str(values)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("values", [PRODUCTION, MINIMAL], ids=["production", "minimal"])
@pytest.mark.parametrize("kubernetes", KUBERNETES)
def test_every_object_is_valid_kubernetes(helm: str, values: Path, kubernetes: str) -> None:
    docs = _template(helm, values)
    custom = {"ServiceMonitor", "PrometheusRule"}  # the Prometheus Operator's CRDs: below
    for doc in docs:
        if doc["kind"] in custom:
            continue
        kubernetes_validate.validate(doc, kubernetes, strict=True)
    assert {d["kind"] for d in docs} >= {"Deployment", "Service"}


def test_one_deployment_per_service_with_probes_resources_and_a_budget(
    production: list[dict[str, Any]],
) -> None:
    deployments = _kind(production, "Deployment")
    assert sorted(_service_of(d) for d in deployments.values()) == sorted([*SERVICES, "workbench"])
    deployments.pop("xietong-workbench")
    budgets = {_service_of(d): d for d in _kind(production, "PodDisruptionBudget").values()}
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for deployment in deployments.values():
        name = _service_of(deployment)
        spec = deployment["spec"]
        assert spec["replicas"] >= 2
        (container,) = spec["template"]["spec"]["containers"]
        port = values["services"][name]["port"]
        assert container["args"] == [
            "xietong",
            "serve",
            f"{SERVICES[name]}.main:app",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
        ]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["limits"]["memory"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        budget = budgets[name]["spec"]
        assert budget["maxUnavailable"] == 1
        assert budget["selector"]["matchLabels"] == spec["selector"]["matchLabels"]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container["env"]}


def test_services_run_as_their_dml_role_and_migrations_as_the_owner(
    production: list[dict[str, Any]],
) -> None:
    jobs = {_service_of(j): j for j in _kind(production, "Job").values()}
    assert sorted(jobs) == sorted(SERVICES)
    for deployment in _kind(production, "Deployment").values():
        name = _service_of(deployment)
        if name == "workbench":
            continue
        pkg = SERVICES[name]
        env = _env(deployment["spec"]["template"]["spec"]["containers"][0])
        assert env["XIETONG_DATABASE_URL"] == (
            f"postgresql+asyncpg://{pkg}_app@pg-primary.db.svc.cluster.local:5432/xietong_{pkg}"
        )
        assert env["XIETONG_MIGRATE_ON_START"] == "false"
        job = jobs[name]
        hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
        assert hooks == ["pre-install", "pre-upgrade"]
        (migrate,) = job["spec"]["template"]["spec"]["containers"]
        assert migrate["args"] == ["xietong", "migrate", name]
        job_env = _env(migrate)
        assert job_env["XIETONG_DATABASE_URL"].startswith(f"postgresql+asyncpg://{pkg}@")
        assert "XIETONG_KAFKA_SASL_PASSWORD_FILE" not in job_env  # the Job gets what it reads
        (volume,) = [
            v for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == "secrets"
        ]
        sources = volume["projected"]["sources"]
        assert sources[0]["secret"] == {
            "name": f"xietong-{name}-migrate",
            "items": [{"key": "database-password", "path": "database-password"}],
        }


def test_secrets_are_files_never_values(production: list[dict[str, Any]]) -> None:
    for doc in production:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for entry in container["env"]:
                assert "valueFrom" not in entry, f"{entry['name']}: a secret in the environment"
                if re.search(r"PASSWORD|SECRET|IDENTITY_KEY", entry["name"]):
                    assert entry["name"].endswith("_FILE"), entry["name"]
                    assert entry["value"].startswith("/run/secrets/xietong/")
            mounts = {m["name"]: m for m in container["volumeMounts"]}
            assert mounts["secrets"]["readOnly"] is True
        assert pod["automountServiceAccountToken"] is False
    deployment = _kind(production, "Deployment")["xietong-joint-inspection"]
    env = _env(deployment["spec"]["template"]["spec"]["containers"][0])
    assert env["XIETONG_INSPECTION_IDENTITY_KEY_FILE"] == "/run/secrets/xietong/identity-key"
    assert env["XIETONG_AUDIT_KEY_FILE"] == "/run/secrets/xietong/audit-signing-key.pem"
    assert env["XIETONG_AUDIT_KEY_GENERATE"] == "false"


def test_sup_01_oversight_gets_the_services_public_audit_keys_and_no_private_one(
    production: list[dict[str, Any]],
) -> None:
    """The outsider verifies every service's checkpoints with their public keys, given by the
    district in `services.oversight.auditPublicKeys` and mounted from a ConfigMap; no other
    service gets them, and nothing private is in it."""
    maps = _kind(production, "ConfigMap")
    keys = maps["xietong-oversight-audit-public"]["data"]
    assert set(keys) == {"referral.pem"}
    assert keys["referral.pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in keys["referral.pem"]
    for name, deployment in _kind(production, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        env = _env(pod["containers"][0])
        mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
        if name == "xietong-oversight":
            assert env["XIETONG_OVERSIGHT_AUDIT_KEYS_DIR"] == "/run/xietong/audit-public"
            assert mounts["audit-public"]["readOnly"] is True
        else:
            assert "XIETONG_OVERSIGHT_AUDIT_KEYS_DIR" not in env
            assert "audit-public" not in mounts


def test_external_postgres_and_kafka_only(production: list[dict[str, Any]]) -> None:
    kinds = {d["kind"] for d in production}
    assert "StatefulSet" not in kinds
    images = {
        c["image"]
        for d in production
        if d["kind"] in ("Deployment", "Job")
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {
        "registry.example.gov.cn/xietong/xietong:0.1.0@sha256:" + "0" * 64,
    }
    env = _env(
        _kind(production, "Deployment")["xietong-referral"]["spec"]["template"]["spec"][
            "containers"
        ][0]
    )
    assert env["XIETONG_KAFKA_BOOTSTRAP_SERVERS"].count(",") == 2  # three brokers
    assert env["XIETONG_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["XIETONG_KAFKA_SSL_CAFILE"] == "/run/secrets/xietong/kafka-ca/ca.pem"
    assert env["XIETONG_KAFKA_REPLICATION_FACTOR"] == "3"
    assert env["PGSSLMODE"] == "verify-full"
    assert env["XIETONG_JWT_JWKS_URL"].startswith("https://")


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        ("postgres.host=", "postgres.host is required"),
        ("kafka.bootstrapServers=", "kafka.bootstrapServers is required"),
        ("jwt.jwksUrl=", "set jwt.jwksUrl"),
    ],
)
def test_what_a_district_must_give_is_required(helm: str, unset: str, message: str) -> None:
    result = subprocess.run(
        [
            helm,
            "template",
            "xietong",
            str(CHART),
            "--kube-version",
            KUBERNETES[-1],
            "-f",
            str(PRODUCTION),
            "--set",
            unset,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_metrics_are_scraped_from_their_own_port(production: list[dict[str, Any]]) -> None:
    (monitor,) = _kind(production, "ServiceMonitor").values()
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics"
    assert endpoint["path"] == "/metrics"
    for service in _kind(production, "Service").values():
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        assert ports["metrics"]["port"] == 9100
        for label, value in monitor["spec"]["selector"]["matchLabels"].items():
            assert service["metadata"]["labels"][label] == value
    for deployment in _kind(production, "Deployment").values():
        env = _env(deployment["spec"]["template"]["spec"]["containers"][0])
        assert env["XIETONG_METRICS_PORT"] == "9100"
    (rule,) = _kind(production, "PrometheusRule").values()
    alerts = yaml.safe_load((ROOT / "deploy/observability/prometheus/alerts.yml").read_text())
    assert rule["spec"] == alerts


def test_the_ingress_routes_every_api_path_and_no_operations_path(
    production: list[dict[str, Any]],
) -> None:
    ingress = _kind(production, "Ingress")["xietong"]
    api, workbench = ingress["spec"]["rules"]
    assert api["host"] == "xietong.example.gov.cn"
    assert workbench["host"] == "gongzuotai.example.gov.cn"
    assert [p["backend"]["service"]["name"] for p in workbench["http"]["paths"]] == [
        "xietong-workbench"
    ]
    routed = {
        p["path"].strip("/"): p["backend"]["service"]["name"].removeprefix("xietong-")
        for p in api["http"]["paths"]
    }
    holders: dict[str, set[str]] = {}
    for name in SERVICES:
        spec = json.loads((ROOT / "docs" / "openapi" / f"{name}.json").read_text())
        for prefix in {path.split("/")[1] for path in spec["paths"]} - OPS_PATHS:
            holders.setdefault(prefix, set()).add(name)
    for prefix, names in holders.items():
        (only,) = names if len(names) == 1 else (BARE_OWNER.get(prefix),)
        assert routed.get(prefix) == only, f"/{prefix} of {sorted(names)}"
    assert not set(routed) & (OPS_PATHS | {"docs", "openapi.json", "todo", "documents"})


def test_every_service_is_reached_under_its_own_prefix_never_its_operations(
    production: list[dict[str, Any]],
) -> None:
    ingress = _kind(production, "Ingress")["xietong-by-service"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "xietong.example.gov.cn"
    routed = {}
    for p in rule["http"]["paths"]:
        assert p["pathType"] == "ImplementationSpecific"
        match = re.fullmatch(r"/services/([a-z-]+)\(/\)\((.*)\)", p["path"])
        assert match, p["path"]
        routed[match[1]] = p["backend"]["service"]["name"].removeprefix("xietong-")
        rest = re.compile(match[2])  # what the controller passes on, as $2
        for ops in ("metrics", "healthz", "readyz/x", "docs", "openapi.json"):
            assert not rest.fullmatch(ops), ops
        assert rest.fullmatch("subscriptions/1")
    assert routed == {name: name for name in SERVICES}


def test_migrating_on_start_runs_as_the_owner_without_a_job(helm: str) -> None:
    docs = _template(helm, MINIMAL)
    assert _kind(docs, "Job") == {}
    env = _env(
        _kind(docs, "Deployment")["xietong-referral"]["spec"]["template"]["spec"]["containers"][0]
    )
    assert env["XIETONG_MIGRATE_ON_START"] == "true"
    assert env["XIETONG_DATABASE_URL"].startswith("postgresql+asyncpg://referral@")
    assert env["XIETONG_JWT_SECRET_FILE"] == "/run/secrets/xietong/jwt/jwt-secret"
    assert _kind(docs, "PodDisruptionBudget") == {}  # one replica: no budget to keep


def test_adding_a_service_is_a_few_lines_of_values(helm: str, tmp_path: Path) -> None:
    extra = tmp_path / "more.yaml"
    extra.write_text(
        "services:\n  archive:\n    enabled: true\n    module: archive.main:app\n"
        "    port: 8009\n    database: xietong_archive\n    paths: [/archives]\n"
    )
    docs = _template(helm, PRODUCTION, extra)
    for kind in ("Deployment", "Service", "PodDisruptionBudget", "Job"):
        assert "xietong-archive" in {k.removesuffix("-migrate") for k in _kind(docs, kind)}


def test_the_workbench_calls_the_services_in_the_cluster_with_no_database(
    production: list[dict[str, Any]],
) -> None:
    deployment = _kind(production, "Deployment")["xietong-workbench"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = _env(container)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert json.loads(env["XIETONG_WORKBENCH_SERVICE_URLS"]) == {
        name: f"http://xietong-{name}:{svc['port']}" for name, svc in values["services"].items()
    }
    assert env["XIETONG_WORKBENCH_SESSION_SECRET_FILE"] == "/run/secrets/xietong/session-secret"
    assert env["XIETONG_WORKBENCH_OIDC_CLIENT_ID"] == "xietong-workbench"
    assert env["XIETONG_WORKBENCH_PUBLIC_URL"] == "https://gongzuotai.example.gov.cn"
    assert not any(k.startswith(("XIETONG_DATABASE", "XIETONG_KAFKA")) for k in env)
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["reference-data"]["readOnly"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert "xietong-workbench" in _kind(production, "PodDisruptionBudget")
