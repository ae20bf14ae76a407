"""REF-09: the handling party suspends (中止), resumes or extends (延长) a filed case's
conclusion period, lawfully and on record (rules in `referral.domain.period`).

Each change ends the running conclusion deadline (`cancelled`, with its reason code) and
starts the one now in force, so the backbone's deadline lifecycle, its reminders and its
sweep see the clock as it is; the change is audited with REF-09, kept on the referral for
both parties to read and published as `case.conclusion-period-changed` for oversight."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from referral import events
from referral.domain import Step
from referral.domain import period as rules
from referral.errors import ConclusionPeriodRefused
from referral.models import Referral
from referral.schemas import ExtendIn, ResumeIn, SuspendIn
from referral.service.common import HANDLING_ROLES, MECHANISM, REFERRAL, parties
from referral.settings import referral_settings
from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.referral import PeriodChange
from xietong_common.uow import UnitOfWork

CONCLUDE = Step.CONCLUDE.value


async def _load(
    uow: UnitOfWork, referral_id: uuid.UUID, actor: Principal, step: Step
) -> tuple[Referral, str, datetime | None]:
    """The case (404 to a stranger, 403 to a party not handling it), filed, and its running
    conclusion deadline."""
    referral = await REFERRAL.load_for(uow, referral_id, actor)
    handler = parties(referral).handler or ""
    actor.require_org(handler)
    actor.require_role(*HANDLING_ROLES)
    REFERRAL.check(referral, step)
    running = await deadlines.find_open(
        uow, subject=REFERRAL.subject_of(referral.id), action=CONCLUDE
    )
    return referral, handler, running.due_at if running else None


def _count(referral: Referral, kind: PeriodChange) -> int:
    return sum(1 for c in referral.conclusion_period_changes or [] if c["kind"] == kind.value)


def _stood(referral: Referral) -> int:
    """Working days the case already stood suspended (the resumptions' `days`)."""
    return sum(
        int(c.get("days") or 0)
        for c in referral.conclusion_period_changes or []
        if c["kind"] == PeriodChange.RESUMED.value
    )


async def _move(
    uow: UnitOfWork,
    referral: Referral,
    *,
    handler: str,
    actor: Principal,
    kind: PeriodChange,
    due_before: datetime,
    due_at: datetime,
    reason: str,
    law: str | None = None,
    article: str | None = None,
    days: int | None = None,
) -> None:
    """Replace the conclusion deadline, record the change, audit it, tell oversight."""
    code = rules.REASON_CODES[kind.value]
    await REFERRAL.cancel_deadline(uow, referral, CONCLUDE, reason=code)
    await deadlines.start_until(
        uow,
        subject=REFERRAL.subject_of(referral.id),
        action=CONCLUDE,
        rule_id="REF-09",
        organisation=handler,
        counterparty=referral.sender,
        started_at=uow.now,
        due_at=due_at,
        mechanism=MECHANISM,
        reference=referral.case_number,
    )
    change: dict[str, Any] = {
        "kind": kind.value,
        "at": uow.now.isoformat(),
        "by": actor.user,
        "org": handler,
        "reason": reason,
        "law": law,
        "article": article,
        "days": days,
        "due_before": due_before.isoformat(),
        "due_at": due_at.isoformat(),
    }
    referral.conclusion_period_changes = [*(referral.conclusion_period_changes or []), change]
    referral.updated_at = uow.now
    uow.publish(
        events.conclusion_period_changed(
            referral,
            handler=handler,
            change=kind,
            at=uow.now,
            by=actor.user,
            reason=reason,
            law=law,
            article=article,
            days=days,
            due_before=due_before,
            due_at=due_at,
            suspensions=_count(referral, PeriodChange.SUSPENDED),
            extensions=_count(referral, PeriodChange.EXTENDED),
        ),
        key=str(referral.id),
    )
    REFERRAL.audit(
        uow,
        referral,
        code,
        rule="REF-09",
        reason=reason,
        law=law,
        article=article,
        days=days,
        due_before=due_before.isoformat(),
        due_at=due_at.isoformat(),
    )


async def suspend(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    data: SuspendIn,
) -> Referral:
    """REF-09: stop the conclusion clock, with a reason and its legal basis."""
    rules.check_grounds(reason=data.reason, law=data.law, article=data.article, basis=True)
    referral, handler, due = await _load(uow, referral_id, actor, Step.SUSPEND)
    settings = referral_settings(ctx)
    held = rules.suspend(
        ctx.calendar,
        due_at=due,
        now=uow.now,
        suspended=referral.suspended_at is not None,
        suspensions=_count(referral, PeriodChange.SUSPENDED),
        max_count=settings.referral_suspension_max_count,
        used_working_days=_stood(referral),
        max_working_days=settings.referral_suspension_max_working_days,
    )
    assert due is not None
    assert data.reason
    referral.suspended_at = uow.now
    referral.suspension = {
        "latest_resume": held.latest_resume.isoformat(),
        "days_left": held.days_left,
    }
    await _move(
        uow,
        referral,
        handler=handler,
        actor=actor,
        kind=PeriodChange.SUSPENDED,
        due_before=due,
        due_at=held.due_at,
        reason=data.reason,
        law=data.law,
        article=data.article,
    )
    return referral


async def resume(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    data: ResumeIn,
) -> Referral:
    """REF-09: restart the clock with the days that were left."""
    rules.check_grounds(reason=data.reason, law=None, article=None, basis=False)
    referral, handler, due = await _load(uow, referral_id, actor, Step.RESUME)
    if referral.suspended_at is None or referral.suspension is None or due is None:
        raise ConclusionPeriodRefused(
            "the conclusion period is not suspended", zh="办案期限未中止", rule="REF-09"
        )
    assert data.reason
    due_at, stood = rules.resume(
        ctx.calendar,
        suspended_at=referral.suspended_at,
        latest_resume=date.fromisoformat(referral.suspension["latest_resume"]),
        days_left=int(referral.suspension["days_left"]),
        now=uow.now,
    )
    referral.suspended_at, referral.suspension = None, None
    await _move(
        uow,
        referral,
        handler=handler,
        actor=actor,
        kind=PeriodChange.RESUMED,
        due_before=due,
        due_at=due_at,
        reason=data.reason,
        days=stood,
    )
    return referral


async def extend(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    referral_id: uuid.UUID,
    actor: Principal,
    data: ExtendIn,
) -> Referral:
    """REF-09: lengthen the period before it runs out, within the settings."""
    rules.check_grounds(reason=data.reason, law=data.law, article=data.article, basis=True)
    referral, handler, due = await _load(uow, referral_id, actor, Step.EXTEND)
    settings = referral_settings(ctx)
    due_at = rules.extend(
        due_at=due,
        now=uow.now,
        suspended=referral.suspended_at is not None,
        days=data.days,
        extensions=_count(referral, PeriodChange.EXTENDED),
        max_count=settings.referral_extension_max_count,
        max_days=settings.referral_extension_max_days,
    )
    assert due is not None
    assert data.reason
    await _move(
        uow,
        referral,
        handler=handler,
        actor=actor,
        kind=PeriodChange.EXTENDED,
        due_before=due,
        due_at=due_at,
        reason=data.reason,
        law=data.law,
        article=data.article,
        days=data.days,
    )
    return referral
