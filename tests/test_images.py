"""The images: the service image's base pinned by digest and tagged with the packages'
version, every image of the compose file pinned by version and digest, deploy/bundle.sh's
offline bundle (run here with a stand-in `docker`, since no Docker engine runs on these
machines), and the image's dependencies resolvable for linux/arm64 (Kunpeng, Phytium):
every package of the production dependency closure in uv.lock has a wheel for aarch64 or
for any platform."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tarfile
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.utils import parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
DIGEST = re.compile(r"^(?P<name>[a-z0-9./-]+):(?P<tag>[A-Za-z0-9._-]+)@sha256:[0-9a-f]{64}$")
VERSION_TAG = re.compile(r"^v?\d+\.\d+(\.\d+)?([.-][A-Za-z0-9.-]+)?$")


def _version() -> str:
    found = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found is not None
    return found.group(1)


def test_the_base_image_is_pinned_by_version_and_digest() -> None:
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.M)
    assert base is not None
    match = DIGEST.match(base.group(1))
    assert match is not None, base.group(1)
    assert match["name"] == "python"
    assert match["tag"].startswith("3.11.")  # a patch release, not a moving 3.11
    froms = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert froms == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert "ghcr.io" not in DOCKERFILE  # uv comes from PyPI, at a pinned version
    assert re.search(r"^ARG UV_VERSION=\d+\.\d+\.\d+$", DOCKERFILE, re.M)
    assert "--frozen" in DOCKERFILE


def test_the_image_is_labelled_and_tagged_with_the_packages_version() -> None:
    assert re.search(rf"^ARG VERSION={re.escape(_version())}$", DOCKERFILE, re.M)
    assert 'org.opencontainers.image.version="${VERSION}"' in DOCKERFILE
    assert COMPOSE["x-service"]["image"] == f"xietong:{_version()}"


def test_the_runtime_image_has_the_fonts_and_pango_the_documents_need() -> None:
    """WeasyPrint lays the official documents out with Pango in the Noto CJK fonts
    (docs/documents.md): Debian's packages, in the stage the services run in."""
    runtime = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    install = re.search(r"apt-get install -y --no-install-recommends ([^\n]+)", runtime)
    assert install is not None
    assert {"fonts-noto-cjk", "libpango-1.0-0", "libpangoft2-1.0-0"} <= set(install[1].split())
    assert "rm -rf /var/lib/apt/lists/*" in runtime


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_every_compose_image_is_pinned(name: str) -> None:
    svc = COMPOSE["services"][name]
    image = svc.get("image") or COMPOSE["x-service"]["image"]
    if image.startswith("xietong:"):
        assert "build" in svc or "build" in COMPOSE["x-service"]
        return
    match = DIGEST.match(image)
    assert match is not None, f"{name}: {image} is not pinned by digest"
    assert VERSION_TAG.match(match["tag"].removesuffix("-alpine")), f"{name}: {image}"
    assert match["tag"] != "latest"


# ---- the offline bundle, with a stand-in docker ---------------------------------------------

