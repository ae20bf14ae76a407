"""Check a service's audit chain against the signed checkpoints one can read: from the
`audit.checkpoint` topic, from the service's own record, and from files of exported
checkpoints an outsider keeps (`xietong audit verify SERVICE`).

Only checkpoints signed by a trusted key count as evidence; one that is not (a forgery, a
copy re-signed with another key) is itself reported. The trusted checkpoints of this chain
then say which row had which hash: a row that is gone shows the newest rows truncated, a
hash that differs shows the chain rewritten (`verify_chain` with their claims). Checkpoints
of another chain of the same service show the chain replaced, or the database rebuilt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from xietong_common.attestation.checkpoints import (
    describe,
    read_head,
    service_of,
    signature_problem,
)
from xietong_common.audit.chain import ChainReport, CheckpointClaim, verify_chain
from xietong_common.audit.crypto import PublicKey
from xietong_common.audit.keys import service_public_keys
from xietong_common.context import ServiceContext
from xietong_common.contracts.audit import CHECKPOINT_TOPIC, AuditCheckpointSigned
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.namespace import Namespace
from xietong_common.jobs import Job, PeriodicJob
from xietong_common.metrics import AUDIT_CHAIN_VERIFIED, AUDIT_VERIFY_LAST_RUN
from xietong_common.tables import audit_checkpoints
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)

CHECKPOINT_TYPE = AuditCheckpointSigned.spec.type


@dataclass(frozen=True)
class Found:
    """A checkpoint and where it was read (`audit.checkpoint[0]@17`, `exported.jsonl:3`)."""

    checkpoint: AuditCheckpointSigned
    origin: str
    envelope: dict[str, Any] | None = None  # the CloudEvent as read from the topic


@dataclass
class Reading:
    """What one source gave: checkpoints of the service, and what was wrong with it."""

    source: str
    found: list[Found] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _brief(exc: Exception) -> str:
    """One line of why a value is not a checkpoint."""
    if isinstance(exc, ValidationError):
        found = [f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()]
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        return "; ".join(found[:3]) + more
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def checkpoint_of(value: Mapping[str, Any]) -> AuditCheckpointSigned | None:
    """A checkpoint from a CloudEvent (as on the topic) or a bare payload; None if the
    object is another event. Raises ValidationError if it is a malformed checkpoint."""
    if "data" in value and "type" in value:
        if value["type"] != CHECKPOINT_TYPE:
            return None
        return AuditCheckpointSigned.model_validate(value["data"])
    return AuditCheckpointSigned.model_validate(value)


async def read_topic(
    bootstrap: str,
    *,
    service: str,
    options: Mapping[str, Any] | None = None,
    namespace: Namespace,
    timeout_s: float = 30.0,
) -> Reading:
    """Every checkpoint of `service` on the topic (in the deployment's `namespace`), from its
    first offset to its end now. No consumer group (nothing committed), so a read-only
    integrator account suffices."""
    topic = namespace.topic(CHECKPOINT_TOPIC)
    reading = Reading(source=f"Kafka topic {topic}")
    consumer = AIOKafkaConsumer(
        **(options or {}),
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=10_000,
    )
    try:
        async with asyncio.timeout(timeout_s):
            try:
                await consumer.start()
                await _read_partitions(consumer, topic, service, reading)
            finally:
                await consumer.stop()
    except Exception as exc:  # unreachable, refused, timed out: the reader cannot vouch
        reading.problems.append(
            f"could not read {topic} from Kafka ({bootstrap}): {type(exc).__name__}: {exc}"
        )
    return reading


async def _read_partitions(
    consumer: AIOKafkaConsumer, topic: str, service: str, reading: Reading
) -> None:
    if topic not in await consumer.topics():
        reading.notes.append(f"the topic {topic} does not exist (yet)")
        return
    # Without a group, a subscription is assigned every partition once metadata arrives.
    consumer.subscribe([topic])
    for _ in range(400):
        if consumer.assignment():
            break
        await asyncio.sleep(0.05)
    else:
        raise TimeoutError(f"no partitions of {topic} were assigned")
    partitions = sorted(consumer.assignment())
    await consumer.seek_to_beginning(*partitions)
    ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    remaining = {tp for tp, end in ends.items() if end > await consumer.position(tp)}
    while remaining:
        batch = await consumer.getmany(*remaining, timeout_ms=1000)
        for tp, records in batch.items():
            for record in records:
                origin = f"{topic}[{tp.partition}]@{record.offset}"
                _take(record.key, record.value, list(record.headers), service, reading, origin)
        for tp in list(remaining):
            if await consumer.position(tp) >= ends[tp]:
                remaining.discard(tp)


def _take(
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    service: str,
    reading: Reading,
    origin: str,
) -> None:
    try:
        envelope = CloudEvent.from_kafka(value or b"", headers).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        checkpoint = checkpoint_of(envelope)
    except (ValidationError, ValueError) as exc:
        # Another service's junk is its own auditors' business; this service's is ours.
        if key is not None and key.decode(errors="replace") == service:
            reading.problems.append(f"{origin} (key {service}) is not a checkpoint: {_brief(exc)}")
        return
    if checkpoint is not None and checkpoint.service == service:
        reading.found.append(Found(checkpoint, origin, envelope))


def read_files(paths: Iterable[Path], *, service: str) -> Reading:
    """Exported checkpoints: JSON lines (or one JSON array) of CloudEvents as on the topic,
    or of bare checkpoint payloads (`xietong audit export-checkpoints` writes the former)."""
    reading = Reading(source="files")
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reading.problems.append(f"cannot read {path}: {exc}")
            continue
        items: list[tuple[str, Any]]
        if text.lstrip().startswith("["):
            try:
                items = [(f"{path}[{n}]", v) for n, v in enumerate(json.loads(text))]
            except json.JSONDecodeError as exc:
                reading.problems.append(f"{path} is not JSON: {exc}")
                continue
        else:
            items = []
            for n, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    items.append((f"{path}:{n}", json.loads(line)))
                except json.JSONDecodeError as exc:
                    reading.problems.append(f"{path}:{n} is not JSON: {exc}")
        for origin, value in items:
            try:
                checkpoint = checkpoint_of(value) if isinstance(value, dict) else None
            except ValidationError as exc:
                reading.problems.append(f"{origin} is not a valid checkpoint: {_brief(exc)}")
                continue
            if checkpoint is None:
                reading.notes.append(f"{origin} is not a checkpoint (skipped)")
            elif checkpoint.service == service:
                reading.found.append(Found(checkpoint, origin))
    return reading


async def read_recorded(conn: AsyncSession | AsyncConnection, *, service: str) -> Reading:
    """The checkpoints the service recorded signing (its database: an intruder may delete
    them, which is why the topic and exported copies are the evidence)."""
    reading = Reading(source="the service's database")
    rows = (
        await conn.execute(sa.select(audit_checkpoints).order_by(audit_checkpoints.c.id))
    ).mappings()
    for row in rows:
        try:
            checkpoint = AuditCheckpointSigned(
                service=row["service"],
                chain_id=str(row["chain_id"]),
                seq=row["seq"],
                hash=row["hash"],
                hash_algorithm=row["hash_alg"],
                signed_at=row["signed_at"],
                key_id=row["key_id"],
                signature_algorithm=row["signature_alg"],
                signature=row["signature"],
                deployment=row["deployment"],
                previous_seq=row.get("previous_seq"),
                previous_hash=row.get("previous_hash"),
            )
        except ValidationError as exc:
            reading.problems.append(
                f"audit_checkpoints row {row['id']} is malformed: {_brief(exc)}"
            )
            continue
        if checkpoint.service == service:
            reading.found.append(Found(checkpoint, f"audit_checkpoints#{row['id']}"))
    return reading


@dataclass
class AuditReport:
    service: str
    chain: ChainReport
    chain_id: str
    readings: list[Reading]
    checkpoints: int  # distinct checkpoints read
    trusted: int  # ... signed by a trusted key, of this chain
    keys: int
    problems: list[str]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_audit(
    conn: AsyncSession | AsyncConnection,
    *,
    service: str,
    readings: Sequence[Reading],
    keys: Sequence[PublicKey],
    deployment: str,
) -> AuditReport:
    """The chain of `conn`'s database against every checkpoint of `deployment` read, with the
    trusted keys. `conn` reads one snapshot (`Database.snapshot`) where the service may be
    writing meanwhile. Checkpoints another deployment signed (a staging system on the same broker)
    are not evidence about this database: they are counted in a note, never judged."""
    by_id = {key.key_id: key for key in keys}
    problems: list[str] = [p for r in readings for p in r.problems]
    notes: list[str] = [n for r in readings for n in r.notes]
    # The same checkpoint read from several sources counts once.
    distinct: dict[tuple[str, str], Found] = {}
    elsewhere: dict[str, int] = {}
    for reading in readings:
        for found in reading.found:
            signer = found.checkpoint.deployment
            if signer is not None and signer != deployment:
                elsewhere[signer] = elsewhere.get(signer, 0) + 1
                continue
            distinct.setdefault((found.checkpoint.key_id, found.checkpoint.signature), found)
    for signer, count in sorted(elsewhere.items()):
        notes.append(
            f"{count} checkpoint reading(s) signed by deployment {signer!r}, not {deployment!r}: "
            "not judged against this database"
        )
    head = await read_head(conn)
    claims: list[CheckpointClaim] = []
    others: dict[str, list[AuditCheckpointSigned]] = {}
    for found in distinct.values():
        checkpoint = found.checkpoint
        problem = signature_problem(checkpoint, by_id)
        if problem is not None:
            problems.append(f"{problem} [{found.origin}]")
        elif checkpoint.chain_id != head.chain_id:
            others.setdefault(checkpoint.chain_id, []).append(checkpoint)
        else:
            claims.append(
                CheckpointClaim(
                    checkpoint.seq, checkpoint.hash, f"{describe(checkpoint)} [{found.origin}]"
                )
            )
    for chain_id, theirs in sorted(others.items()):
        newest = max(theirs, key=lambda c: (c.signed_at, c.seq))
        problems.append(
            f"{len(theirs)} signed checkpoint(s) name chain {chain_id}, not this database's chain "
            f"{head.chain_id} (the newest: row {newest.seq} signed {newest.signed_at:%Y-%m-%d %H:%M} "
            "UTC): the chain was replaced, or the database rebuilt from scratch"
        )
    if distinct and not keys:
        notes.append(
            "no trusted public keys: give the service's keys with --keys (xietong audit public-key)"
        )
    chain = await verify_chain(conn, claims)
    return AuditReport(
        service=service,
        chain=chain,
        chain_id=head.chain_id,
        readings=list(readings),
        checkpoints=len(distinct),
        trusted=len(claims),
        keys=len(keys),
        problems=[*problems, *chain.problems],
        notes=notes,
    )


def render(report: AuditReport) -> list[str]:
    """The report as lines for a terminal."""
    chain = report.chain
    lines: list[str] = []
    if report.ok:
        lines.append(f"{report.service}: audit chain intact ({chain.rows} rows)")
    else:
        lines.append(f"{report.service}: audit chain BROKEN ({chain.rows} rows)")
    algorithms = ", ".join(f"{n} {a}" for a, n in sorted(chain.algorithms.items()))
    lines.append(f"  chain {report.chain_id}, rows hashed with {algorithms or 'nothing yet'}")
    read = "; ".join(f"{len(r.found)} from {r.source}" for r in report.readings)
    lines.append(
        f"  checkpoints: {report.checkpoints} distinct ({read or 'no source'}), "
        f"{report.trusted} of this chain signed with one of {report.keys} trusted key(s)"
    )
    if chain.newest_matched_seq is not None:
        tail = chain.last_seq - chain.newest_matched_seq
        lines.append(
            f"  {chain.claims_matched} signed row(s) match; the newest is row "
            f"{chain.newest_matched_seq}"
            + (f"; the {tail} row(s) after it are not covered by a checkpoint yet" if tail else "")
        )
    elif chain.rows and report.ok:
        lines.append("  no signed checkpoint covers this chain yet: only edits can be detected")
    lines += [f"  - {p}" for p in report.problems]
    lines += [f"  note: {n}" for n in report.notes]
    return lines


# The periodic verification judges the chain against this many of the newest checkpoints the
# service recorded: the newest signs a hash that covers every row before it, so an edit,
# a removal or a rewrite anywhere below it shows; a few more cover a chain cut back below it.
RECENT_CHECKPOINTS = 3


def audit_verify_job() -> PeriodicJob:
    """Every `audit_verify_every_s`, the service verifies its own chain against the newest
    checkpoints it recorded (signed with its trusted keys) and reports the result as
    `xietong_audit_chain_verified` (alert XietongAuditVerificationFailing). It reads no
    Kafka: `xietong audit verify SERVICE` also reads the topic and an auditor's files."""

    def make(ctx: ServiceContext) -> Job:
        service = service_of(ctx)
        keys = service_public_keys(ctx.settings, service)
        name = ctx.db.service_name

        async def run(uow: UnitOfWork) -> None:
            # The unit of work holds the job's lock (one replica verifies at a time); the
            # reads are of one snapshot, so that what the service commits meanwhile cannot
            # look like a chain cut short.
            async with ctx.db.snapshot() as conn:
                reading = await read_recorded(conn, service=service)
                mine = [
                    f
                    for f in reading.found
                    if f.checkpoint.deployment in (None, ctx.settings.deployment_id)
                ]
                mine.sort(key=lambda f: (f.checkpoint.signed_at, f.checkpoint.seq))
                reading.found = mine[-RECENT_CHECKPOINTS:]
                report = await verify_audit(
                    conn,
                    service=service,
                    readings=[reading],
                    keys=keys,
                    deployment=ctx.settings.deployment_id,
                )
            AUDIT_CHAIN_VERIFIED.labels(name).set(1 if report.ok else 0)
            AUDIT_VERIFY_LAST_RUN.labels(name).set(time.time())
            if not report.ok:
                log.error(
                    "the audit chain of %s does not verify: %s (xietong audit verify %s)",
                    service,
                    "; ".join(report.problems[:5]),
                    service,
                )

        return run

    return PeriodicJob(name="audit-verify", interval=lambda s: s.audit_verify_every_s, job=make)
