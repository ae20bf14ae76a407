"""Signed checkpoints of the audit chain: a service signs its chain head (row, hash, time)
with its own key, periodically and on demand, and publishes it through the outbox to the
never-deleting `audit.checkpoint` topic (contract `AuditCheckpointSigned`).

A checkpoint is what the chain alone cannot give: proof from outside the database of what
the chain held. Whoever later truncates the newest rows leaves a signed row that is gone;
whoever recomputes the whole chain leaves a signed hash that no longer matches
(`xietong_common.attestation.verification`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from xietong_common.audit.crypto import PublicKey, SigningKey
from xietong_common.audit.keys import service_signing_key
from xietong_common.context import ServiceContext
from xietong_common.contracts.audit import AuditCheckpointSigned
from xietong_common.jobs import Job, PeriodicJob
from xietong_common.tables import audit_checkpoints, audit_head, audit_log
from xietong_common.uow import UnitOfWork

SIGNED_PREFIX = b"xietong audit checkpoint v1\n"


@dataclass(frozen=True)
class ChainHead:
    """Where the chain is: its identity, the row the head names, that row's hash and function."""

    chain_id: str
    seq: int
    hash: str
    hash_algorithm: str


async def read_head(conn: AsyncSession | AsyncConnection) -> ChainHead:
    row = (
        await conn.execute(
            sa.select(
                audit_head.c.chain_id,
                audit_head.c.last_seq,
                audit_head.c.hash,
                sa.func.coalesce(audit_log.c.hash_alg, "sha256").label("hash_alg"),
            )
            .select_from(audit_head.outerjoin(audit_log, audit_log.c.seq == audit_head.c.last_seq))
            .where(audit_head.c.id == 1)
        )
    ).one()
    return ChainHead(str(row.chain_id), int(row.last_seq), row.hash, row.hash_alg)


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def signed_message(checkpoint: AuditCheckpointSigned) -> bytes:
    """The bytes a checkpoint's signature is over: a fixed prefix naming what they are (so
    the key's signature means nothing elsewhere), then the fields but the signature as JSON
    with sorted keys and no whitespace. With only strings and integers this is RFC 8785."""
    fields: dict[str, str | int] = {
        "service": checkpoint.service,
        "chain_id": checkpoint.chain_id,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "hash_algorithm": checkpoint.hash_algorithm,
        "signed_at": _timestamp(checkpoint.signed_at),
        "key_id": checkpoint.key_id,
        "signature_algorithm": checkpoint.signature_algorithm,
    }
    if checkpoint.deployment is not None:
        fields["deployment"] = checkpoint.deployment
    if checkpoint.previous_seq is not None:
        fields["previous_seq"] = checkpoint.previous_seq
    if checkpoint.previous_hash is not None:
        fields["previous_hash"] = checkpoint.previous_hash
    return (
        SIGNED_PREFIX
        + json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def sign_head(
    head: ChainHead,
    *,
    service: str,
    key: SigningKey,
    at: datetime,
    deployment: str | None = None,
    previous: tuple[int, str] | None = None,
) -> AuditCheckpointSigned:
    """The checkpoint of `head`, signed with `key`; `previous` (row, hash) is the head the
    chain's previous checkpoint signed, when the signer states it."""
    unsigned = AuditCheckpointSigned.model_validate(
        {
            "service": service,
            "chain_id": head.chain_id,
            "seq": head.seq,
            "hash": head.hash,
            "hash_algorithm": head.hash_algorithm,
            "signed_at": at.astimezone(UTC),
            "key_id": key.key_id,
            "signature_algorithm": key.algorithm,
            "signature": "",
            "deployment": deployment,
            "previous_seq": previous[0] if previous else None,
            "previous_hash": previous[1] if previous else None,
        }
    )
    signature = base64.b64encode(key.sign(signed_message(unsigned))).decode()
    return unsigned.model_copy(update={"signature": signature})


def signature_problem(checkpoint: AuditCheckpointSigned, keys: dict[str, PublicKey]) -> str | None:
    """Why `checkpoint` cannot be trusted with these keys (by key id), or None if it can."""
    label = describe(checkpoint)
    key = keys.get(checkpoint.key_id)
    if key is None:
        return (
            f"{label} is signed with key {checkpoint.key_id[:16]}…, which is not a trusted key "
            f"of {checkpoint.service}: forged, or re-signed with another key (or an earlier key "
            "missing from the trusted keys)"
        )
    if key.algorithm != checkpoint.signature_algorithm:
        return (
            f"{label} claims {checkpoint.signature_algorithm} with key {checkpoint.key_id[:16]}…, "
            f"which is an {key.algorithm} key: forged"
        )
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (binascii.Error, ValueError):
        return f"{label}: the signature is not base64: forged or damaged"
    if not key.verify(signed_message(checkpoint), signature):
        return (
            f"{label}: the signature does not verify with key {key.key_id[:16]}…: forged or altered"
        )
    return None


def describe(checkpoint: AuditCheckpointSigned) -> str:
    """`checkpoint (row 42, 2026-12-01 02:03:04 UTC)`, for reports."""
    at = checkpoint.signed_at.astimezone(UTC)
    return f"checkpoint (row {checkpoint.seq}, {at:%Y-%m-%d %H:%M:%S} UTC)"


async def create_checkpoint(
    uow: UnitOfWork, *, service: str, key: SigningKey, deployment: str, force: bool = False
) -> AuditCheckpointSigned | None:
    """Sign the chain head for `deployment` and publish it (outbox) and keep it
    (audit_checkpoints). Without `force`, nothing when the chain is empty or the head was
    already signed with this key for this deployment."""
    head = await read_head(uow.session)
    if head.seq == 0:
        return None
    if not force:
        last = (
            await uow.session.execute(
                sa.select(
                    audit_checkpoints.c.chain_id,
                    audit_checkpoints.c.seq,
                    audit_checkpoints.c.hash,
                    audit_checkpoints.c.key_id,
                    audit_checkpoints.c.deployment,
                )
                .order_by(audit_checkpoints.c.id.desc())
                .limit(1)
            )
        ).first()
        if last is not None and tuple(last) == (
            uuid.UUID(head.chain_id),
            head.seq,
            head.hash,
            key.key_id,
            deployment,
        ):
            return None
    checkpoint = sign_head(head, service=service, key=key, at=uow.now, deployment=deployment)
    envelope = uow.publish(checkpoint, key=service)
    await uow.session.execute(
        sa.insert(audit_checkpoints).values(
            event_id=uuid.UUID(envelope.id),
            service=service,
            chain_id=uuid.UUID(head.chain_id),
            seq=checkpoint.seq,
            hash=checkpoint.hash,
            hash_alg=checkpoint.hash_algorithm,
            signed_at=checkpoint.signed_at,
            key_id=checkpoint.key_id,
            signature_alg=checkpoint.signature_algorithm,
            signature=checkpoint.signature,
            deployment=checkpoint.deployment,
        )
    )
    return checkpoint


def service_of(ctx: ServiceContext) -> str:
    """The service's name (`referral`), whatever this instance is called: its events' source."""
    return ctx.db.source.removeprefix("/xietong/")


def audit_checkpoint_job() -> PeriodicJob:
    """Sign and publish the chain head every `audit_checkpoint_every_s` when it moved. The
    key is read (or generated) when the service starts, so a missing key stops it there."""

    def make(ctx: ServiceContext) -> Job:
        service = service_of(ctx)
        key = service_signing_key(ctx.settings, service)

        async def run(uow: UnitOfWork) -> None:
            await create_checkpoint(
                uow, service=service, key=key, deployment=ctx.settings.deployment_id
            )

        return run

    return PeriodicJob(
        name="audit-checkpoint", interval=lambda s: s.audit_checkpoint_every_s, job=make
    )
