"""`xietong oversight …`: the oversight service's commands, added to the `xietong` command
through the `xietong.cli` entry point (pyproject.toml). Light to import: every `xietong`
call loads it; the work is imported when a command runs.

`xietong oversight rebuild [--database-url URL]` replays the accountability topics from
their beginning into an empty ledger (oversight.service.rebuild); the database is the
oversight service's (XIETONG_DATABASE_URL, else the local stack's) unless given, and is
migrated first. Run it where the service runs, with its settings (Kafka, namespace).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any


def install(extension: Any) -> None:
    """The `xietong.cli` entry point: `xietong oversight rebuild`."""
    oversight = extension.subparsers.add_parser(
        "oversight", help="督察 (oversight): rebuild the ledger from the broker"
    )
    sub = oversight.add_subparsers(dest="oversight_command", required=True)
    rebuild = sub.add_parser(
        "rebuild",
        help="replay the accountability topics from the beginning into an empty ledger",
        description="A fresh consumer group (oversight-rebuild-…) reads every topic the "
        "oversight service consumes, from its earliest event to the end it has when the "
        "rebuild starts, through the service's inbox and handlers, into an EMPTY database "
        "(migrated first). The live service and its consumer group are not touched. Exit "
        "status 1 if the database already holds a ledger.",
    )
    rebuild.add_argument(
        "--database-url",
        help="the empty database to rebuild into (default: the oversight service's)",
    )
    rebuild.set_defaults(func=lambda args: _rebuild(args, extension))


def _rebuild(args: argparse.Namespace, extension: Any) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    url = args.database_url or extension.database_url("oversight")
    return asyncio.run(_run(url, extension.kafka_bootstrap()))


async def _run(database_url: str, kafka_bootstrap: str) -> int:
    from oversight.errors import LedgerNotEmpty
    from oversight.main import SPEC
    from oversight.service.rebuild import new_group, rebuild_ledger
    from oversight.settings import OversightSettings
    from xietong_common.context import build_context
    from xietong_common.contracts.audit import AuditCheckpointSigned
    from xietong_common.migrations import upgrade_to_head_async

    settings = OversightSettings(database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap)
    await upgrade_to_head_async(SPEC.migrations_dir, database_url)
    ctx = build_context(settings, service=SPEC.name)
    try:
        # The ledger's topics only: the outsider's checkpoints (SUP-01) are not facts of the
        # ledger, and judging them again would raise and publish their alarms a second time.
        ledger = {m: h for m, h in SPEC.handlers.items() if m is not AuditCheckpointSigned}
        report = await rebuild_ledger(ctx, ledger, group=new_group(ctx.clock.now()))
    except LedgerNotEmpty as exc:
        print(f"xietong oversight rebuild: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await ctx.db.dispose()
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(report.outcomes.items())) or "none"
    print(
        f"rebuilt the ledger from {report.events} events on {report.partitions} partitions "
        f"(consumer group {report.group}): {outcomes}; "
        f"{report.facts} facts, {report.deadlines} deadlines"
    )
    return 0
