"""The oversight API's rulings (SUP-01): one fact under review, the justice bureau's ruling
on it, the organisation's reply (陈述申辩), and the rulings given."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from oversight import service
from oversight.domain import RulingOutcome
from oversight.schemas import ItemOut, ReplyIn, RulingIn, RulingOut
from oversight.schemas.responses import FactOut
from oversight.service import etag
from oversight.views import fact_of, item_of, ruling_of
from xietong_common.reference import OrgKind
from xietong_common.schemas import OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, problem_responses

router = APIRouter(tags=["rulings"])

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='the item\'s ETag as read (`"<version>"`): required once the fact is ruled '
        "on (none → 428), refused when no longer current (412); `*` matches nothing",
    ),
]


class RulingEntry(RulingOut):
    """A current ruling and the fact it was given on."""

    fact: FactOut


@router.get(
    "/items/{fact_id:uuid}",
    response_model=ItemOut,
    summary="SUP-01: a fact under review — the fact, the reply, the ruling and its history",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_item(
    ctx: Context, principal: CurrentPrincipal, fact_id: uuid.UUID, response: Response
) -> ItemOut:
    """The fact as recorded (a ruling never changes it), the organisation's reply, the current
    ruling and every earlier one. `ETag` is the version a revised ruling names in `If-Match`.
    The justice bureau and the district government see every fact; a unit its own (404)."""
    async with ctx.db.session() as session:
        found = await service.item(session, principal=principal, fact_id=fact_id)
    response.headers["ETag"] = etag(found.version)
    return item_of(found.fact, found.reply, found.ruling, found.history)


@router.post(
    "/items/{fact_id:uuid}/rulings",
    response_model=ItemOut,
    summary="SUP-01: the justice bureau rules — confirmed, excused or referred for "
    "accountability (督察认定)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428),
    dependencies=[Allowed(roles=ANY, orgs=[OrgKind.JUSTICE_BUREAU], rule="SUP-01")],
)
async def rule(
    ctx: Context,
    principal: CurrentPrincipal,
    fact_id: uuid.UUID,
    data: RulingIn,
    response: Response,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> ItemOut:
    """A breach, refusal, flag or unread item is ruled `confirmed`, `excused` (with a stated
    reason) or `referred-for-accountability` (追责). The fact stays as recorded; the
    assessment shows its figures before and after rulings. A fact already ruled on is ruled
    again only with `If-Match` naming the current version (428 without, 412 when stale); every
    ruling is kept in the history, audited under SUP-01 and published
    (`oversight.ruling-made`). A retry with the same Idempotency-Key and body returns the
    ruling the first request gave (its ETag), not 428/412. Only the district justice bureau
    rules (any other organisation: 403)."""
    async with ctx.db.uow(actor=principal) as uow:
        found = await service.rule(
            uow,
            actor=principal,
            fact_id=fact_id,
            outcome=data.outcome,
            reason=data.reason,
            if_match=if_match,
            idempotency_key=idempotency_key,
        )
    response.headers["ETag"] = etag(found.version)
    return item_of(found.fact, found.reply, found.ruling, found.history)


@router.post(
    "/items/{fact_id:uuid}/reply",
    response_model=ItemOut,
    status_code=201,
    summary="SUP-01: the organisation concerned states its case, once, before the ruling "
    "(陈述申辩)",
    responses=problem_responses(401, 403, 404, 409, 422),
    dependencies=[Allowed(roles=ANY)],
)
async def reply(
    ctx: Context,
    principal: CurrentPrincipal,
    fact_id: uuid.UUID,
    data: ReplyIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ItemOut:
    """Only the organisation the fact is about replies (another's fact: 404), once (409), and
    not after the ruling (409). Audited under SUP-01. A retry with the same Idempotency-Key
    and text returns the item as the reply left it, not 409."""
    async with ctx.db.uow(actor=principal) as uow:
        found = await service.reply(
            uow,
            actor=principal,
            fact_id=fact_id,
            text=data.text,
            idempotency_key=idempotency_key,
        )
    response.headers["ETag"] = etag(found.version)
    return item_of(found.fact, found.reply, found.ruling, found.history)


@router.get(
    "/rulings",
    response_model=Page[RulingEntry],
    summary="SUP-01: the current rulings, latest first",
    responses=LIST_ERRORS | READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_rulings(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    organisation: Annotated[OrgCode | None, Query(description="the organisation ruled on")] = None,
    outcome: RulingOutcome | None = None,
) -> Page[RulingEntry]:
    """The overseers see every ruling; a unit sees the rulings on itself (another's: 404)."""
    async with ctx.db.session() as session:
        rows, total = await service.rulings(
            session, principal=principal, organisation=organisation, outcome=outcome, paging=paging
        )
    return Page[RulingEntry].of(
        [
            RulingEntry(**ruling_of(ruling).model_dump(), fact=fact_of(fact))
            for ruling, fact in rows
        ],
        total=total,
        paging=paging,
    )
