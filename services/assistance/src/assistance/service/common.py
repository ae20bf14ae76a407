"""The assistance request as a record (`REQUEST`), and the steps the assistance use cases
share: reference data, who acts for which side, dates and deadlines."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from assistance import domain
from assistance.domain import AssistanceState, ExtensionDecision, MatterPowers, Parties, Step
from assistance.errors import RequesterNotATown
from assistance.models import AssistanceRequest
from assistance.settings import assistance_settings
from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ, end_of_china_day
from xietong_common.context import ServiceContext
from xietong_common.contracts.assistance import AssistanceGround
from xietong_common.records import RecordKind
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
    domain.check_holder(AssistanceGround(r.ground), r.materials_holder)
    if r.materials_holder is not None:
        ctx.directory.require(r.materials_holder, OrgKind.DEPARTMENT, rule="ASSIST-02")
    addressing = domain.address(
        matter=matter, chosen=chosen, name=ctx.directory.label, holder=r.materials_holder
    )
    r.department = addressing.department
    r.proposed_department = addressing.proposed
    r.within_powers = addressing.within_powers
    r.warnings = [
        {"code": w.code, "rule": w.rule, "zh": w.zh, "en": w.en} for w in addressing.warnings
    ]
    return addressing


def owns_matter_now(ctx: ServiceContext, r: AssistanceRequest) -> bool:
    """ASSIST-03: does the catalogue (as loaded now) assign the case's matter to the
    department? A matter since dropped from the catalogue keeps what it said at the request."""
    matter = ctx.catalogue.get(r.matter_code)
    if matter is None:
        return r.within_powers and r.department != r.materials_holder
    return matter.owner == r.department


def within_powers_now(ctx: ServiceContext, r: AssistanceRequest) -> bool:
    """ASSIST-02/03: is what is asked within the department's powers — it owns the case's
    matter (the catalogue as loaded now), or, on ground 2, it is the named holder of the
    materials?"""
    return owns_matter_now(ctx, r) or (
        r.materials_holder is not None and r.materials_holder == r.department
    )


# ---- the request as a record: loading, access, transitions, audit -------------------------------


def parties(r: AssistanceRequest) -> Parties:
    return Parties(town=r.town, department=r.department, state=AssistanceState(r.state))


def _in_audit(r: AssistanceRequest) -> dict[str, Any]:
    """What every audit row of a request carries: its state and both parties."""
    return {"state": r.state, "town": r.town, "department": r.department}


def _received_by(org: str) -> sa.ColumnElement[bool]:
    """The department's inbox: requests addressed to it, once submitted (a draft is the
    town's alone)."""
    return sa.and_(
        AssistanceRequest.department == org,
        AssistanceRequest.state != AssistanceState.DRAFT.value,
    )


REQUEST: RecordKind[AssistanceRequest, AssistanceState, Step] = RecordKind(
    model=AssistanceRequest,
    subject="assistance",
    mechanism=MECHANISM,
    name="assistance request",
    name_zh="执法协助请求",
    parties=lambda r: parties(r).visible_to(),
    transitions=domain.TRANSITIONS,
    audit_detail=_in_audit,
    sort={
        "created_at": AssistanceRequest.created_at,
        "submitted_at": AssistanceRequest.submitted_at,
    },
    collections=(
        AssistanceRequest.officers,
        AssistanceRequest.materials,
        AssistanceRequest.extensions,
        AssistanceRequest.flags,
    ),
    sent_by=lambda org: AssistanceRequest.town == org,
    received_by=_received_by,
    documents=True,
)
"""执法协助: a town's request for a district department's assistance, to its result."""


def require_town(actor: Principal, r: AssistanceRequest) -> None:
    """The requesting town's own people take the town's steps (403 to anyone else)."""
    actor.require_org(r.town)
    actor.require_role(*ACTING_ROLES)


def require_department(actor: Principal, r: AssistanceRequest) -> None:
    """The requested department's own people take the department's steps (403 otherwise)."""
    actor.require_org(r.department)
    actor.require_role(*ACTING_ROLES)


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
        subject=REQUEST.subject_of(r.id),
        action=COMPLETE,
        rule_id="ASSIST-04",
        organisation=r.department,
        counterparty=r.town,
        started_at=uow.now,
        due_at=end_of_china_day(day),
        mechanism=MECHANISM,
        assignee=r.accepted_by,
    )
