"""Shared pieces of the information sharing routes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from info_sharing import service as info_service
from info_sharing.domain import secrecy
from info_sharing.domain.inbox import overdue_before
from info_sharing.errors import ClassifiedRefused
from info_sharing.models import Item
from info_sharing.schemas import ItemOut, ReceiptCounts
from info_sharing.service import queries
from info_sharing.service.common import markings_in, refusal
from info_sharing.settings import info_settings
from info_sharing.views import detail_of
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork
from xietong_common.web import Context, CurrentPrincipal

# The kinds of organisation a step is for (Allowed(orgs=...)).
DEPARTMENT = (OrgKind.DEPARTMENT,)  # INFO-01 (4): a department asks for feedback
OVERSIGHT = (OrgKind.JUSTICE_BUREAU, OrgKind.DISTRICT_GOV)  # INFO-03/SUP-01: reads for oversight


@asynccontextmanager
async def unit_of_work(
    ctx: ServiceContext, principal: Principal, *, via: str
) -> AsyncIterator[UnitOfWork]:
    """The request's unit of work. An INFO-02 refusal rolls it back — nothing of the content
    is kept — and is then recorded (fields and levels only) in a unit of its own."""
    try:
        async with ctx.db.uow(actor=principal) as uow:
            yield uow
    except ClassifiedRefused as refused:
        async with ctx.db.uow(actor=principal) as uow:
            info_service.record_refused(uow, refused, via=via)
        raise


async def _request_texts(request: Request) -> dict[str, str]:
    """Every text a request carries, by its path: a JSON body's strings, a form's fields."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        try:
            return secrecy.flatten(json.loads(await request.body()))
        except (ValueError, UnicodeDecodeError):
            return {}  # not JSON: the request's own validation refuses it
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        return {key: value for key, value in form.multi_items() if isinstance(value, str)}
    return {}


async def screen_request(request: Request, ctx: Context, principal: CurrentPrincipal) -> None:
    """INFO-02 on every free-text field of every request, before the route runs: whatever
    the route and its models, a text field that carries a marking is refused (and the
    refusal recorded). A `classification` field is read as a declared level."""
    texts = await _request_texts(request)
    if not texts:
        return
    declared = {k: v for k, v in texts.items() if k.rsplit(".", 1)[-1] == "classification"}
    found = markings_in({k: v for k, v in texts.items() if k not in declared})
    for field, value in declared.items():
        level = secrecy.declared_level(value)
        if level is not None:
            found.append(secrecy.Marking(field=field, level=level))
    if found:
        refused = refusal(found)
        route = request.scope.get("route")
        via = f"{request.method} {getattr(route, 'path', request.url.path)}"
        async with ctx.db.uow(actor=principal) as uow:
            info_service.record_refused(uow, refused, via=via)
        raise refused


SCREENED = Depends(screen_request)
"""On every router of the service: INFO-02 before anything else reads the request."""


def cutoff(ctx: ServiceContext) -> datetime | None:
    """Deliveries before this moment are past the INFO-03 setting if still unread."""
    return overdue_before(ctx.calendar, ctx.clock.now(), info_settings(ctx).info_read_working_days)


async def detail(
    session: AsyncSession, item: Item, ctx: ServiceContext, principal: Principal
) -> ItemOut:
    """The item as the caller sees it; its publisher and oversight also see the receipts."""
    counts = None
    if queries.may_see_receipts(item, principal):
        delivered, read, overdue = await queries.receipt_counts(
            session, item_id=item.id, cutoff=cutoff(ctx)
        )
        counts = ReceiptCounts(delivered=delivered, read=read, unread_overdue=overdue)
    return detail_of(item, ctx.directory, receipts=counts)
