"""`xietong serve APP`: run a service under uvicorn as a container does.

- Logs are JSON from uvicorn's first line on (`uvicorn_log_config`), with the service's
  name, like every line the service itself writes (`XIETONG_LOG_JSON=false`: plain text).
- With `--seed-data DIR` (or `XIETONG_DATA_SEED_DIR`), the reference-data directory
  (`XIETONG_DATA_DIR`: organisations, matters, holiday schedules) is seeded from DIR the
  first time: every file DIR holds and the data directory lacks is copied; nothing is
  overwritten, so an operator's edits and schedules loaded with `xietong calendar load`
  stay. Once a seed is complete a marker file (`.seeded`) records it and later starts
  copy nothing, so a file the operator deleted stays deleted. Several services seeding
  one shared volume at once is safe: each file is put in place with a hard link, which
  never replaces an existing file.
"""

from __future__ import annotations

import argparse
import logging
import logging.config
import os
import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xietong_common.services import SERVICES

SEED_MARKER = ".seeded"
log = logging.getLogger("xietong_common.cli.serve")


def seed_data_dir(source: Path, target: Path) -> list[Path]:
    """Copy into `target` the files of `source` it lacks, unless `target` was seeded before;
    return the files copied (relative to `target`)."""
    if (target / SEED_MARKER).exists():
        return []
    if not source.is_dir():
        raise FileNotFoundError(f"seed directory {source} does not exist")
    target.mkdir(parents=True, exist_ok=True)
    copied: list[Path] = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or any(part.startswith(".") for part in relative.parts):
            continue
        destination = target / relative
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        staging = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.seed")
        shutil.copyfile(path, staging)
        try:
            os.link(staging, destination)  # fails if the file appeared meanwhile: keep that
            copied.append(relative)
        except FileExistsError:
            pass
        finally:
            staging.unlink(missing_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    marker = target / f".{SEED_MARKER}.{uuid.uuid4().hex[:8]}"
    marker.write_text(f"seeded from {source} at {stamp}\n")
    marker.replace(target / SEED_MARKER)
    return copied


def _service_name(app: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    if env := os.environ.get("XIETONG_SERVICE_NAME"):
        return env
    package = app.partition(".")[0].partition(":")[0]
    by_package = {pkg: name for name, pkg in SERVICES.items()}
    return by_package.get(package, package)


def _app_path(app: str) -> str:
    """`referral` (a service name) -> `referral.main:app`; `module:attr` as given."""
    if app in SERVICES:
        return f"{SERVICES[app]}.main:app"
    if ":" not in app:
        raise SystemExit(f"serve: {app!r} is neither a service nor a module:attribute")
    return app


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """How every service runs under uvicorn: the h11 protocol with a bounded request head,
    whose own refusals are problem+json (`xietong_common.web.protocol`)."""
    from xietong_common.web.protocol import ProblemH11Protocol

    return {
        "http": ProblemH11Protocol,
        "h11_max_incomplete_event_size": settings.http_max_head_bytes,
    }


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from xietong_common.logs import uvicorn_log_config
    from xietong_common.settings import ServiceSettings

    app = _app_path(args.app)
    service = _service_name(app, args.service)
    settings = ServiceSettings()
    options: dict[str, Any] = uvicorn_options(settings)
    if settings.log_json:
        options["log_config"] = uvicorn_log_config(service, settings.log_level.upper())
        logging.config.dictConfig(options["log_config"])
    else:
        logging.basicConfig(level=settings.log_level.upper(), stream=sys.stdout)
    if settings.metrics_port is not None:
        start_metrics_server(settings.metrics_port, host=args.metrics_host)
        log.info("metrics on port %d", settings.metrics_port)
    if args.seed_data:
        copied = seed_data_dir(Path(args.seed_data), settings.data_dir)
        if copied:
            log.info(
                "seeded the reference data from %s",
                args.seed_data,
                extra={"data_dir": str(settings.data_dir), "files": [str(p) for p in copied]},
            )
    uvicorn.run(app, host=args.host, port=args.port, **options)
    return 0


def start_metrics_server(port: int, *, host: str = "0.0.0.0") -> Any:
    """/metrics of this process on a port of its own (`XIETONG_METRICS_PORT`), in a thread
    beside uvicorn: Prometheus scrapes it on the internal network, and the API's port, which a
    reverse proxy publishes, no longer has the route. Returns the server (tests stop it)."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host)
    return server


def add_serve_command(subparsers: Any) -> None:
    """Register `serve APP` on the `xietong` parser."""
    serve = subparsers.add_parser(
        "serve", help="run a service under uvicorn with JSON logs (what the containers run)"
    )
    serve.add_argument(
        "app", help="a service (referral, …) or module:attribute (referral.main:app)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--service", help="name in the logs (default: XIETONG_SERVICE_NAME)")
    serve.add_argument(
        "--metrics-host",
        default="0.0.0.0",
        help="address of the metrics port (XIETONG_METRICS_PORT), when there is one",
    )
    serve.add_argument(
        "--seed-data",
        default=os.environ.get("XIETONG_DATA_SEED_DIR") or None,
        metavar="DIR",
        help="seed XIETONG_DATA_DIR from DIR the first time (default: XIETONG_DATA_SEED_DIR)",
    )
    serve.set_defaults(func=cmd_serve)
