"""deploy/observability: the Prometheus scrape configuration, the alert rules (checked and
unit-tested with promtool where it is installed; CI installs it) and the Grafana dashboard,
each naming only metrics the services export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import xietong_common.metrics  # noqa: F401  (registers every metric)
from xietong_common.services import SERVICES
from xietong_devtools.tools import require_tool

ROOT = Path(__file__).resolve().parents[1]
OBS = ROOT / "deploy" / "observability"
PROM = OBS / "prometheus"
ALERTS = PROM / "alerts.yml"
DASHBOARD = OBS / "grafana" / "dashboards" / "xietong.json"


def _exported_names() -> set[str]:
    """Every sample name the services export (counters with _total, histograms' series)."""
    names: set[str] = set()
    for collector in list(REGISTRY._collector_to_names):
        names |= set(REGISTRY._collector_to_names[collector])
    return names


def _metrics_in(expr: str) -> set[str]:
    return set(re.findall(r"\b(xietong_[a-z0-9_]+)\b", expr))


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(ALERTS.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_the_issue_s_alerts_are_all_there() -> None:
    alerts = {rule["alert"] for rule in _rules()}
    for expected in (
        "XietongOutboxBacklogOld",  # outbox age
        "XietongConsumerLag",
        "XietongDeadLetters",  # DLQ depth
        "XietongBreachesPerHour",
        "XietongNextYearHolidaysMissing",  # after 1 December
        "XietongAuditVerificationFailing",
    ):
        assert expected in alerts


def test_rules_and_dashboard_use_only_exported_metrics() -> None:
    exported = _exported_names()
    for rule in _rules():
        unknown = _metrics_in(rule["expr"]) - exported
        assert not unknown, f"{rule['alert']}: {sorted(unknown)}"
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            unknown = _metrics_in(target["expr"]) - exported
            assert not unknown, f"{panel['title']}: {sorted(unknown)}"
    # Periodic jobs' label is job_name: `job` is the target's label in Prometheus.
    assert "xietong_job_last_success_timestamp_seconds" in exported


def test_dashboard_is_provisioned_and_well_formed() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "xietong-overview"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    provider = yaml.safe_load((OBS / "grafana/provisioning/dashboards/xietong.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    datasource = yaml.safe_load(
        (OBS / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_prometheus_scrapes_every_service_s_metrics_port() -> None:
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "xietong"
    targets = job["static_configs"][0]["targets"]
    assert targets == [f"{name}:9100" for name in [*SERVICES, "workbench"]]
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]


def test_the_chart_ships_the_same_rules() -> None:
    chart = ROOT / "deploy" / "helm" / "xietong" / "files" / "alerts.yml"
    assert chart.read_text() == ALERTS.read_text()


@pytest.fixture(scope="module")
def promtool() -> str:
    return require_tool("promtool")


def test_promtool_accepts_the_configuration_and_rules(promtool: str, tmp_path: Path) -> None:
    # The configuration names the rules where the container mounts them: here, beside it.
    config = (
        (PROM / "prometheus.yml").read_text().replace("/etc/prometheus/alerts.yml", str(ALERTS))
    )
    (tmp_path / "prometheus.yml").write_text(config)
    for args in (
        ["check", "config", str(tmp_path / "prometheus.yml")],
        ["check", "rules", str(ALERTS)],
    ):
        result = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_on_what_they_are_about(promtool: str, tmp_path: Path) -> None:
    """promtool's unit tests of the rules (alerts.test.yml, alerts-calendar.test.yml)."""
    for name in ("alerts.yml", "alerts.test.yml", "alerts-calendar.test.yml"):
        shutil.copy(PROM / name, tmp_path / name)
    result = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml", "alerts-calendar.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == 2