FAKE_DOCKER = """#!/usr/bin/env bash
echo "$*" >> "$DOCKER_LOG"
if [[ "$1" == save ]]; then
  shift
  out="$2"; shift 2
  printf 'images: %s\\n' "$*" > "$out"
fi
exit 0
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    work = tmp_path_factory.mktemp("bundle")
    (work / "bin").mkdir()
    docker = work / "bin" / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(0o755)
    log = work / "docker.log"
    result = subprocess.run(
        ["bash", str(DEPLOY / "bundle.sh"), str(work / "out")],
        env={"PATH": f"{work / 'bin'}:/usr/bin:/bin", "DOCKER_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return work / "out", log.read_text().splitlines()


def test_the_bundle_builds_the_version_and_pulls_every_pinned_image(
    bundle: tuple[Path, list[str]],
) -> None:
    _, calls = bundle
    version = _version()
    assert any(
        c.startswith("build ") and f"VERSION={version}" in c and f"-t xietong:{version}" in c
        for c in calls
    )
    pinned = {
        svc["image"] for svc in COMPOSE["services"].values() if "@sha256:" in svc.get("image", "")
    }
    for image in pinned:
        assert f"pull {image}" in calls
        assert f"tag {image} {image.split('@')[0]}" in calls
    (save,) = [c for c in calls if c.startswith("save ")]
    saved = set(save.split()[3:])
    assert saved == {i.split("@")[0] for i in pinned} | {f"xietong:{version}"}


def test_the_bundle_holds_what_an_offline_host_needs_and_checksums(
    bundle: tuple[Path, list[str]], tmp_path: Path
) -> None:
    out, _ = bundle
    name = f"xietong-{_version()}-bundle"
    archive = out / f"{name}.tar.gz"
    line = (out / f"{name}.tar.gz.sha256").read_text().split()
    assert line == [hashlib.sha256(archive.read_bytes()).hexdigest(), f"{name}.tar.gz"]
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path, filter="data")
    root = tmp_path / name
    for needed in (
        "images.tar",
        "docker-compose.yml",
        "docker-compose.offline.yml",
        "new-env.sh",
        ".env.example",
        "kafka/init-acls.sh",
        "postgres/roles.sql",
        "proxy/xietong.conf",
        "backup/backup.sh",
        "observability/prometheus/alerts.yml",
    ):
        assert (root / needed).is_file(), needed
    assert not list(root.rglob("*.key"))
    assert not list(root.rglob("secrets"))
    sums = subprocess.run(
        ["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=root, capture_output=True, text=True
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    offline = yaml.safe_load((root / "docker-compose.offline.yml").read_text())
    assert set(offline["services"]) == set(COMPOSE["services"])
    for svc_name, svc in offline["services"].items():
        assert "@" not in svc["image"], svc_name  # a loaded image has its tag
        assert svc["pull_policy"] == "never"
        original = COMPOSE["services"][svc_name].get("image") or COMPOSE["x-service"]["image"]
        assert svc["image"] == original.split("@")[0]


# ---- linux/arm64 -----------------------------------------------------------------------------

ARM64 = {
    "platform_machine": "aarch64",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "python_version": "3.11",
    "python_full_version": "3.11.14",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}


def _image_closure(lock: dict[str, object]) -> dict[str, dict[str, object]]:
    """The packages `uv sync --frozen --no-dev` installs on linux/arm64 (no extras)."""
    packages = {p["name"]: p for p in lock["package"]}  # type: ignore[attr-defined]
    seen: dict[str, dict[str, object]] = {}
    todo = ["xietong"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen[name] = packages[name]
        for dep in packages[name].get("dependencies", []):
            marker = dep.get("marker")
            if marker is None or Marker(marker).evaluate(ARM64):
                todo.append(dep["name"])
    return seen


# Packages published as an sdist alone that are pure Python (no extension to compile): they
# build on any platform from the sdist, ARM64 included, with no compiler.
PURE_PYTHON_SDISTS = {
    "jieba",  # the Chinese word segmenter under info-sharing's search (docs/search.md)
}


def _installs_on_arm64(package: dict[str, object]) -> bool:
    if package["name"] in PURE_PYTHON_SDISTS and "sdist" in package:
        return True
    for wheel in package.get("wheels", []):  # type: ignore[attr-defined]
        _, _, _, tags = parse_wheel_filename(wheel["url"].rsplit("/", 1)[1])
        for tag in tags:
            if tag.platform == "any":
                return True
            arm64 = "linux" in tag.platform and "aarch64" in tag.platform
            python = tag.interpreter in ("cp311", "py3") or (
                tag.abi == "abi3" and int(tag.interpreter.removeprefix("cp")) <= 311
            )
            if arm64 and python:
                return True
    return False


def test_the_image_s_dependencies_install_on_linux_arm64() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    closure = _image_closure(lock)
    assert "gmssl" in closure  # SM2/SM3 in pure Python, everywhere
    assert "gmssl-pyx" not in closure  # the C one is the optional extra (x86_64 wheels only)
    missing = [
        f"{name} {p.get('version')}"
        for name, p in closure.items()
        if not str(p.get("source", "")).count("editable")
        and "virtual" not in str(p.get("source", ""))
        and not _installs_on_arm64(p)
    ]
    assert missing == [], f"no linux/arm64 wheel: {missing}"


def test_the_check_would_catch_the_native_extra() -> None:
    """gmssl-pyx, the reason ARM64 could not be built, fails the check above."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (native,) = [p for p in lock["package"] if p["name"] == "gmssl-pyx"]
    assert not _installs_on_arm64(native)
