"""ASSIST-03: the justice bureau's queue of refusals to rule on — a refusal of a matter the
catalogue assigns to the refusing department ("refusal of an owned matter"), or one the
requesting town contested — the town's contest, and the bureau's ruling (upheld or not)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from assistance import domain, events
from assistance.domain import AssistanceState
from assistance.errors import IfMatchRequired, RefusalNotOpenToRuling, RequestChanged
from assistance.models import AssistanceRequest
from assistance.schemas import ContestIn, RulingIn
from assistance.service.common import ACTING_ROLES, REQUEST, require_town
from assistance.service.oversight import READERS_OF_ALL
from assistance.settings import assistance_settings
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.contracts.assistance import RulingDecision
from xietong_common.errors import Forbidden
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.uow import UnitOfWork

R = AssistanceRequest
RULE = "ASSIST-03"
PENDING = "pending"


def etag(version: int) -> str:
    """A request's ETag: its version, quoted (a strong tag)."""
    return f'"{version}"'


def matches(if_match: str, version: int) -> bool:
    """Whether `If-Match` names this version. Strong comparison only (RFC 9110 13.1.1); `*`
    matches nothing here, since it would let a ruling pass on a request its author never read."""
    return etag(version) in (part.strip() for part in if_match.split(","))


def check_version(r: AssistanceRequest, if_match: str | None) -> None:
    """ASSIST-03: the ruling names the version it read: none → 428, another → 412."""
    if if_match is None:
        raise IfMatchRequired(
            "send If-Match with the request's ETag as read (GET /assistance-requests/{id})",
            zh="请在 If-Match 中注明所读取的协助请求版本(ETag)",
            version=r.version,
            rule=RULE,
        )
    if not matches(if_match, r.version):
        raise RequestChanged(
            f"the request's current version is {r.version}: read it again before ruling",
            zh=f"协助请求当前版本为 {r.version}，请重新读取后再裁决",
            version=r.version,
            rule=RULE,
        )


@dataclass(frozen=True)
class QueueFilters:
    """`ruling`: pending, upheld or not-upheld; `contested`: the town contested it."""

    ruling: str | None = None
    contested: bool | None = None
    department: str | None = None
    town: str | None = None


def _for_ruling() -> sa.ColumnElement[bool]:
    """A refusal the justice bureau rules on: of an owned matter, or contested."""
    return sa.and_(
        R.state == AssistanceState.REFUSED.value,
        sa.or_(R.refused_owned_matter.is_(True), R.contested_at.is_not(None)),
    )


def _open_to_ruling(r: AssistanceRequest) -> bool:
    return (
        r.state == AssistanceState.REFUSED.value
        and (r.refused_owned_matter or r.contested_at is not None)
        and r.ruling_decision is None
    )


async def queue(
    session: AsyncSession, *, principal: Principal, filters: QueueFilters, paging: PageParams
) -> tuple[Sequence[AssistanceRequest], int]:
    """ASSIST-03: the refusals for the justice bureau's ruling (the bureau and the district
    government read them), oldest first."""
    if principal.org not in READERS_OF_ALL:
        raise Forbidden(
            "the justice bureau rules on refusals; the queue is its own",
            zh="不予协助决定由区司法局裁决，仅区司法局、区政府可查看待裁决清单",
        )
    where = [_for_ruling()]
    if filters.ruling == PENDING:
        where.append(R.ruling_decision.is_(None))
    elif filters.ruling is not None:
        where.append(R.ruling_decision == filters.ruling)
    if filters.contested is not None:
        where.append(R.contested_at.is_not(None) if filters.contested else R.contested_at.is_(None))
    if filters.department:
        where.append(R.department == filters.department)
    if filters.town:
        where.append(R.town == filters.town)
    query = sa.select(R).where(*where).order_by(R.refused_at, R.id)
    rows, total = await fetch_page(session, query, paging, changed=R.updated_at)
    return list(rows), total


async def contest_refusal(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    data: ContestIn,
) -> AssistanceRequest:
    """ASSIST-03: the requesting town contests the refusal, once and before the ruling, with
    its reason; the refusal joins the justice bureau's queue."""
    r = await REQUEST.load_for(uow, request_id, actor)
    require_town(actor, r)
    domain.check_reason(
        data.reason,
        field="reason",
        min_chars=assistance_settings(ctx).assistance_min_reason_chars,
        rule=RULE,
    )
    if (
        r.state != AssistanceState.REFUSED.value
        or r.contested_at is not None
        or r.ruling_decision is not None
    ):
        raise RefusalNotOpenToRuling(
            "only a refusal not yet contested or ruled on can be contested",
            zh="仅可对尚未提出异议、尚未裁决的不予协助决定提出异议",
            state=r.state,
            rule=RULE,
        )
    r.contest_reason, r.contested_at, r.contested_by = data.reason, uow.now, actor.user
    r.updated_at = uow.now
    uow.publish(events.refusal_contested(r), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        "contest-refusal",
        rule=RULE,
        reason=data.reason,
        owned_matter=r.refused_owned_matter,
    )
    return r


async def rule_on_refusal(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    data: RulingIn,
    if_match: str | None = None,
) -> AssistanceRequest:
    """ASSIST-03: the justice bureau rules, once, on a refusal of an owned matter or a contested
    refusal: upheld or not upheld, with a written reason, naming the version it read
    (`if_match`: none → 428, stale → 412)."""
    r = await REQUEST.load_for(uow, request_id, actor)
    actor.require_org(OVERSIGHT_ORG)
    actor.require_role(*ACTING_ROLES)
    domain.check_reason(
        data.reason,
        field="reason",
        min_chars=assistance_settings(ctx).assistance_min_reason_chars,
        rule=RULE,
    )
    check_version(r, if_match)
    if not _open_to_ruling(r):
        raise RefusalNotOpenToRuling(
            "the justice bureau rules once, on a refusal of a matter the catalogue assigns to "
            "the department or on a refusal the town contested",
            zh="区司法局仅对部门拒绝协助本部门职权事项、或乡镇(街道)提出异议的不予协助决定"
            "作出一次裁决",
            state=r.state,
            rule=RULE,
        )
    r.ruling_decision, r.ruling_reason = data.decision.value, data.reason
    r.ruled_at, r.ruled_by = uow.now, actor.user
    r.updated_at = uow.now
    uow.publish(events.refusal_ruled(r), key=str(r.id))
    REQUEST.audit(
        uow,
        r,
        "rule-refusal",
        rule=RULE,
        decision=data.decision.value,
        upheld=data.decision is RulingDecision.UPHELD,
        reason=data.reason,
        owned_matter=r.refused_owned_matter,
        contested=r.contested_at is not None,
    )
    return r
