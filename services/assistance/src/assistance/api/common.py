"""Shared pieces of the assistance routes."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.models import AssistanceRequest
from assistance.schemas import AssistanceOut
from assistance.service.common import REQUEST
from assistance.views import detail_of
from xietong_common.reference import OrgKind
from xietong_common.web import Context

PREFIX = "/assistance-requests"
TAG = "assistance"

# The kinds of organisation a step is for (Allowed(orgs=...)); whether the caller is THE town or
# department of the request is the use case's check.
TOWN = (OrgKind.TOWN,)  # ASSIST-01: a town asks
DEPARTMENT = (OrgKind.DEPARTMENT,)  # ASSIST-02..04: a district department answers
PARTIES = (*TOWN, *DEPARTMENT)


def make_router() -> APIRouter:
    return APIRouter(prefix=PREFIX, tags=[TAG])


async def detail(session: AsyncSession, r: AssistanceRequest, ctx: Context) -> AssistanceOut:
    """The request as its parties see it, deadlines included."""
    deadlines = await REQUEST.deadlines_of(session, r.id)
    issued = await REQUEST.documents_of(session, r)
    return detail_of(r, deadlines=deadlines, documents=issued, now=ctx.clock.now())
