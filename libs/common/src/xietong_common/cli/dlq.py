"""`xietong dlq list | replay`: a service's dead letters (`xietong_common.messaging.
dead_letters`), listed, and re-driven through its inbox after the cause was fixed.

Run where the service runs, with its settings (`docker compose exec referral xietong dlq
list`; in Kubernetes `kubectl exec deploy/xietong-referral -- xietong dlq list`): its Kafka
principal reads its `.dlq` topics in its replay group, and the namespace
(`XIETONG_KAFKA_NAMESPACE`) names the deployment's topics. The service is
`XIETONG_SERVICE_NAME` unless `--service` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from typing import Any

from xietong_common.cli.audit import Locations
from xietong_common.services import SERVICES


def add_dlq_commands(subparsers: Any, locations: Locations) -> None:
    dlq = subparsers.add_parser(
        "dlq", help="dead letters: list what a service could not handle, re-drive it after a fix"
    )
    sub = dlq.add_subparsers(dest="dlq_command", required=True)

    listing = sub.add_parser(
        "list",
        help="the service's dead letters not yet re-driven (--all: every one kept)",
        description="One line per letter: where it was consumed, the event, why it failed.",
    )
    listing.add_argument("topic", nargs="?", help="a consumed topic (default: all of them)")
    _common(listing)
    listing.add_argument("--all", action="store_true", help="also those already re-driven")
    listing.add_argument("--json", action="store_true", help="JSON lines instead of text")
    listing.set_defaults(func=lambda args: _list(args, locations))

    again = sub.add_parser(
        "replay",
        help="hand the dead letters of TOPIC back to the service's inbox (after a fix)",
        description="Each letter of this service is handled as the consumer would have: the "
        "same checks, the inbox's deduplication (one already handled is a duplicate), "
        "dead-lettered again if it still fails. Letters refused as a forged source are skipped "
        "unless --force. The replay group then commits past what was read.",
    )
    again.add_argument("topic", help="the consumed topic, e.g. review.opinion")
    _common(again)
    again.add_argument(
        "--force",
        action="store_true",
        help="also re-drive letters refused as a forged source (after the registry was "
        "corrected); they are checked again like any event",
    )
    again.add_argument("--all", action="store_true", help="from the first letter kept")
    again.add_argument("--dry-run", action="store_true", help="say what would be re-driven")
    again.set_defaults(func=lambda args: _replay(args, locations))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--service",
        choices=list(SERVICES),
        default=os.environ.get("XIETONG_SERVICE_NAME")
        if os.environ.get("XIETONG_SERVICE_NAME") in SERVICES
        else None,
        help="whose dead letters (default: XIETONG_SERVICE_NAME)",
    )


def _spec(service: str) -> Any:
    return importlib.import_module(f"{SERVICES[service]}.main").SPEC


def _topics(args: argparse.Namespace) -> list[str] | None:
    """The consumed topics asked about, or None (with a message) if there is none."""
    from xietong_common.events.registry import registry

    if args.service is None:
        print("dlq: say whose dead letters: --service (or XIETONG_SERVICE_NAME)", file=sys.stderr)
        return None
    consumed = sorted({registry.spec_for(m).topic for m in _spec(args.service).handlers})
    topic = (args.topic or "").removesuffix(".dlq")
    if topic and topic not in consumed:
        print(
            f"dlq: {args.service} consumes {', '.join(consumed) or 'nothing'}, not {topic}",
            file=sys.stderr,
        )
        return None
    return [topic] if topic else consumed


def _settings(service: str) -> Any:
    cls = _spec(service).settings_class
    return cls(service_name=os.environ.get("XIETONG_SERVICE_NAME") or service)


def _describe(letter: Any) -> dict[str, Any]:
    event = letter.event()
    return {
        "topic": letter.topic,
        "dlq": f"{letter.record.topic}[{letter.record.partition}]@{letter.record.offset}",
        "consumed_at": f"{letter.headers.get('x-original-topic', '?')}"
        f"[{letter.headers.get('x-original-partition', '?')}]"
        f"@{letter.headers.get('x-original-offset', '?')}",
        "type": event.type if event else None,
        "id": event.id if event else None,
        "source": event.source if event else None,
        "error_type": letter.error_type,
        "error": letter.error,
        "attempts": letter.attempts,
    }


def _list(args: argparse.Namespace, locations: Locations) -> int:
    from xietong_common.events.kafka_security import client_options
    from xietong_common.events.namespace import Namespace
    from xietong_common.messaging.dead_letters import DeadLetterReader

    topics = _topics(args)
    if topics is None:
        return 2
    settings = _settings(args.service)
    bootstrap = locations.kafka_bootstrap()

    async def run() -> int:
        async with DeadLetterReader(
            bootstrap,
            service=settings.service_name,
            topics=topics,
            namespace=Namespace(settings.kafka_namespace),
            options=client_options(settings),
        ) as reader:
            found = await reader.read(from_start=args.all)
            mine = found.of(reader.consumer_group)
        for letter in mine:
            line = _describe(letter)
            if args.json:
                print(json.dumps(line, ensure_ascii=False))
            else:
                print(
                    f"{line['dlq']}  {line['type'] or '(not an event)'} {line['id'] or ''}"
                    f"  from {line['source'] or '?'}\n    {line['error_type']}"
                    f" after {line['attempts']} attempt(s): {line['error']}"
                )
        if not args.json:
            print(f"{len(mine)} dead letter(s) of {args.service} on {', '.join(topics)}")
        return 0

    return asyncio.run(run())


def _replay(args: argparse.Namespace, locations: Locations) -> int:
    from xietong_common.context import build_context
    from xietong_common.events.kafka import idempotent_producer
    from xietong_common.messaging import bind
    from xietong_common.messaging.dead_letters import DeadLetterReader, replay
    from xietong_common.messaging.inbox import InboxConsumer

    topics = _topics(args)
    if topics is None:
        return 2
    service = args.service
    spec = _spec(service)
    settings = _settings(service).model_copy(
        update={"database_url": locations.database_url(service)}
    )
    bootstrap = locations.kafka_bootstrap()

    async def run() -> int:
        ctx = build_context(settings, service=service)
        try:
            async with DeadLetterReader(
                bootstrap,
                service=settings.service_name,
                topics=topics,
                namespace=ctx.namespace,
                options=ctx.kafka,
            ) as reader:
                found = await reader.read(from_start=args.all)
                mine = found.of(reader.consumer_group)
                if args.dry_run:
                    for letter in mine:
                        line = _describe(letter)
                        verdict = (
                            "skip (forged source)"
                            if letter.forged and not args.force
                            else "re-drive"
                        )
                        print(f"{verdict}: {line['dlq']} {line['type']} {line['id']}")
                    return 0
                inbox = InboxConsumer(
                    ctx.db,
                    bootstrap=bootstrap,
                    handlers=bind(spec.handlers, ctx),
                    max_attempts=settings.inbox_max_attempts,
                    backoff_initial_s=settings.inbox_backoff_initial_s,
                    backoff_max_s=settings.inbox_backoff_max_s,
                    kafka_options=ctx.kafka,
                    namespace=ctx.namespace,
                )
                dlq = idempotent_producer(
                    bootstrap, client_id=f"{reader.group}-replay", options=ctx.kafka
                )
                await dlq.start()
                try:
                    result = await replay(mine, inbox, dlq, force=args.force)
                finally:
                    await dlq.stop()
                await reader.commit(found.ends)
        finally:
            await ctx.db.dispose()
        for letter in result.skipped_forged:
            line = _describe(letter)
            print(
                f"skipped: {line['dlq']} {line['type']} {line['id']} from {line['source']}: "
                f"{line['error']} (a forged source: --force re-drives it once the registry names "
                "its producer)"
            )
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(result.outcomes.items()))
        print(
            f"{args.service}: {sum(result.outcomes.values())} re-driven ({counts or 'none'}), "
            f"{len(result.skipped_forged)} forged skipped"
        )
        again = result.outcomes.get("dead-lettered", 0) + result.outcomes.get("refused", 0)
        return 1 if again else 0

    return asyncio.run(run())
