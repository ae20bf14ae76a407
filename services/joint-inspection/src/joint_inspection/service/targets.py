"""The register of targets (监管对象) and their risk signals (INSP-02)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from joint_inspection.domain import NEVER_CLEAN_LEVELS, Risk, RiskPolicy, SignalKind, identity_of
from joint_inspection.errors import ImplausibleTime, SignalPermanent, TargetAlreadyRegistered
from joint_inspection.models import RiskSignal, Target, TargetVersion
from joint_inspection.schemas import (
    SignalIn,
    TargetIn,
    TargetRow,
    TargetUpdate,
)
from joint_inspection.service.common import TARGET, WRITE_ROLES, lock_register, may_edit_target
from joint_inspection.settings import identity_key, inspection_settings
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden, NotFound
from xietong_common.reference import OrgKind, is_department, is_town
from xietong_common.uow import UnitOfWork

REGISTER_SCOPE = "inspection.target.register"
IMPORT_SCOPE = "inspection.target.import"
SIGNAL_SCOPE = "inspection.signal.record"


def china_day(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def risk_policy(ctx: ServiceContext) -> RiskPolicy:
    s = inspection_settings(ctx)
    return RiskPolicy(
        risk_window_days=s.inspection_risk_window_days,
        clean_record_days=s.inspection_clean_record_days,
    )


def check_registrar(ctx: ServiceContext, actor: Principal, town: str) -> None:
    """A town registers targets in its own town; a department in any town."""
    actor.require_role(*WRITE_ROLES)
    ctx.directory.require(town, OrgKind.TOWN)
    if is_town(actor.org) and actor.org != town:
        raise Forbidden(
            f"{actor.org} registers targets of its own town only",
            zh=f"{actor.org} 只能登记本乡镇（街道）的监管对象",
            rule="INSP-02",
        )
    if not (is_town(actor.org) or is_department(actor.org)):
        raise Forbidden(
            "targets are registered by towns and departments",
            zh="监管对象由乡镇（街道）和区级部门登记",
        )


def new_target(
    ctx: ServiceContext,
    actor: Principal,
    data: TargetIn | TargetRow,
    town: str,
    now: datetime,
    batch: uuid.UUID | None = None,
) -> Target:
    identity = identity_of(
        data.party_kind, data.id_number, key=identity_key(inspection_settings(ctx))
    )
    return Target(
        id=uuid.uuid4(),
        party_kind=data.party_kind.value,
        name=data.name,
        credit_code=identity.credit_code,
        identity_digest=identity.identity_digest,
        identity_masked=identity.identity_masked,
        industry=data.industry,
        supervision_level=data.supervision_level.value,
        town=town,
        address=data.address,
        supervised_since=data.supervised_since or china_day(now),
        active=True,
        version=1,
        created_at=now,
        created_by=actor.user,
        created_by_org=actor.org,
        updated_at=now,
        import_batch=batch,
    )


def first_version(target: Target) -> TargetVersion:
    return TargetVersion(
        target_id=target.id,
        version=1,
        valid_from=target.created_at,
        valid_to=None,
        town=target.town,
        industry=target.industry,
        supervision_level=target.supervision_level,
        supervised_since=target.supervised_since,
        active=True,
    )


async def existing_identities(
    session: AsyncSession, codes: Sequence[str], digests: Sequence[str]
) -> dict[str, uuid.UUID]:
    if not codes and not digests:
        return {}
    rows = await session.execute(
        sa.select(Target.id, Target.credit_code, Target.identity_digest).where(
            sa.or_(Target.credit_code.in_(codes), Target.identity_digest.in_(digests))
        )
    )
    return {(r.credit_code or r.identity_digest): r.id for r in rows}


async def register_target(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: TargetIn,
    idempotency_key: str | None = None,
) -> Target:
    """INSP-02: register a target; a code or person already registered is refused (409)."""
    check_registrar(ctx, actor, data.town)
    replay = await idempotency.claim(
        uow, scope=REGISTER_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        return await TARGET.load_for(uow, uuid.UUID(replay), actor, lock=False)
    now = await lock_register(uow, ctx, data.town)
    target = new_target(ctx, actor, data, data.town, now)
    found = await existing_identities(
        uow.session,
        [target.credit_code] if target.credit_code else [],
        [target.identity_digest] if target.identity_digest else [],
    )
    if found:
        raise TargetAlreadyRegistered(
            "this credit code or identity number is already in the register",
            zh="该统一社会信用代码或证件号码已登记",
            rule="INSP-02",
        )
    # A concurrent registration of the same code loses here, with the same 409 (never a 500).
    inserted = (
        await uow.session.execute(
            insert(Target).values(**row_of(target)).on_conflict_do_nothing().returning(Target.id)
        )
    ).first()
    if inserted is None:
        raise TargetAlreadyRegistered(
            "this credit code or identity number is already in the register",
            zh="该统一社会信用代码或证件号码已登记",
            rule="INSP-02",
        )
    uow.session.add(first_version(target))
    await uow.session.flush()
    target = await TARGET.get(uow, target.id, lock=False)
    await idempotency.remember(
        uow, scope=REGISTER_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(target.id)
    )
    TARGET.audit(uow, target, "target.registered", rule="INSP-02", town=target.town)
    return target


def row_of(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in sa.inspect(type(obj)).columns}


async def update_target(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    target_id: uuid.UUID,
    data: TargetUpdate,
) -> Target:
    """A change is a new version from now: a draw already made still reads the old one."""
    target = await TARGET.load_for(uow, target_id, actor)
    actor.require_role(*WRITE_ROLES)
    if not may_edit_target(actor, target):
        raise Forbidden(
            "only the target's town or the department that registered it changes it",
            zh="只有监管对象所在乡镇（街道）或登记部门可以修改",
        )
    given = {
        k: v for k, v in data.model_dump().items() if k in data.model_fields_set and v is not None
    }
    if not given:
        return target
    now = await lock_register(uow, ctx, target.town)
    for name, value in given.items():
        setattr(target, name, value.value if hasattr(value, "value") else value)
    await uow.session.execute(
        sa.update(TargetVersion)
        .where(TargetVersion.target_id == target.id, TargetVersion.valid_to.is_(None))
        .values(valid_to=now)
    )
    target.version += 1
    target.updated_at = now
    uow.session.add(
        TargetVersion(
            target_id=target.id,
            version=target.version,
            valid_from=now,
            valid_to=None,
            town=target.town,
            industry=target.industry,
            supervision_level=target.supervision_level,
            supervised_since=target.supervised_since,
            active=target.active,
        )
    )
    TARGET.audit(
        uow,
        target,
        "target.updated",
        rule="INSP-02",
        version=target.version,
        fields={k: (v.value if hasattr(v, "value") else v) for k, v in given.items()},
    )
    return target


async def record_signal(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    target_id: uuid.UUID,
    data: SignalIn,
    idempotency_key: str | None = None,
) -> RiskSignal:
    """INSP-02: a signal with its source, date and weight raises the target's risk."""
    actor.require_role(*WRITE_ROLES)
    target = await TARGET.load_for(uow, target_id, actor, lock=False)
    if not (is_town(actor.org) or is_department(actor.org)):
        raise Forbidden(
            "signals are recorded by towns and departments", zh="风险信号由乡镇和部门记录"
        )
    replay = await idempotency.claim(
        uow,
        scope=SIGNAL_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"target": str(target_id), **data.model_dump(mode="json")},
    )
    if replay is not None:
        return await _signal(uow.session, uuid.UUID(replay))
    if data.observed_on > china_day(uow.now):
        raise ImplausibleTime(
            "a signal cannot be observed in the future", zh="风险信号的发现日期不能晚于今天"
        )
    now = await lock_register(uow, ctx, target.town)
    signal = RiskSignal(
        id=uuid.uuid4(),
        target_id=target.id,
        kind=data.kind.value,
        source=data.source,
        observed_on=data.observed_on,
        weight=data.weight,
        description=data.description,
        recorded_at=now,
        recorded_by=actor.user,
        recorded_by_org=actor.org,
    )
    uow.session.add(signal)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=SIGNAL_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(signal.id)
    )
    TARGET.audit(
        uow,
        target,
        "signal.recorded",
        rule="INSP-02",
        signal_id=str(signal.id),
        kind=data.kind.value,
        weight=data.weight,
        source=data.source,
    )
    return signal


