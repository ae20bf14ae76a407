"""The oversight API's alarms: the outsider's on audit checkpoints it cannot trust (SUP-01)
and the calendar watch's (SUP-02), and the audit chains the outsider follows. For the
district justice bureau and the district government."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from oversight.schemas import AlarmOut, WatchedChainOut
from oversight.service import alarms as service
from xietong_common.reference import OrgKind
from xietong_common.schemas import Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS

router = APIRouter(tags=["alarms"])

OVERSEERS = [OrgKind.JUSTICE_BUREAU, OrgKind.DISTRICT_GOV]
AlarmKind = Literal[
    "bad-signature", "gap", "rollback", "chain-replaced", "holiday-schedule-missing"
]


@router.get(
    "/alarms",
    response_model=Page[AlarmOut],
    summary="SUP-01/SUP-02: the alarms raised — audit checkpoints that cannot be trusted, "
    "next year's holiday schedule missing",
    responses=LIST_ERRORS | READ_ERRORS,
    dependencies=[Allowed(roles=ANY, orgs=OVERSEERS, rule="SUP-01")],
)
async def list_alarms(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    source: Annotated[
        Literal["audit", "calendar"] | None,
        Query(description="the outsider's (audit) or the calendar watch's (calendar)"),
    ] = None,
    service_name: Annotated[
        str | None,
        Query(
            alias="service",
            max_length=40,
            pattern=r"^[a-z][a-z-]*$",
            description="whose audit chain",
            examples=["referral"],
        ),
    ] = None,
    kind: AlarmKind | None = None,
) -> Page[AlarmOut]:
    """Latest first. The outsider's: a checkpoint of a service's audit chain with a bad
    signature, a gap before it, a rollback or a replaced chain, each raised once per
    checkpoint (docs/oversight.md). The calendar watch's: next year's holiday schedule not
    installed past XIETONG_CALENDAR_WATCH_FROM, at most one a day. Each was also published
    (`oversight.audit-alarm`, `oversight.calendar-alarm`) and counted in a metric."""
    async with ctx.db.session() as session:
        rows, total = await service.alarms(
            session,
            principal=principal,
            source=source,
            service=service_name,
            kind=kind,
            paging=paging,
        )
    return Page[AlarmOut].of(
        [
            AlarmOut(
                id=str(a.id),
                source=a.source,
                kind=a.kind,
                service=a.service,
                detail=a.detail,
                detail_zh=a.detail_zh,
                facts=a.facts,
                raised_at=a.raised_at,
            )
            for a in rows
        ],
        total=total,
        paging=paging,
    )


@router.get(
    "/audit-chains",
    response_model=list[WatchedChainOut],
    summary="SUP-01, the outsider: the newest trusted checkpoint of each service's audit chain",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY, orgs=OVERSEERS, rule="SUP-01")],
)
async def list_audit_chains(ctx: Context, principal: CurrentPrincipal) -> list[WatchedChainOut]:
    """Per service, the chain oversight follows and the newest row a trusted checkpoint of it
    named: what the next checkpoint is judged against."""
    async with ctx.db.session() as session:
        heads = await service.watched_chains(session, principal=principal)
    return [
        WatchedChainOut(
            service=h.service,
            chain_id=h.chain_id,
            seq=h.seq,
            hash=h.hash,
            signed_at=h.signed_at,
            checkpoints=h.checkpoints,
            updated_at=h.updated_at,
        )
        for h in heads
    ]
