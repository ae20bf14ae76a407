"""Shared pieces of the secondment routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query
from sqlalchemy.ext.asyncio import AsyncSession

from secondment.models import TeamMember, TeamVersion
from secondment.schemas import TeamOut
from secondment.service import queries
from secondment.views import team_out
from xietong_common.context import ServiceContext
from xietong_common.mechanisms.roster import china_day
from xietong_common.reference import OrgKind
from xietong_common.schemas import Day

# The kinds of organisation a step is for (Allowed(orgs=...)); whether the caller is THE
# department of the team or officer is the use case's check.
DEPARTMENT = (OrgKind.DEPARTMENT,)  # SEC-02/03/05: a department keeps its roster and records
TOWN = (OrgKind.TOWN,)  # SEC-01: a town notes the daily work under its command
REPUBLISHERS = (OrgKind.DEPARTMENT, OrgKind.JUSTICE_BUREAU, OrgKind.DISTRICT_GOV)  # SEC-04

OnDay = Annotated[Day | None, Query(description="the day (China time) to look at; default: today")]


def day_or_today(ctx: ServiceContext, on: date | None) -> date:
    return on or china_day(ctx.clock.now())


async def team_detail(
    session: AsyncSession, ctx: ServiceContext, version: TeamVersion, members: list[TeamMember]
) -> TeamOut:
    numbers = await queries.roster_numbers(session, [version.roster_id])
    return team_out(ctx, version, members, roster_number=numbers.get(version.roster_id, 0))
