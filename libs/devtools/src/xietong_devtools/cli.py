"""`xietong stack up|down|status` and `xietong run`, added to the `xietong` command when the
devtools are installed (entry point `xietong.cli`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from xietong_devtools.stack import (
    StackError,
    ensure_stack,
    service_database_url,
    stack_down,
    stack_status,
)

if TYPE_CHECKING:
    from xietong_common.cli.main import CliExtension


def cmd_up(args: argparse.Namespace) -> int:
    try:
        info = ensure_stack(kafka=not args.postgres_only)
    except StackError as exc:
        print(f"stack not started: {exc}")
        return 1
    print(
        f"PostgreSQL  {info.postgres_admin_url.split('@')[-1]}{' (external)' if info.postgres_external else ''}"
    )
    if info.kafka_bootstrap:
        print(f"Kafka       {info.kafka_bootstrap}{' (external)' if info.kafka_external else ''}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stopped = stack_down(delete_data=args.delete_data)
    print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    for part, state in stack_status().items():
        print(f"{part:<9} {state}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from xietong_devtools.run import run_services

    return run_services(host=args.host)


def cmd_deploy_kafka_init(args: argparse.Namespace) -> int:
    from xietong_devtools.deploy import kafka_init_is_current, kafka_init_path, write_kafka_init

    if args.check:
        if kafka_init_is_current():
            return 0
        print(f"{kafka_init_path()} is out of date: run `uv run xietong deploy kafka-init`")
        return 1
    print(f"wrote {write_kafka_init()}")
    return 0


def install(extension: CliExtension) -> None:
    """The `xietong.cli` entry point: the stack commands, and the stack's databases and Kafka
    as the fallback when no XIETONG_DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS is set."""
    subparsers = extension.subparsers
    extension.database_url_fallbacks.append(lambda pkg: service_database_url(ensure_stack(), pkg))
    extension.kafka_bootstrap_fallbacks.append(lambda: ensure_stack().kafka_bootstrap or "")
    stack = subparsers.add_parser("stack", help="the local Kafka + PostgreSQL stack")
    sub = stack.add_subparsers(dest="stack_command", required=True)
    up = sub.add_parser("up", help="start (idempotent) and wait until both answer")
    up.add_argument("--postgres-only", action="store_true", help="start PostgreSQL only, not Kafka")
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="stop what the stack started")
    down.add_argument(
        "--delete-data",
        action="store_true",
        help="also delete PostgreSQL's files kept outside .local/ (as root: /var/lib/xietong-pg/…)",
    )
    down.set_defaults(func=cmd_down)
    sub.add_parser("status", help="what is running").set_defaults(func=cmd_status)
    deploy = subparsers.add_parser("deploy", help="files of the docker compose deployment")
    deploy_sub = deploy.add_subparsers(dest="deploy_command", required=True)
    kafka_init = deploy_sub.add_parser(
        "kafka-init",
        help="regenerate deploy/kafka/init-acls.sh (Kafka users and ACLs) from the event registry",
    )
    kafka_init.add_argument("--check", action="store_true", help="fail if it is out of date")
    kafka_init.set_defaults(func=cmd_deploy_kafka_init)
    run = subparsers.add_parser("run", help="bring the stack up and run the six services")
    run.add_argument("--host", default="127.0.0.1")
    run.set_defaults(func=cmd_run)
    from xietong_devtools.faults.cli import add_faults_command

    add_faults_command(subparsers)
