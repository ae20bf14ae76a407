"""The `xietong` command: local stack, migrations, tokens, the audit trail, calendar, docs."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from xietong_common.services import SERVICES
from xietong_common.settings import ServiceSettings, project_root


@dataclass
class CliExtension:
    """What an installed plugin (entry point group `xietong.cli`, e.g. xietong-devtools) may
    add: subcommands, and where a service's database is when no URL is configured."""

    subparsers: Any
    database_url_fallbacks: list[Callable[[str], str]] = field(default_factory=list)
    kafka_bootstrap_fallbacks: list[Callable[[], str]] = field(default_factory=list)

    def database_url(self, service: str) -> str:
        """Where a service's database is, as the `xietong` command finds it (for a plugin's
        command such as `xietong oversight rebuild`)."""
        return service_database_url(service)

    def kafka_bootstrap(self) -> str:
        return kafka_bootstrap()


_EXTENSION = CliExtension(subparsers=None)


def service_database_url(service: str) -> str:
    """The service's DB: XIETONG_DATABASE_URL if set, else a plugin's (the local stack's)."""
    if "XIETONG_DATABASE_URL" in os.environ or "DATABASE_URL" in os.environ:
        return ServiceSettings().database_url
    for fallback in _EXTENSION.database_url_fallbacks:
        return fallback(SERVICES[service])
    raise SystemExit(f"set XIETONG_DATABASE_URL to the {service} service's database")


def kafka_bootstrap() -> str:
    """Kafka: XIETONG_KAFKA_BOOTSTRAP_SERVERS if set, else a plugin's (the local stack's)."""
    if "XIETONG_KAFKA_BOOTSTRAP_SERVERS" in os.environ or "KAFKA_BOOTSTRAP_SERVERS" in os.environ:
        return ServiceSettings().kafka_bootstrap_servers
    for fallback in _EXTENSION.kafka_bootstrap_fallbacks:
        return fallback()
    return ServiceSettings().kafka_bootstrap_servers


def _migrations_dir(service: str) -> Path:
    module = importlib.import_module(f"{SERVICES[service]}.main")
    return Path(module.SPEC.migrations_dir)


def cmd_migrate(args: argparse.Namespace) -> int:
    from xietong_common.migrations import upgrade_to_head

    targets = list(SERVICES) if args.service == "all" else [args.service]
    for service in targets:
        url = service_database_url(service)
        upgrade_to_head(_migrations_dir(service), url)
        print(f"{service}: migrated to head")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from xietong_common.auth import mint_token

    roles = [r for part in args.roles for r in part.split(",") if r]
    print(
        mint_token(
            ServiceSettings(),
            org=args.org,
            user=args.user or f"{args.org}/dev",
            roles=roles,
            ttl_s=args.ttl,
        )
    )
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """docs/events.md, docs/asyncapi.yaml (the contracts) and docs/openapi/*.json (the APIs,
    with their OpenAPI 3.0 renderings in docs/openapi/3.0/)."""
    from xietong_common.cli.event_docs import rendered as event_docs
    from xietong_common.cli.openapi_docs import rendered as api_docs

    out = Path(args.out)
    files = {**event_docs(out), **api_docs(out)}
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text("utf-8") != text]
        for path in stale:
            print(f"{path} is out of date: run `uv run xietong docs`")
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xietong", description="xietong (协同) operations")
    sub = parser.add_subparsers(dest="command", required=True)

    from xietong_common.cli.calendar import add_calendar_commands

    add_calendar_commands(sub)
    from xietong_common.cli.serve import add_serve_command

    add_serve_command(sub)
    _EXTENSION.subparsers = sub
    _EXTENSION.database_url_fallbacks.clear()
    _EXTENSION.kafka_bootstrap_fallbacks.clear()
    for plugin in entry_points(group="xietong.cli"):
        plugin.load()(_EXTENSION)

    migrate = sub.add_parser("migrate", help="apply a service's migrations (or all)")
    migrate.add_argument("service", choices=[*SERVICES, "all"], nargs="?", default="all")
    migrate.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="mint a local HS256 token for development")
    token.add_argument(
        "--org", required=True, help="town:<slug>, dept:<slug>, justice-bureau, district-gov"
    )
    token.add_argument("--roles", nargs="*", default=[], help="e.g. handler leader clerk reviewer")
    token.add_argument("--user", help="the person (default: <org>/dev)")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="seconds")
    token.set_defaults(func=cmd_token)

    from xietong_common.cli.audit import Locations, add_audit_commands

    add_audit_commands(sub, Locations(service_database_url, kafka_bootstrap))
    from xietong_common.cli.dlq import add_dlq_commands

    add_dlq_commands(sub, Locations(service_database_url, kafka_bootstrap))

    docs = sub.add_parser(
        "docs",
        help="regenerate docs/events.md, docs/asyncapi.yaml, docs/openapi/*.json and "
        "docs/openapi/3.0/*.json",
    )
    docs.add_argument("--out", default=str(project_root() / "docs"))
    docs.add_argument("--check", action="store_true", help="fail if the files are out of date")
    docs.set_defaults(func=cmd_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
