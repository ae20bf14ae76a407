"""REF-04 (及时告知): the notice of an ongoing violation as the party with jurisdiction reads it.
A draft is its sender's own, so the informed party gets an entry of its own: the notice (the
facts it needs to act, the measure already taken), which it acknowledges (a read receipt)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from referral.models import Referral
from referral.service.common import INFORMED_ROLES, REFERRAL
from xietong_common.auth import Principal
from xietong_common.errors import NotFound
from xietong_common.listing import Listed, ListFilters
from xietong_common.pagination import PageParams
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.uow import UnitOfWork


def _not_found(referral_id: uuid.UUID) -> NotFound:
    return NotFound(
        f"no notice of an ongoing violation {referral_id} for you",
        zh="未找到发给本单位的正在进行的违法行为告知",
    )


async def _notice(
    db: AsyncSession | UnitOfWork, referral_id: uuid.UUID, actor: Principal, *, lock: bool
) -> Referral:
    """The referral behind a notice, for its addressee, its sender and oversight; 404 to
    everyone else and for a referral that informed nobody."""
    try:
        referral = await REFERRAL.get(db, referral_id, lock=lock)
    except NotFound:
        raise _not_found(referral_id) from None
    readers = {referral.ongoing_notified_to, referral.sender, OVERSIGHT_ORG}
    if referral.ongoing_notified_to is None or actor.org not in readers:
        raise _not_found(referral_id)
    return referral


async def read_notice(
    session: AsyncSession, *, referral_id: uuid.UUID, actor: Principal
) -> Referral:
    return await _notice(session, referral_id, actor, lock=False)


async def acknowledge_notice(
    uow: UnitOfWork, *, referral_id: uuid.UUID, actor: Principal
) -> Referral:
    """REF-04: the informed party records that it read the notice (once; a second
    acknowledgement changes nothing)."""
    referral = await _notice(uow, referral_id, actor, lock=True)
    actor.require_org(referral.ongoing_notified_to or "")
    actor.require_role(*INFORMED_ROLES)
    if referral.ongoing_acknowledged_at is None:
        referral.ongoing_acknowledged_at = uow.now
        referral.ongoing_acknowledged_by = actor.user
        REFERRAL.audit(
            uow,
            referral,
            "ongoing-violation-notice-acknowledged",
            rule="REF-04",
            by=actor.org,
            notified_at=referral.ongoing_notified_at.isoformat()
            if referral.ongoing_notified_at
            else None,
        )
    return referral


async def list_notices(
    session: AsyncSession,
    *,
    actor: Principal,
    acknowledged: bool | None,
    paging: PageParams,
    now: datetime,
) -> tuple[list[Listed[Referral]], int]:
    """The notices of ongoing violations addressed to the caller, newest first."""
    where = [Referral.ongoing_notified_to == actor.org]
    if acknowledged is not None:
        done = Referral.ongoing_acknowledged_at.is_not(None)
        where.append(done if acknowledged else sa.not_(done))
    return await REFERRAL.page(session, *where, filters=ListFilters(), paging=paging, now=now)
