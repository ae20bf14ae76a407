"""督察 dashboard for the justice bureau (and the district government)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from workbench.api import ApiProblem
from workbench.charts import bar_chart
from workbench.oversight import HttpOversight, current_quarter
from workbench.reference import today_china
from workbench.web import PageNotFound, Staff, render

router = APIRouter(prefix="/oversight")
PERIOD = re.compile(r"^\d{4}(-Q[1-4]|-\d{2})?$")
OVERSEERS = ("justice-bureau", "district-gov")


def _period(value: str | None) -> str:
    return value if value and PERIOD.fullmatch(value) else current_quarter(today_china())


async def _quiet(call: Any) -> Any:
    """What an existing service gives the overseer; a refusal or an outage leaves a gap."""
    try:
        return await call
    except ApiProblem:
        return None


@router.get("")
async def dashboard(current: Staff, period: str | None = None) -> Response:
    chosen = _period(period)
    client = HttpOversight(current.api, current.vocab)
    deployed = await client.deployed()
    assessment = None
    if deployed:
        assessment = await client.assessment(chosen)
    overseer = current.me.org in OVERSEERS
    referrals, assistance, unread = await asyncio.gather(
        _quiet(
            current.api.get("referral", "/referrals", overdue="true", page_size=50, sort="due_at")
        ),
        _quiet(
            current.api.get(
                "assistance", "/assistance-requests/oversight", period=chosen, page_size=100
            )
        ),
        _quiet(current.api.get("info-sharing", "/oversight/unread/by-organisation"))
        if overseer
        else asyncio.sleep(0, None),
    )
    figures = (assistance or {}).get("items", [])
    charts = {}
    if figures:
        rows = [
            (
                row.get("organisation_name") or current.org_name(row["organisation"]),
                float(row.get("responses_missed", 0)),
            )
            for row in figures
        ]
        charts["responses_missed"] = bar_chart(
            sorted(rows, key=lambda r: -r[1])[:15],
            title=current.t("执法协助逾期未答复（次）", "Assistance requests not answered in time"),
            chart_id="chart-missed",
            highlight_above=0,
        )
    if unread:
        rows = [
            (
                current.org_name(row.get("organisation")),
                float(row.get("count", row.get("unread", 0))),
            )
            for row in unread
        ]
        charts["unread"] = bar_chart(
            sorted(rows, key=lambda r: -r[1])[:15],
            title=current.t("逾期未读共享信息（条）", "Shared items unread past the setting"),
            chart_id="chart-unread",
            highlight_above=0,
        )
    return render(
        current,
        "oversight/dashboard.html",
        period=chosen,
        deployed=deployed,
        assessment=assessment,
        referrals=(referrals or {}).get("items", []),
        figures=figures,
        unread=unread or [],
        charts=charts,
        overseer=overseer,
    )


@router.get("/export")
async def export(current: Staff, period: str | None = None) -> Response:
    client = HttpOversight(current.api, current.vocab)
    if not await client.deployed():
        raise PageNotFound()
    found = await client.export(_period(period))
    return Response(
        found.content,
        media_type=found.content_type,
        headers={"Content-Disposition": found.disposition or "attachment"},
    )
