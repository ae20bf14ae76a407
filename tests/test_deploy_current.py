"""deploy/kafka/init-acls.sh (the Kafka users and ACLs of docker compose) is generated from
the event registry and is current; the registry says everything the services do."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from xietong_common.events.registry import registry
from xietong_common.services import SERVICES
from xietong_devtools.deploy import grants, kafka_init_script


def test_kafka_init_is_generated_from_the_current_registry() -> None:
    # A fresh process, so only the real contracts are registered (tests register test events).
    result = subprocess.run(
        [sys.executable, "-m", "xietong_common.cli.main", "deploy", "kafka-init", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("name", "pkg"), SERVICES.items())
def test_the_acls_cover_what_each_service_does(name: str, pkg: str) -> None:
    """Every topic a service's handlers consume is declared in the registry (so it gets Read
    on it), and every topic its `ensure_topics` wants it may describe and create."""
    spec = importlib.import_module(f"{pkg}.main").SPEC
    granted = grants()[name]
    for model in spec.handlers:
        assert registry.spec_for(model).topic in granted.consumes, model.__name__
    wanted = set(spec.topics)
    assert wanted | {f"{t}.dlq" for t in wanted} <= set(granted.topics)


def test_no_other_principal_may_write_review_opinion() -> None:
    """The forged-opinion hole: only legal-review writes `review.opinion`."""
    writers = [name for name, g in grants().items() if "review.opinion" in g.writes]
    assert writers == ["legal-review"]
    in_script = [
        line.split()[1]
        for line in kafka_init_script(strict=False).splitlines()
        if line.startswith("allow ")
        and "--operation Write" in line
        and "review.opinion" in line.split()
    ]
    assert in_script == ["legal-review"]
