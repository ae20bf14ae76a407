"""Schemathesis against every service's OpenAPI: no input may produce a 5xx or a response the
document does not describe (all checks; see schemathesis.toml for what writes may refuse).

Each service runs for real (uvicorn on a free port, its own fresh database, Kafka) and the
`schemathesis run` CLI drives it with a token of a town in the directory, seeded and bounded
(SCHEMATHESIS_MAX_EXAMPLES, default 5 per operation), all services side by side, so the
whole run stays well under two minutes. Services are found in `xietong_common.services.SERVICES`, so a new one is covered as
soon as it has a `main.SPEC`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from xietong_common.services import SERVICES
from xietong_common.settings import project_root
from xietong_common.web import ServiceSpec, create_app
from xietong_devtools.testing import (
    Servers,
    create_database,
    mint_token,
    sample_codes,
    settings_for_tests,
)

pytestmark = pytest.mark.integration

SEED = "20240226"
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5")
# Every role a service checks, so that authorisation is not all a run ever sees.
ROLES = ("handler", "leader", "clerk", "reviewer", "head", "viewer", "adviser", "inspector")


def _spec(package: str) -> ServiceSpec | None:
    try:
        module = importlib.import_module(f"{package}.main")
    except ModuleNotFoundError:
        return None
    spec = getattr(module, "SPEC", None)
    return spec if isinstance(spec, ServiceSpec) else None


@contextlib.asynccontextmanager
async def serving(spec: ServiceSpec, servers: Servers, kafka: str, tmp: Path) -> AsyncIterator[str]:
    """The service on 127.0.0.1:<free port>, with its lifespan (migrations, relay)."""
    settings = settings_for_tests(
        spec.name,
        database_url=await create_database(servers, f"fuzz_{spec.name}"),
        kafka_bootstrap=kafka,
        settings_class=spec.settings_class,
        run_jobs=False,
        run_consumer=False,
        blob_dir=tmp / "blobs",
    )
    app = create_app(spec, settings=settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(600):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "the service did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        town = sample_codes(app.state.ctx)["town_a"]
        token = mint_token(settings, org=town, user=f"{town}/fuzz", roles=ROLES, ttl_s=3600)
        yield f"http://127.0.0.1:{port}|{token}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def fuzz(where: str, workdir: Path) -> tuple[int, str]:
    """`schemathesis run` against one running service: (exit code, its report). It runs in
    `workdir`, where it keeps its cache (`.schemathesis/`)."""
    base, token = where.split("|")
    cli = Path(sys.executable).parent / "schemathesis"
    proc = await asyncio.create_subprocess_exec(
        str(cli),
        "--no-color",
        "--config-file",
        str(project_root() / "schemathesis.toml"),
        "run",
        f"{base}/openapi.json",
        "--checks",
        "all",
        "--seed",
        SEED,
        "--max-examples",
        MAX_EXAMPLES,
        "--header",
        f"Authorization: Bearer {token}",
        "--request-timeout",
        "30",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=workdir,
    )
    output, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, output.decode(errors="replace")


async def test_no_input_breaks_any_api_or_its_document(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Every service at once: started one after another (their migrations run in threads
    that must not overlap), then driven side by side — each waits mostly on its database, so
    together they take about as long as the slowest alone."""
    specs = {package: spec for package in sorted(SERVICES.values()) if (spec := _spec(package))}
    assert {"referral", "legal_review"} <= set(specs)
    for package in specs:
        (tmp_path / package).mkdir()
    async with contextlib.AsyncExitStack() as stack:
        running = [
            await stack.enter_async_context(serving(spec, servers, kafka_bootstrap, tmp_path / p))
            for p, spec in specs.items()
        ]
        results = await asyncio.gather(
            *(fuzz(where, tmp_path / p) for p, where in zip(specs, running, strict=True))
        )
    failed = {
        package: report[-12000:]
        for package, (code, report) in zip(specs, results, strict=True)
        if code != 0
    }
    assert not failed, "\n\n".join(f"==== {p} ====\n{r}" for p, r in failed.items())