async def _signal(session: AsyncSession, signal_id: uuid.UUID) -> RiskSignal:
    return (
        await session.execute(sa.select(RiskSignal).where(RiskSignal.id == signal_id))
    ).scalar_one()


async def withdraw_signal(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    target_id: uuid.UUID,
    signal_id: uuid.UUID,
    reason: str,
) -> RiskSignal:
    """A wrong signal is withdrawn from now on, never deleted: a draw made before still saw it."""
    actor.require_role(*WRITE_ROLES)
    target = await TARGET.load_for(uow, target_id, actor, lock=False)
    signal = (
        await uow.session.execute(
            sa.select(RiskSignal)
            .where(RiskSignal.id == signal_id, RiskSignal.target_id == target_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if signal is None:
        raise NotFound("no such signal", zh="未找到该风险信号")
    actor.require_org(signal.recorded_by_org)
    if signal.kind == SignalKind.PAST_FINDING.value:
        raise SignalPermanent(
            "a problem a past inspection found stays on the target's record: it is never "
            "withdrawn (a later inspection records that it was put right)",
            zh="既往检查发现的问题永久记入监管对象记录，不能撤回（整改情况由后续检查记录）",
            signal_id=str(signal.id),
            rule="INSP-02",
        )
    if signal.withdrawn_at is None:
        now = await lock_register(uow, ctx, target.town)
        signal.withdrawn_at, signal.withdrawn_by = now, actor.user
        signal.withdrawn_reason = reason
        TARGET.audit(
            uow,
            target,
            "signal.withdrawn",
            rule="INSP-02",
            signal_id=str(signal.id),
            reason=reason,
        )
    return signal


async def risks(
    session: AsyncSession, targets: Sequence[Target], *, policy: RiskPolicy, at: datetime
) -> dict[uuid.UUID, Risk]:
    """INSP-02: each target's risk and 守法诚信 flag now (the same rule the draw applies)."""
    if not targets:
        return {}
    day = china_day(at)
    risk_from, clean_from = policy.risk_from(day), policy.clean_from(day)
    rows = await session.execute(
        sa.select(
            RiskSignal.target_id,
            sa.func.coalesce(
                sa.func.sum(RiskSignal.weight).filter(RiskSignal.observed_on > risk_from), 0
            ),
            sa.func.bool_or(RiskSignal.observed_on > clean_from),
        )
        .where(
            RiskSignal.target_id.in_([t.id for t in targets]),
            RiskSignal.withdrawn_at.is_(None),
            RiskSignal.observed_on <= day,
            RiskSignal.observed_on > min(risk_from, clean_from),
        )
        .group_by(RiskSignal.target_id)
    )
    found = {r[0]: (int(r[1]), bool(r[2])) for r in rows}
    out = {}
    for t in targets:
        risk, recent = found.get(t.id, (0, False))
        clean = (
            t.supervision_level not in NEVER_CLEAN_LEVELS
            and max(t.supervised_since, china_day(t.created_at)) <= clean_from
            and not recent
        )
        out[t.id] = Risk(risk=risk, law_abiding=clean)
    return out
