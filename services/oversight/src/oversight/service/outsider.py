"""The outsider (SUP-01, docs/oversight.md): oversight reads every service's signed audit
checkpoints (`audit.checkpoint`), checks each one's signature against the service's trusted
public keys and each chain's continuity, keeps what it read, and raises an alarm
(`oversight.audit-alarm`, `xietong_oversight_audit_alarms_total`) on a checkpoint it cannot
trust:

- `bad-signature`: not signed by a trusted key of the service, or the signature does not
  verify (forged, altered, or re-signed with a key nobody gave oversight);
- `rollback`: the head it signs is behind the newest trusted one of the same chain (a lower
  row), or the same row with another hash (the chain rewritten);
- `gap`: it names the previous checkpoint of its chain (`previous_seq`, `previous_hash`),
  and that is not the newest one oversight read (one went missing in between);
- `chain-replaced`: a new chain of a service whose chain oversight already followed (a
  database rebuilt from scratch, or replaced).

Each checkpoint is judged once (the same one told again, under any event id, is
`repeated`), so each alarm is raised once. A checkpoint with a bad signature or a rollback
moves nothing; a gap or a new chain is trusted from then on (its signature verifies), so one
missing checkpoint raises one alarm, not one per checkpoint after it. Only checkpoints of
this deployment (or of none) are judged, like `xietong audit verify`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from oversight.errors import NotItsCheckpoint
from oversight.models import Alarm, WatchedCheckpoint, WatchedHead
from oversight.settings import OversightSettings, oversight_settings
from xietong_common.attestation.checkpoints import describe, signature_problem
from xietong_common.audit.crypto import AuditKeyError, PublicKey
from xietong_common.audit.keys import read_public_keys, service_public_keys
from xietong_common.context import ServiceContext
from xietong_common.contracts.audit import AuditCheckpointSigned
from xietong_common.contracts.oversight import AuditAlarmKind, OversightAuditAlarm
from xietong_common.metrics import OVERSIGHT_AUDIT_ALARMS
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)

RULE = "SUP-01"


_ZH: dict[str, str] = {
    "bad-signature": "审计检查点签名无效（伪造或被篡改）",
    "gap": "审计检查点缺失（链上有检查点未送达）",
    "rollback": "审计检查点回退（链头倒退或被改写）",
    "chain-replaced": "审计链被替换（数据库被重建或替换）",
}


def trusted_keys(settings: OversightSettings, service: str) -> list[PublicKey]:
    """The public keys oversight trusts for `service`'s checkpoints: `<service>.pem` in
    `oversight_audit_keys_dir` when set, else the keys the service itself trusts under
    audit_key_dir (development: the shared .local/audit-keys; oversight's own
    `audit_key_file` is never taken for another service's key). None readable: none trusted;
    the service's checkpoints are then one alarm per unknown key, not one per checkpoint (the
    operator gave oversight no key: set XIETONG_OVERSIGHT_AUDIT_KEYS_DIR)."""
    try:
        if settings.oversight_audit_keys_dir is not None:
            path = Path(settings.oversight_audit_keys_dir) / f"{service}.pem"
            return read_public_keys([path]) if path.exists() else []
        beside = settings.model_copy(
            update={"audit_key_file": None, "audit_trusted_keys_file": None}
        )
        return service_public_keys(beside, service)
    except AuditKeyError as exc:
        log.error("the audit keys of %s cannot be read: %s", service, exc)
        return []


@dataclass(frozen=True)
class Judgement:
    """What oversight made of one checkpoint: `ok`, `repeated`, `elsewhere` (another
    deployment's: not judged) or an alarm's kind, with the alarm raised (None when that
    alarm was raised before: a service whose keys oversight lacks, a second checkpoint)."""

    verdict: str
    alarm: Alarm | None = None


async def watch_checkpoint(
    uow: UnitOfWork,
    checkpoint: AuditCheckpointSigned,
    *,
    source: str,
    event_id: str,
    ctx: ServiceContext,
) -> Judgement:
    """SUP-01: judge one checkpoint read from `audit.checkpoint` (told by `source`)."""
    settings = oversight_settings(ctx)
    if checkpoint.service != source:
        # The inbox trusts the type from every service; each tells its own chain only.
        raise NotItsCheckpoint(
            f"{source} published a checkpoint of {checkpoint.service}'s audit chain",
            zh=f"{source} 发布了 {checkpoint.service} 的审计检查点",
            source=source,
            service=checkpoint.service,
        )
    if checkpoint.deployment not in (None, settings.deployment_id):
        return Judgement("elsewhere")
    session = uow.session
    service = checkpoint.service
    # One judge per service at a time: the head row, created if new, then locked.
    await session.execute(
        insert(WatchedHead)
        .values(
            service=service,
            chain_id=checkpoint.chain_id,
            seq=0,
            hash="",
            signed_at=checkpoint.signed_at,
            checkpoints=0,
            updated_at=uow.now,
        )
        .on_conflict_do_nothing(index_elements=[WatchedHead.service])
    )
    head = (
        await session.execute(
            sa.select(WatchedHead).where(WatchedHead.service == service).with_for_update()
        )
    ).scalar_one()
    seen = (
        await session.execute(
            insert(WatchedCheckpoint)
            .values(
                event_id=event_id,
                service=service,
                deployment=checkpoint.deployment,
                chain_id=checkpoint.chain_id,
                seq=checkpoint.seq,
                hash=checkpoint.hash,
                hash_algorithm=checkpoint.hash_algorithm,
                signed_at=checkpoint.signed_at,
                key_id=checkpoint.key_id,
                signature_algorithm=checkpoint.signature_algorithm,
                signature=checkpoint.signature,
                previous_seq=checkpoint.previous_seq,
                previous_hash=checkpoint.previous_hash,
                verdict="ok",
                received_at=uow.now,
            )
            .on_conflict_do_nothing(
                index_elements=["service", "key_id", "signature"],
            )
            .returning(WatchedCheckpoint.id)
        )
    ).scalar_one_or_none()
    if seen is None:
        return Judgement("repeated")  # judged when first read

    keys = {key.key_id: key for key in trusted_keys(settings, service)}
    kind, detail = _judge(checkpoint, head, keys)
    expected = (head.chain_id, head.seq) if head.checkpoints else (None, None)
    if kind in (None, "gap", "chain-replaced"):
        # Trusted from now on: the newest head of its chain.
        if head.chain_id != checkpoint.chain_id:
            head.chain_id, head.checkpoints = checkpoint.chain_id, 0
        if checkpoint.seq >= head.seq or head.checkpoints == 0:
            head.seq, head.hash = checkpoint.seq, checkpoint.hash
            head.signed_at = checkpoint.signed_at
        head.checkpoints += 1
        head.updated_at = uow.now
    if kind is None:
        return Judgement("ok")
    await session.execute(
        sa.update(WatchedCheckpoint).where(WatchedCheckpoint.id == seen).values(verdict=kind)
    )
    # With no key of the service at all, each checkpoint would be an alarm of the same
    # misconfiguration: one per key the service signs with is enough.
    key = (
        f"audit:{service}:no-key:{checkpoint.key_id}"
        if kind == "bad-signature" and not keys
        else f"audit:{service}:{seen}"
    )
    alarm = await raise_audit_alarm(
        uow,
        key=key,
        kind=kind,
        checkpoint=checkpoint,
        checkpoint_id=seen,
        event_id=event_id,
        detail=detail,
        expected=expected,
    )
    return Judgement(kind, alarm)


def _judge(
    checkpoint: AuditCheckpointSigned, head: WatchedHead, keys: dict[str, PublicKey]
) -> tuple[AuditAlarmKind | None, str]:
    """The alarm's kind and what was found, or (None, "") for a checkpoint to trust."""
    problem = signature_problem(checkpoint, keys)
    if problem is not None:
        if not keys:
            problem += f" (oversight holds no public key of {checkpoint.service})"
        return "bad-signature", problem
    label = describe(checkpoint)
    if head.checkpoints == 0:
        return None, ""  # the first trusted checkpoint of the service: the baseline
    if checkpoint.chain_id != head.chain_id:
        return "chain-replaced", (
            f"{label} names chain {checkpoint.chain_id}, not chain {head.chain_id} whose "
            f"newest checkpoint named row {head.seq}: the chain was replaced, or the database "
            "rebuilt from scratch"
        )
    if checkpoint.seq < head.seq:
        return "rollback", (
            f"{label} is behind row {head.seq}, which a trusted checkpoint of the same chain "
            "named before: the chain was cut back, or an old checkpoint replayed"
        )
    if checkpoint.seq == head.seq and checkpoint.hash != head.hash:
        return "rollback", (
            f"{label} names hash {checkpoint.hash[:16]}…, while a trusted checkpoint named "
            f"{head.hash[:16]}… for the same row: the chain was rewritten"
        )
    previous = checkpoint.previous_seq, checkpoint.previous_hash
    if (
        checkpoint.previous_seq is None
        or checkpoint.seq == head.seq  # the same head signed again (a new key, forced)
        or previous == (head.seq, head.hash)
    ):
        return None, ""
    if checkpoint.previous_seq > head.seq:
        return "gap", (
            f"{label} follows a checkpoint of row {checkpoint.previous_seq} that oversight "
            f"never read (the newest it read names row {head.seq}): a checkpoint is missing "
            "from the topic"
        )
    return "rollback", (
        f"{label} follows a checkpoint of row {checkpoint.previous_seq} "
        f"({(checkpoint.previous_hash or '')[:16]}…), not the newest trusted one (row "
        f"{head.seq}, {head.hash[:16]}…): the chain forked or was rewritten"
    )


async def raise_audit_alarm(
    uow: UnitOfWork,
    *,
    key: str,
    kind: AuditAlarmKind,
    checkpoint: AuditCheckpointSigned,
    checkpoint_id: int,
    event_id: str,
    detail: str,
    expected: tuple[str | None, int | None],
) -> Alarm | None:
    """Keep the alarm, audit it under SUP-01, publish `oversight.audit-alarm`, count it;
    None if the alarm of that `key` was raised already."""
    zh = f"{checkpoint.service}：{_ZH[kind]}（第 {checkpoint.seq} 行）"
    values = dict(
        id=uuid.uuid4(),
        alarm_key=key,
        source="audit",
        kind=kind,
        service=checkpoint.service,
        checkpoint_id=checkpoint_id,
        detail=detail,
        detail_zh=zh,
        facts={
            "chain_id": checkpoint.chain_id,
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "key_id": checkpoint.key_id,
            "signed_at": checkpoint.signed_at.isoformat(),
            "checkpoint_event_id": event_id,
            "expected_chain_id": expected[0],
            "expected_seq": expected[1],
        },
        raised_at=uow.now,
    )
    inserted = (
        await uow.session.execute(
            insert(Alarm)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["alarm_key"])
            .returning(Alarm.id)
        )
    ).scalar_one_or_none()
    if inserted is None:
        return None
    alarm = (await uow.session.execute(sa.select(Alarm).where(Alarm.id == inserted))).scalar_one()
    uow.audit(
        action=f"audit-alarm.{kind}",
        subject=f"oversight-alarm:{alarm.id}",
        rule=RULE,
        detail={"service": checkpoint.service, "seq": checkpoint.seq, "detail": detail},
    )
    uow.publish(
        OversightAuditAlarm(
            alarm_id=str(alarm.id),
            kind=kind,
            service=checkpoint.service,
            chain_id=checkpoint.chain_id,
            seq=checkpoint.seq,
            hash=checkpoint.hash,
            key_id=checkpoint.key_id,
            signed_at=checkpoint.signed_at,
            checkpoint_event_id=event_id,
            expected_chain_id=expected[0],
            expected_seq=expected[1],
            detail=detail,
            detail_zh=zh,
            raised_at=uow.now,
        ),
        key=checkpoint.service,
    )
    uow.after_commit(OVERSIGHT_AUDIT_ALARMS.labels(checkpoint.service, kind).inc)
    log.error("oversight: audit alarm (%s) on %s: %s", kind, checkpoint.service, detail)
    return alarm
