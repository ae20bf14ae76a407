"""Shared pieces of the assistance routes."""

from __future__ import annotations

from fastapi import APIRouter

from assistance.models import AssistanceRequest
from assistance.schemas import AssistanceOut
from assistance.service.common import REQUEST
from assistance.views import detail_of
from xietong_common.documents import IssuedDocument
from xietong_common.records import Db
from xietong_common.reference import OrgKind
from xietong_common.timeline import DeadlineOut
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


async def detail(
    db: Db,
    r: AssistanceRequest,
    ctx: Context,
    *,
    deadlines: list[DeadlineOut] | None = None,
    documents: list[IssuedDocument] | None = None,
) -> AssistanceOut:
    """The request as its parties see it, deadlines and documents included (read unless
    given, as the draft just made gives them: none)."""
    if deadlines is None:
        deadlines = await REQUEST.deadlines_of(db, r.id)
    if documents is None:
        documents = await REQUEST.documents_of(db, r)
    return detail_of(r, deadlines=deadlines, documents=documents, now=ctx.clock.now())
