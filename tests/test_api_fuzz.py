"""Schemathesis against every service's OpenAPI: no input may produce a 5xx or a response the
document does not describe (all checks; see schemathesis.toml for what writes may refuse).

Each service runs for real in a process of its own (uvicorn on a free port, its own fresh
database, Kafka), and the `schemathesis run` CLI drives it with a token of a town in the
directory (or, for an operation no town may call, of a kind it admits: fuzz_hooks.py),
seeded and bounded (SCHEMATHESIS_MAX_EXAMPLES, default 3 per operation). One test per
service, so that the suite's workers share them (as one test running every service side by
side, it was the suite's longest: 290 s in one worker on a 2-core box). Services are found in
`xietong_common.services.SERVICES`: a new one is covered as soon as it is listed there.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from xietong_common.services import SERVICES
from xietong_common.settings import project_root
from xietong_common.web import ServiceSpec
from xietong_common.web.access import Role
from xietong_devtools.testing import (
    TEST_JWT_SECRET,
    Servers,
    create_database,
    mint_token,
    settings_for_tests,
)

pytestmark = pytest.mark.integration

SEED = os.environ.get("SCHEMATHESIS_SEED", "20240226")  # another seed, another sample
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "3")
# An answer slower than this is a stall (a finding); anything quicker is left to bench/.
REQUEST_TIMEOUT = os.environ.get("SCHEMATHESIS_REQUEST_TIMEOUT", "300")
# How long one generated case may take on a busy 2-core box (a request and its checks), and
# one service's start (migrations): a service's run is bounded by the work it does — each of
# its operations × examples — never by a fixed figure a slow machine trips. A quiet machine
# needs about a tenth of it.
SECONDS_PER_CASE = 1.0
SECONDS_TO_START = 300.0


def _operations(service: str) -> int:
    """How many operations the service's document holds (docs/openapi, kept current by
    tests/test_docs_current.py)."""
    document = project_root() / "docs" / "openapi" / f"{service}.json"
    paths = json.loads(document.read_text(encoding="utf-8")).get("paths", {})
    return sum(
        1
        for item in paths.values()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def _run_bound_s(service: str) -> float:
    return SECONDS_TO_START + max(_operations(service), 30) * int(MAX_EXAMPLES) * SECONDS_PER_CASE


TOWN = "town:lizhi"  # a town of the shipped directory
# For each kind of organisation, one of the shipped directory: an operation is fuzzed with a
# token of a kind it admits (tests/fuzz_hooks.py), so its body is reached, not refused 403.
CALLERS = {
    "town": TOWN,
    "dept": "dept:planning-natural-resources",
    "justice-bureau": "justice-bureau",
    "justice-office": "justice-office:lizhi",
    "district-gov": "district-gov",
}
# Every role a service checks, so that authorisation is not all a run ever sees.
ROLES = tuple(role.value for role in Role)


def _spec(package: str) -> ServiceSpec | None:
    try:
        module = importlib.import_module(f"{package}.main")
    except ModuleNotFoundError:
        return None
    spec = getattr(module, "SPEC", None)
    return spec if isinstance(spec, ServiceSpec) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(
    package: str, spec: ServiceSpec, servers: Servers, kafka: str, workdir: Path
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The service in a process of its own (base URL, a token per kind of organisation, the
    town's first); its log in `workdir`."""
    database_url = await create_database(servers, f"fuzz_{spec.name}")
    settings = settings_for_tests(
        spec.name,
        database_url=database_url,
        kafka_bootstrap=kafka,
        settings_class=spec.settings_class,
    )
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "XIETONG_DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "XIETONG_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "XIETONG_SERVICE_NAME": spec.name,
        "XIETONG_JWT_SECRET": TEST_JWT_SECRET,
        "XIETONG_RUN_JOBS": "false",
        "XIETONG_RUN_CONSUMER": "false",
        "XIETONG_BLOB_DIR": str(workdir / "blobs"),
        "XIETONG_LOG_LEVEL": "WARNING",
        "XIETONG_LOG_JSON": "false",
    }
    log = (workdir / "service.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        f"{package}.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        started_by = asyncio.get_running_loop().time() + SECONDS_TO_START
        async with httpx.AsyncClient() as client:
            while True:
                assert proc.returncode is None, f"{spec.name} stopped; see {workdir}/service.log"
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{base}/healthz")).status_code == 200:
                        break
                if asyncio.get_running_loop().time() > started_by:
                    raise AssertionError(f"{spec.name} did not start; see {workdir}/service.log")
                await asyncio.sleep(0.1)
            # The document is built on its first request (seconds on a busy box, past
            # schemathesis' own 10 s bound for loading it): build it now, unbounded.
            document = await client.get(f"{base}/openapi.json", timeout=None)
            assert document.status_code == 200, document.text
        yield (
            base,
            {
                kind: mint_token(settings, org=org, user=f"{org}/fuzz", roles=ROLES, ttl_s=3600)
                for kind, org in CALLERS.items()
            },
        )
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


async def fuzz(
    package: str, spec: ServiceSpec, servers: Servers, kafka: str, workdir: Path
) -> tuple[int, str]:
    """`schemathesis run` against one service: (exit code, its report). It runs in `workdir`,
    where it keeps its cache (`.schemathesis/`)."""
    async with serving(package, spec, servers, kafka, workdir) as (base, tokens):
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "fuzz_hooks",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(Path(__file__).parent), os.environ.get("PYTHONPATH")) if p
            ),
            "XIETONG_FUZZ_TOKENS": json.dumps(tokens),
        }
        proc = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "schemathesis"),
            "--no-color",
            "--config-file",
            str(project_root() / "schemathesis.toml"),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            # Timings are judged in bench/, never in a test. `--checks all` turns on
            # max_response_time at 10 s, which a busy 2-core box trips (a referral's send
            # renders its letter: 18.7 s at load 16), so its limit is the request timeout:
            # only an answer that never comes (a stalled service) is a finding. Data
            # generation for the largest bodies is slow there too, which is no finding.
            "--max-response-time",
            REQUEST_TIMEOUT,
            "--suppress-health-check",
            "too_slow",
            "--seed",
            SEED,
            "--max-examples",
            MAX_EXAMPLES,
            "--request-timeout",
            REQUEST_TIMEOUT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=workdir,
            env=env,
        )
        output, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, output.decode(errors="replace")


@pytest.mark.parametrize(
    "package",
    [
        pytest.param(package, id=service, marks=pytest.mark.timeout(_run_bound_s(service)))
        for service, package in sorted(SERVICES.items())
    ],
)
async def test_no_input_breaks_any_api_or_its_document(
    package: str, servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    spec = _spec(package)
    assert spec is not None, f"{package}.main has no SPEC to serve"
    code, report = await fuzz(package, spec, servers, kafka_bootstrap, tmp_path)
    (tmp_path / "report.txt").write_text(report, encoding="utf-8")
    assert code == 0, report[-12000:]
