"""The command-line tools some tests need beside Python: helm, promtool, nginx.

`.ci/run` installs helm and promtool from the Go module proxy into `.local/tools/bin` of the
checkout (`go install`, see .ci/install-tools) and nginx from Debian's packages; a developer
may have them on PATH instead. A test that needs one is skipped where it is absent, with the
reason, except in CI (`CI=true`), where an absent tool is a failure: CI installs them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from xietong_common.settings import project_root

TOOLS_DIR = Path(".local") / "tools" / "bin"
HOW = {
    "helm": "go install helm.sh/helm/v3/cmd/helm@v3.21.4 (.ci/install-tools)",
    "promtool": "go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0 "
    "(.ci/install-tools)",
    "nginx": "apt-get install nginx-light",
}


def find_tool(name: str) -> str | None:
    """The tool's path: `.local/tools/bin/<name>` of the checkout, else on PATH."""
    local = project_root() / TOOLS_DIR / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def require_tool(name: str) -> str:
    """The tool's path, or skip the test (fail it in CI, which installs every tool)."""
    found = find_tool(name)
    if found is not None:
        return found
    reason = f"{name} is not installed here: {HOW.get(name, 'install it')}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI installs {name} (.ci/run); {reason}")
    pytest.skip(reason)
