"""Shared steps of the assistance use cases: reference data, loading with locks and access,
transitions, deadlines, audit."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from assistance import domain
from assistance.domain import AssistanceState, ExtensionDecision, MatterPowers, Parties, Step
from assistance.errors import RequesterNotATown
from assistance.models import AssistanceRequest
from assistance.settings import assistance_settings
from xietong_common import deadlines
from xietong_common.auth import Principal, ensure_party
from xietong_common.calendar import CHINA_TZ, end_of_china_day
from xietong_common.context import ServiceContext
from xietong_common.errors import NotFound
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

MECHANISM = "assistance"
ACTING_ROLES = ("handler", "leader")
RESPOND = "respond"  # ASSIST-04: the department accepts or refuses
COMPLETE = "complete"  # ASSIST-02/04: the department delivers by the agreed date


# ---- reads of the reference data (organisation directory, matter catalogue) ----------------


def matter_powers(ctx: ServiceContext, code: str) -> MatterPowers:
    """ASSIST-01: which department's powers cover the matter (the matter catalogue)."""
    matter = ctx.catalogue.require(code)
    return MatterPowers(code=code, owner=matter.owner, town_level=matter.town_level)


def check_requester(ctx: ServiceContext, actor: Principal) -> None:
    """ASSIST-01: a town (乡镇/街道) asks a district department (the notice, 二(二))."""
    if not ctx.directory.is_town(actor.org):
        raise RequesterNotATown(
            f"{actor.org} is not a town; the notice lets a town ask a district department "
            "for assistance",
            zh=f"{actor.org} 不是乡镇(街道)；执法协助由乡镇(街道)向区级行政执法部门提出",
            organisation=actor.org,
            rule="ASSIST-01",
        )


def address(ctx: ServiceContext, r: AssistanceRequest, chosen: str | None) -> domain.Addressing:
    """ASSIST-01 on the request as it stands: the proposed department, and warnings."""
    matter = matter_powers(ctx, r.matter_code)
    if chosen is not None:
        ctx.directory.require(chosen, OrgKind.DEPARTMENT, rule="ASSIST-01")
    addressing = domain.address(matter=matter, chosen=chosen, name=ctx.directory.label)
    r.department = addressing.department
    r.proposed_department = addressing.proposed
    r.within_powers = addressing.within_powers
    r.warnings = [
        {"code": w.code, "rule": w.rule, "zh": w.zh, "en": w.en} for w in addressing.warnings
    ]
    return addressing


def within_powers_now(ctx: ServiceContext, r: AssistanceRequest) -> bool:
    """ASSIST-03: does the catalogue (as loaded now) put the matter within the department's
    powers? A matter since dropped from the catalogue keeps what it said at the request."""
    matter = ctx.catalogue.get(r.matter_code)
    return r.within_powers if matter is None else matter.owner == r.department


# ---- loading, access, transitions, audit ------------------------------------------------------


def subject_of(request_id: uuid.UUID) -> str:
    return f"assistance:{request_id}"


def parties(r: AssistanceRequest) -> Parties:
    return Parties(town=r.town, department=r.department, state=AssistanceState(r.state))


async def load(uow: UnitOfWork, request_id: uuid.UUID) -> AssistanceRequest:
    """The request, locked for this transaction so its events stay in order."""
    r = (
        await uow.session.execute(
            sa.select(AssistanceRequest).where(AssistanceRequest.id == request_id).with_for_update()
        )
    ).scalar_one_or_none()
    if r is None:
        raise NotFound("no such assistance request", zh="未找到该执法协助请求")
    return r


async def load_for(
    uow: UnitOfWork, request_id: uuid.UUID, actor: Principal, *, acting_as: str
) -> AssistanceRequest:
    """Load for a party: others get 404; a party acting out of turn (or role) gets 403.
    `acting_as`: "town" or "department", the side that may take the step."""
    r = await load(uow, request_id)
    ensure_party(actor, parties(r).visible_to(), what="assistance request")
    actor.require_org(r.town if acting_as == "town" else r.department)
    actor.require_role(*ACTING_ROLES)
    return r


def transition(r: AssistanceRequest, step: Step, now: datetime) -> AssistanceState:
    """Apply the domain's table; the state before is returned."""
    before = AssistanceState(r.state)
    r.state = domain.next_state(before, step).value
    r.updated_at = now
    return before


def audit_step(
    uow: UnitOfWork, r: AssistanceRequest, step: Step, *, action: str | None = None, **detail: Any
) -> None:
    """Every change is audited with its rule (the action is the step's unless named)."""
    uow.audit(
        action=f"assistance.{action or step.value}",
        subject=subject_of(r.id),
        rule=step.rule,
        detail={
            "state": r.state,
            "town": r.town,
            "department": r.department,
            **detail,
        },
    )


def lapse_pending_extensions(r: AssistanceRequest, now: datetime) -> None:
    """An extension request nobody answered lapses once the request moves on."""
    for e in r.extensions:
        if e.decision is None:
            e.decision, e.decided_at = ExtensionDecision.LAPSED.value, now


# ---- dates and deadlines ----------------------------------------------------------------------


def china_day(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def last_day_within(ctx: ServiceContext, start: datetime, working_days: int) -> date:
    """The Nth working day after `start` (with 调休): the latest day a period allows."""
    due = ctx.calendar.deadline_for(start, domain.longest_period(working_days))
    return (due.due_at.astimezone(CHINA_TZ) - timedelta(microseconds=1)).date()


def latest_completion(ctx: ServiceContext, start: datetime) -> date:
    """ASSIST-04: the latest completion date a department may agree from `start`."""
    return last_day_within(
        ctx, start, assistance_settings(ctx).assistance_max_completion_working_days
    )


async def start_completion(
    uow: UnitOfWork, r: AssistanceRequest, day: date
) -> deadlines.TrackedDeadline:
    """ASSIST-02/04: the department owes the result by 24:00 China time on `day`."""
    r.agreed_completion_date = day
    return await deadlines.start_until(
        uow,
        subject=subject_of(r.id),
        action=COMPLETE,
        rule_id="ASSIST-04",
        organisation=r.department,
        counterparty=r.town,
        started_at=uow.now,
        due_at=end_of_china_day(day),
        mechanism=MECHANISM,
        assignee=r.accepted_by,
    )
