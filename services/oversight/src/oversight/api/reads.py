"""The oversight API (督察, SUP-01/SUP-02): the assessment table, the breaches, one unit's
figures, one deadline of the ledger. Read-only: the ledger is fed by events alone."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from oversight import service
from oversight.domain import OrganisationFigures, Period
from oversight.models import LedgerDeadline
from oversight.schemas import (
    AssessmentOut,
    BreachOut,
    LedgerDeadlineOut,
    MechanismName,
    OrganisationAssessment,
    RuleId,
)
from oversight.schemas.requests import PeriodText
from oversight.service import AssessmentFilters, BreachFilters
from oversight.settings import oversight_settings
from oversight.views import NameOf, assessment_of, deadline_of, fact_of, period_out, row_of
from xietong_common.calendar import CHINA_TZ
from xietong_common.reference import OrgKind
from xietong_common.schemas import OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS

router = APIRouter(tags=["oversight"])


def _period(
    ctx: Context,
    period: Annotated[PeriodText | None, Query()] = None,
    first: Annotated[
        date | None, Query(alias="from", description="first China day (with `to`)")
    ] = None,
    last: Annotated[date | None, Query(alias="to", description="last China day, included")] = None,
) -> Period:
    return service.choose_period(
        period,
        first,
        last,
        today=ctx.clock.now().astimezone(CHINA_TZ).date(),
        max_range_days=oversight_settings(ctx).oversight_max_range_days,
    )


ChosenPeriod = Annotated[Period, Depends(_period)]
Rules = Annotated[list[RuleId] | None, Query(description="one or more rule IDs")]


@router.get(
    "/assessment",
    response_model=AssessmentOut,
    summary="SUP-02: the assessment table — per organisation, deadlines, refusals and flags",
    responses=LIST_ERRORS | READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def assessment(
    ctx: Context,
    principal: CurrentPrincipal,
    period: ChosenPeriod,
    organisation: Annotated[OrgCode | None, Query(description="one organisation")] = None,
    organisation_kind: Annotated[
        OrgKind | None, Query(description="towns (town) or departments (dept)")
    ] = None,
    rule: Rules = None,
    mechanism: MechanismName | None = None,
) -> AssessmentOut:
    """Per organisation, the deadlines that fell due in the period (China days): due (the
    denominator), met on time, met late, breached, open, ended otherwise, provisional, with
    rates; the deadlines started; assistance refusals, 推诿/刁难 flags and shared items left
    unread; and the same deadline figures per rule ID. The justice bureau and the district
    government see every unit; a unit sees its own row, and another's is 404."""
    async with ctx.db.session() as session:
        found = await service.assess(
            session,
            principal=principal,
            period=period,
            filters=AssessmentFilters(
                organisation=organisation,
                organisation_kind=organisation_kind,
                rules=tuple(rule or ()),
                mechanism=mechanism.value if mechanism else None,
            ),
            now=ctx.clock.now(),
        )
    return assessment_of(period, found, _name_of(ctx))


def _name_of(ctx: Context) -> NameOf:
    def name(code: str) -> str:
        org = ctx.directory.get(code)
        return org.name_zh if org else code

    return name


@router.get(
    "/assessment/organisations/{organisation}",
    response_model=OrganisationAssessment,
    summary="SUP-01: one unit in the period — its figures and the facts behind them",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def organisation_assessment(
    ctx: Context, principal: CurrentPrincipal, organisation: OrgCode, period: ChosenPeriod
) -> OrganisationAssessment:
    """One unit's row of the assessment (zero where it owed nothing) and its refusals, flags
    and unread items, latest first. A unit sees its own; another's is 404."""
    async with ctx.db.session() as session:
        found = await service.assess(
            session,
            principal=principal,
            period=period,
            filters=AssessmentFilters(organisation=organisation),
            now=ctx.clock.now(),
        )
        facts = await service.facts_of(
            session, principal=principal, organisation=organisation, period=period
        )
        outcomes = await service.outcomes_of(session, facts)
    figures = found[0] if found else OrganisationFigures(organisation)
    return OrganisationAssessment(
        period=period_out(period),
        assessment=row_of(figures, _name_of(ctx)),
        facts=[fact_of(f, outcomes.get(f.id)) for f in facts],
    )


@router.get(
    "/breaches",
    response_model=Page[BreachOut],
    summary="SUP-02: the deadlines missed in the period, latest due first",
    responses=LIST_ERRORS | READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_breaches(
    ctx: Context,
    principal: CurrentPrincipal,
    period: ChosenPeriod,
    paging: Paging,
    organisation: Annotated[OrgCode | None, Query(description="who owed it")] = None,
    counterparty: Annotated[OrgCode | None, Query(description="who was kept waiting")] = None,
    rule: Rules = None,
    mechanism: MechanismName | None = None,
    met: Annotated[bool | None, Query(description="done late (true) or never (false)")] = None,
) -> Page[BreachOut]:
    """Every breach recorded for a deadline due in the period: who owed what to whom, on
    which record, under which rule, and whether it was done late since. A breach stays a
    breach. A unit sees its own; the overseers see all."""
    async with ctx.db.session() as session:
        rows, total = await service.breaches(
            session,
            principal=principal,
            period=period,
            filters=BreachFilters(
                organisation=organisation,
                counterparty=counterparty,
                rules=tuple(rule or ()),
                mechanism=mechanism.value if mechanism else None,
                met=met,
            ),
            paging=paging,
        )
        rulable = await service.breach_facts(session, rows)
    return Page[BreachOut].of(
        [_breach_of(r, rulable.get(r.id)) for r in rows],
        total=total,
        paging=paging,
    )


def _breach_of(row: LedgerDeadline, fact: tuple[uuid.UUID, str | None] | None) -> BreachOut:
    return BreachOut(
        **deadline_of(row).model_dump(),
        breach_fact_id=str(fact[0]) if fact else None,
        ruling=fact[1] if fact else None,
    )


@router.get(
    "/deadlines/{ledger_id:uuid}",
    response_model=LedgerDeadlineOut,
    summary="SUP-02: one deadline of the ledger and what became of it",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_deadline(
    ctx: Context, principal: CurrentPrincipal, ledger_id: uuid.UUID
) -> LedgerDeadlineOut:
    """The organisation that owed it and the overseers see it; anyone else gets 404."""
    async with ctx.db.session() as session:
        row = await service.deadline(session, principal=principal, ledger_id=ledger_id)
    return deadline_of(row)
