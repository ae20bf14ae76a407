"""`xietong audit …`: verify a service's audit chain against its signed checkpoints, sign a
checkpoint now, print a service's public keys, export its checkpoints, make a key.

The service's settings come from the environment as the service reads them
(`XIETONG_AUDIT_*`, the Kafka client settings), so run these where the service runs (e.g.
`docker compose exec referral xietong audit checkpoint referral`) or with the same
variables; an outsider gives `--keys` and `--checkpoints` of their own (docs/audit.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xietong_common.services import SERVICES


@dataclass(frozen=True)
class Locations:
    """How the `xietong` command finds a service's database and Kafka (cli/main.py's resolvers,
    which fall back to the local stack when the devtools are installed)."""

    database_url: Callable[[str], str]
    kafka_bootstrap: Callable[[], str]


def add_audit_commands(subparsers: Any, locations: Locations) -> None:
    audit = subparsers.add_parser("audit", help="the audit trail: verify, checkpoints, keys")
    sub = audit.add_subparsers(dest="audit_command", required=True)

    verify = sub.add_parser(
        "verify",
        help="recompute a service's audit chain and check it against its signed checkpoints",
        description="Reports edited or deleted rows, the newest rows truncated and the chain "
        "rewritten end to end (a signed checkpoint the chain no longer matches), and "
        "checkpoints whose signature does not verify with a trusted key. Exit status 1 on "
        "any problem.",
    )
    verify.add_argument("service", choices=list(SERVICES))
    verify.add_argument(
        "--checkpoints",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="exported checkpoints (JSON lines; repeatable), e.g. an auditor's own copy",
    )
    verify.add_argument(
        "--keys",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="trust only these PEM public keys (repeatable); default: the keys the service "
        "knows, its current and earlier ones (docs/audit.md)",
    )
    verify.add_argument(
        "--deployment",
        metavar="ID",
        help="judge the database against checkpoints this deployment signed (default: "
        "XIETONG_DEPLOYMENT_ID, as the service reads it); others are counted, not judged",
    )
    verify.add_argument("--no-kafka", action="store_true", help=f"do not read the {_topic()} topic")
    verify.add_argument(
        "--no-recorded",
        action="store_true",
        help="do not read the checkpoints the service recorded in its own database",
    )
    verify.set_defaults(func=lambda args: _verify(args, locations))

    checkpoint = sub.add_parser(
        "checkpoint",
        help="sign the service's chain head now and publish it (through its outbox)",
    )
    checkpoint.add_argument("service", choices=list(SERVICES))
    checkpoint.set_defaults(func=lambda args: _checkpoint(args, locations))

    public = sub.add_parser(
        "public-key",
        help="print the service's public keys (PEM): the current one, then earlier ones",
    )
    public.add_argument("service", choices=list(SERVICES))
    public.set_defaults(func=_public_key)

    export = sub.add_parser(
        "export-checkpoints",
        help=f"write the service's signed checkpoints from {_topic()} as JSON lines",
    )
    export.add_argument("service", choices=list(SERVICES))
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(func=lambda args: _export(args, locations))

    keygen = sub.add_parser(
        "keygen", help="make a new signing key file (PEM, mode 0600) and print its public key"
    )
    keygen.add_argument("--algorithm", choices=["ed25519", "sm2"], default="ed25519")
    keygen.add_argument("--out", type=Path, required=True, help="the key file; never overwritten")
    keygen.set_defaults(func=_keygen)


def _topic() -> str:
    from xietong_common.contracts.audit import CHECKPOINT_TOPIC

    return CHECKPOINT_TOPIC


def _settings() -> Any:
    from xietong_common.settings import ServiceSettings

    return ServiceSettings()


def _verify(args: argparse.Namespace, locations: Locations) -> int:
    from xietong_common.attestation.verification import (
        Reading,
        read_files,
        read_recorded,
        read_topic,
        render,
        verify_audit,
    )
    from xietong_common.audit.crypto import AuditKeyError
    from xietong_common.audit.keys import read_public_keys, service_public_keys
    from xietong_common.clock import SystemClock
    from xietong_common.db import Database
    from xietong_common.events.kafka_security import client_options
    from xietong_common.events.namespace import Namespace

    settings = _settings()
    deployment = args.deployment or settings.deployment_id
    try:
        keys = (
            read_public_keys(args.keys)
            if args.keys
            else service_public_keys(settings, args.service)
        )
    except AuditKeyError as exc:
        print(f"{args.service}: cannot verify: {exc}", file=sys.stderr)
        return 1
    url = locations.database_url(args.service)  # may start the local stack: outside the loop
    bootstrap = None if args.no_kafka else locations.kafka_bootstrap()

    async def run() -> int:
        readings: list[Reading] = []
        if bootstrap is not None:
            readings.append(
                await read_topic(
                    bootstrap,
                    service=args.service,
                    options=client_options(settings),
                    namespace=Namespace(settings.kafka_namespace),
                )
            )
        if args.checkpoints:
            readings.append(read_files(args.checkpoints, service=args.service))
        db = Database(url, clock=SystemClock(), service_name=args.service)
        try:
            # One snapshot: the service may be writing while an auditor verifies.
            async with db.snapshot() as conn:
                if not args.no_recorded:
                    readings.append(await read_recorded(conn, service=args.service))
                report = await verify_audit(
                    conn,
                    service=args.service,
                    readings=readings,
                    keys=keys,
                    deployment=deployment,
                )
        finally:
            await db.dispose()
        for line in render(report):
            print(line)
        return 0 if report.ok else 1

    return asyncio.run(run())


def _checkpoint(args: argparse.Namespace, locations: Locations) -> int:
    from xietong_common.attestation.checkpoints import create_checkpoint
    from xietong_common.audit.crypto import AuditKeyError
    from xietong_common.audit.keys import service_signing_key
    from xietong_common.auth import Principal
    from xietong_common.clock import SystemClock
    from xietong_common.db import Database

    settings = _settings()
    try:
        key = service_signing_key(settings, args.service)
    except AuditKeyError as exc:
        print(f"{args.service}: no checkpoint signed: {exc}", file=sys.stderr)
        return 1
    url = locations.database_url(args.service)

    async def run() -> int:
        db = Database(url, clock=SystemClock(), service_name=args.service)
        try:
            async with db.uow(actor=Principal.system(args.service)) as uow:
                signed = await create_checkpoint(
                    uow,
                    service=args.service,
                    key=key,
                    deployment=settings.deployment_id,
                    force=True,
                )
        finally:
            await db.dispose()
        if signed is None:
            print(f"{args.service}: the audit chain is empty: nothing to sign")
            return 0
        print(signed.model_dump_json())
        print(
            f"{args.service}: signed row {signed.seq} with key {signed.key_id[:16]}…; the "
            f"service's outbox relay publishes it to {_topic()}",
            file=sys.stderr,
        )
        return 0

    return asyncio.run(run())


def _public_key(args: argparse.Namespace) -> int:
    from xietong_common.audit.crypto import AuditKeyError
    from xietong_common.audit.keys import service_public_keys, signing_key_path

    settings = _settings()
    try:
        keys = service_public_keys(settings, args.service)
    except AuditKeyError as exc:
        print(f"{args.service}: {exc}", file=sys.stderr)
        return 1
    if not keys:
        print(
            f"{args.service}: no signing key yet at {signing_key_path(settings, args.service)} "
            "(the service makes it at its first start, or `xietong audit keygen`)",
            file=sys.stderr,
        )
        return 1
    for n, key in enumerate(keys):
        state = "current" if n == 0 else "earlier"
        print(
            f"# xietong audit checkpoint key of {args.service} ({state}): {key.algorithm}, "
            f"key id {key.key_id}"
        )
        print(key.pem(), end="")
    return 0


def _export(args: argparse.Namespace, locations: Locations) -> int:
    from xietong_common.attestation.verification import read_topic
    from xietong_common.events.kafka_security import client_options
    from xietong_common.events.namespace import Namespace

    settings = _settings()
    bootstrap = locations.kafka_bootstrap()
    reading = asyncio.run(
        read_topic(
            bootstrap,
            service=args.service,
            options=client_options(settings),
            namespace=Namespace(settings.kafka_namespace),
        )
    )
    for problem in reading.problems:
        print(f"{args.service}: {problem}", file=sys.stderr)
    # The events as they are on the topic (CloudEvents, one per line): `verify --checkpoints`
    # reads them back, and so can any JSON tool.
    text = "".join(
        json.dumps(found.envelope, ensure_ascii=False, sort_keys=True) + "\n"
        for found in reading.found
        if found.envelope is not None
    )
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(
            f"{args.service}: wrote {len(reading.found)} checkpoint(s) to {args.out}",
            file=sys.stderr,
        )
    return 1 if reading.problems else 0


def _keygen(args: argparse.Namespace) -> int:
    from xietong_common.audit.crypto import generate_key
    from xietong_common.audit.keys import write_signing_key

    key = generate_key(args.algorithm)
    try:
        write_signing_key(args.out, key)
    except FileExistsError:
        print(f"{args.out} exists: a key file is never overwritten", file=sys.stderr)
        return 1
    print(f"# {args.algorithm} key id {key.key_id}, private key in {args.out}")
    print(key.public.pem(), end="")
    return 0
