"""督察 dashboard for the justice bureau (and the district government): the assessment table
with its on-time rates and their trend as charts (SUP-02), the drill-down to one unit's facts
and breaches, and each fact's page where the justice bureau rules and the unit replies
(SUP-01)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from workbench.api import ApiProblem
from workbench.charts import bar_chart
from workbench.oversight import (
    FACT_KINDS,
    OUTCOMES,
    HttpOversight,
    current_quarter,
    etag_field,
    fact_details,
    periods_before,
    rate_rows,
    record_link,
    trend,
)
from workbench.reference import today_china
from workbench.web import Form, FormErrors, PageNotFound, Staff, Visit, redirect, render, text

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


ORG_KINDS = {"town": ("乡镇（街道）", "Towns"), "dept": ("区级行政执法部门", "Departments")}


def _kind(value: str | None) -> str:
    return value if value in ORG_KINDS else ""


@router.get("")
async def dashboard(
    current: Staff, period: str | None = None, organisation_kind: str | None = None
) -> Response:
    chosen = _period(period)
    kind = _kind(organisation_kind)
    client = HttpOversight(current.api, current.vocab)
    deployed = await client.deployed()
    assessment = None
    earlier: dict[str, Any] = {}
    if deployed:
        periods = periods_before(chosen)[:-1]
        assessment, *before = await asyncio.gather(
            client.assessment(chosen, organisation_kind=kind),
            *(_quiet(client.assessment(p, organisation_kind=kind)) for p in periods),
        )
        earlier = dict(zip(periods, before, strict=True))
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
    trends: dict[str, list[tuple[str, float | None]]] = {}
    names: dict[str, str] = {}
    if assessment is not None:
        table_rows = assessment.get("items") or []
        names = {r["organisation"]: _name(current, r) for r in table_rows}
        if rated := rate_rows(table_rows, names):
            charts["on_time"] = bar_chart(
                rated[:30],
                title=current.t(
                    f"{chosen} 各单位按期率（%，低者在前）",
                    f"On-time rate by organisation, {chosen} (%, lowest first)",
                ),
                unit="%",
                chart_id="chart-on-time",
                scale=100,
                highlight_below=90,
            )
        tables = {**earlier, chosen: assessment}
        if earlier:
            district = trend(tables)
            charts["trend"] = bar_chart(
                district,
                title=current.t("全区按期率走势（%）", "District on-time rate, by period (%)"),
                unit="%",
                chart_id="chart-trend",
                scale=100,
                highlight_below=90,
            )
            trends = {r["organisation"]: trend(tables, r["organisation"]) for r in table_rows}
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
        kind=kind,
        kinds=[(code, current.t(zh, en)) for code, (zh, en) in ORG_KINDS.items()],
        deployed=deployed,
        assessment=assessment,
        referrals=(referrals or {}).get("items", []),
        figures=figures,
        unread=unread or [],
        charts=charts,
        trends=trends,
        names=names,
        trend_periods=[*earlier, chosen] if earlier else [],
        overseer=overseer,
    )


def _name(current: Visit, row: dict[str, Any]) -> str:
    """The unit's name in the page's language (the directory's), else as the API named it."""
    code = str(row.get("organisation") or "")
    found = current.org_name(code)
    return found if found != code else str(row.get("organisation_name") or code)


async def _or_404(call: Any) -> Any:
    """What the oversight API shows this person, else the workbench's 404 page: another
    unit's row or fact is never shown (the API answers 404; a malformed code 422)."""
    try:
        return await call
    except ApiProblem as problem:
        if problem.status in (403, 404, 422):
            raise PageNotFound() from problem
        raise


@router.get("/organisations/{organisation}")
async def organisation_page(
    current: Staff, organisation: str, period: str | None = None, page: int = 1
) -> Response:
    """SUP-01/SUP-02 drill-down: one unit in the period — its figures, the trend of its
    on-time rate, its missed deadlines and its refusals, flags and unread items, each linked
    to the fact's page where it is ruled on."""
    chosen = _period(period)
    client = HttpOversight(current.api, current.vocab)
    if not await client.deployed():
        raise PageNotFound()
    page = max(page, 1)
    found = await _or_404(client.organisation(organisation, chosen))
    breaches = await _or_404(client.breaches(organisation, chosen, page))
    periods = periods_before(chosen)
    tables = await asyncio.gather(
        *(_quiet(client.assessment(p, organisation=organisation)) for p in periods)
    )
    points = trend(dict(zip(periods, tables, strict=True)), organisation)
    row = found.get("assessment") or {}
    name = _name(current, row) if row else current.org_name(organisation)
    chart = (
        bar_chart(
            points,
            title=current.t(f"{name}按期率走势（%）", f"{name}: on-time rate by period (%)"),
            unit="%",
            chart_id="chart-org-trend",
            scale=100,
            highlight_below=90,
        )
        if points
        else ""
    )
    return render(
        current,
        "oversight/organisation.html",
        period=chosen,
        organisation=organisation,
        name=name,
        row=row,
        facts=found.get("facts") or [],
        breaches=breaches,
        page=page,
        trend_chart=chart,
        kinds=FACT_KINDS,
        outcomes=OUTCOMES,
        record_link=record_link,
    )


RULING_FIELDS = {"outcome", "reason"}
REPLY_FIELDS = {"text"}


async def _item_page(
    current: Visit,
    fact_id: uuid.UUID,
    *,
    failed: str = "",
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
    status: int | None = None,
) -> Response:
    client = HttpOversight(current.api, current.vocab)
    if not await client.deployed():
        raise PageNotFound()
    item, etag = await _or_404(client.item(str(fact_id)))
    fact = item["fact"]
    me = current.me
    open_to_reply = item.get("reply") is None and item.get("ruling") is None
    return render(
        current,
        "oversight/item.html",
        status=status or (422 if errors else 200),
        item=item,
        fact=fact,
        etag=etag,
        failed=failed,
        errors=errors,
        values=values or {},
        kinds=FACT_KINDS,
        outcomes=OUTCOMES,
        outcome_options=[(code, current.t(zh, en)) for code, (zh, en) in OUTCOMES.items()],
        record=record_link(fact.get("subject")),
        details=fact_details(await _labelled(current, fact), current.lang),
        can={
            "rule": bool(item.get("rulable")) and me.is_bureau,
            "reply": bool(item.get("rulable")) and me.org == fact["organisation"] and open_to_reply,
        },
    )


# The enumerations a fact's detail carries, labelled from their service's OpenAPI document.
DETAIL_ENUMS = {
    ("assistance.refused", "ground"): ("assistance", "RefusalGround"),
    ("assistance.obstruction-flagged", "kind"): ("assistance", "ObstructionKind"),
}


async def _labelled(current: Visit, fact: dict[str, Any]) -> dict[str, Any]:
    detail = dict(fact.get("detail") or {})
    for (kind, key), (service, enum) in DETAIL_ENUMS.items():
        if fact.get("kind") == kind and isinstance(detail.get(key), str):
            detail[key] = await current.label(service, enum, detail[key])
    return detail


@router.get("/items/{fact_id}")
async def item_page(current: Staff, fact_id: uuid.UUID) -> Response:
    """SUP-01: one fact under review — as recorded, the unit's reply, the ruling and its
    history; the ruling form for the justice bureau, the reply form for the unit."""
    return await _item_page(current, fact_id)


def _placed(problem: ApiProblem, field: str, known: set[str]) -> FormErrors:
    """The API's refusal beside the field: a reason too short names no field in its problem
    (`oversight-reason-required`), so it is placed beside the form's reason here."""
    errors = FormErrors.from_problem(problem, known=known)
    if problem.type.endswith("reason-required") and not errors.fields:
        errors = FormErrors(title=problem.title)
        errors.add(field, problem.detail)
    return errors


@router.post("/items/{fact_id}/rulings")
async def rule(current: Staff, fact_id: uuid.UUID, form: Form) -> Response:
    """SUP-01: the justice bureau's ruling, naming the version read (If-Match): a ruling given
    meanwhile by someone else is refused (412) and shown, never overwritten."""
    client = HttpOversight(current.api, current.vocab)
    body: dict[str, Any] = {"outcome": text(form, "outcome")}
    if reason := text(form, "reason"):
        body["reason"] = reason
    try:
        await client.rule(str(fact_id), body, etag_field(text(form, "etag")))
    except ApiProblem as problem:
        if problem.status == 404:
            raise PageNotFound() from problem
        if problem.status not in (400, 403, 409, 412, 422, 428):
            raise
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return await _item_page(
            current,
            fact_id,
            failed="rule",
            errors=_placed(problem, "reason", RULING_FIELDS),
            values=values,
            status=problem.status if problem.status in (403, 409, 412, 428) else 422,
        )
    current.flash(current.t("督察认定已记录。", "Ruling recorded."))
    return redirect(f"/oversight/items/{fact_id}")


@router.post("/items/{fact_id}/reply")
async def reply(current: Staff, fact_id: uuid.UUID, form: Form) -> Response:
    """SUP-01: the unit concerned states its case (陈述申辩), once, before the ruling."""
    client = HttpOversight(current.api, current.vocab)
    try:
        await client.reply(str(fact_id), text(form, "text"))
    except ApiProblem as problem:
        if problem.status == 404:
            raise PageNotFound() from problem
        if problem.status not in (400, 403, 409, 422):
            raise
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return await _item_page(
            current,
            fact_id,
            failed="reply",
            errors=_placed(problem, "text", REPLY_FIELDS),
            values=values,
            status=problem.status if problem.status in (403, 409) else 422,
        )
    current.flash(current.t("陈述申辩已提交。", "Reply recorded."))
    return redirect(f"/oversight/items/{fact_id}")


@router.get("/export")
async def export(
    current: Staff, period: str | None = None, organisation_kind: str | None = None
) -> Response:
    client = HttpOversight(current.api, current.vocab)
    if not await client.deployed():
        raise PageNotFound()
    found = await client.export(_period(period), organisation_kind=_kind(organisation_kind))
    return Response(
        found.content,
        media_type=found.content_type,
        headers={"Content-Disposition": found.disposition or "attachment"},
    )
