"""`make install` and `.ci/run` get uv where `pip install --user` is refused: Debian 12's
system Python is "externally managed" (PEP 668), so uv is installed into a venv instead."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = ROOT / ".ci" / "bootstrap-uv"
SYSTEM_PATH = "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"


def _externally_managed_python() -> str | None:
    """A system Python that refuses `pip install --user` (PEP 668) and has venv, if any."""
    for candidate in ("/usr/bin/python3", "/bin/python3"):
        if not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [
                candidate,
                "-c",
                "import sysconfig, pathlib, venv, ensurepip; "
                "print(pathlib.Path(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED').exists())",
            ],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    return None


def test_install_paths_never_use_pip_install_user() -> None:
    for path in (ROOT / "Makefile", ROOT / ".ci" / "run"):
        text = path.read_text()
        assert "pip install --user" not in text, path
        assert ".ci/bootstrap-uv" in text, path


def test_make_install_bootstraps_uv_into_a_venv_when_uv_is_missing(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    if shutil.which("uv", path=SYSTEM_PATH):
        pytest.skip("uv is installed system-wide: the bootstrap is never needed here")
    dry = subprocess.run(
        ["make", "-n", "install"],
        cwd=ROOT,
        env={"PATH": SYSTEM_PATH, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert dry.returncode == 0, dry.stderr
    assert f'.ci/bootstrap-uv "{ROOT}/.local/uv-bootstrap"' in dry.stdout
    assert f"{ROOT}/.local/uv-bootstrap/bin/uv sync --all-packages --frozen" in dry.stdout


@pytest.mark.integration  # downloads uv from PyPI
def test_bootstrap_works_on_an_externally_managed_python(tmp_path: Path) -> None:
    python = _externally_managed_python()
    if python is None:
        pytest.skip("no externally managed system Python (PEP 668) with venv here")
    env = {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "PYTHON": python}
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CERT", "SSL_CERT_FILE"):
        if key in os.environ:
            env[key] = os.environ[key]
    # What `make install` did before: refused on this Python.
    refused = subprocess.run(
        [python, "-m", "pip", "install", "--user", "--no-index", "uv"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert "externally-managed-environment" in refused.stdout + refused.stderr

    target = tmp_path / "uv-bootstrap"
    result = subprocess.run(
        [str(BOOTSTRAP), str(target)], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    uv = Path(result.stdout.strip().splitlines()[-1])
    assert uv == target / "bin" / "uv"
    version = subprocess.run([str(uv), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("uv ")
    # A second run reuses it.
    again = subprocess.run([str(BOOTSTRAP), str(target)], env=env, capture_output=True, text=True)
    assert again.stdout.strip() == str(uv)
