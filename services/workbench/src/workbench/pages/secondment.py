"""下沉指导 (SEC-01..05): the teams serving on a day, and a department's roster import with
every row the API refuses shown in a table (row, column, the API's message)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from workbench.api import ApiProblem
from workbench.pages.common import record_or_404
from workbench.web import Form, FormErrors, Staff, Visit, redirect, render, text, upload_of

router = APIRouter(prefix="/secondment")
SERVICE = "secondment"


@router.get("")
async def teams(current: Staff, on: str | None = None, page: int = 1) -> Response:
    params: dict[str, Any] = {"page": max(page, 1), "page_size": 50, "on": on}
    if current.me.is_town:
        params["town"] = current.me.org
    listing = await current.api.get(SERVICE, "/teams", **params)
    return render(current, "secondment/teams.html", listing=listing, on=on or "", page=max(page, 1))


@router.get("/teams/{team_id}")
async def team(current: Staff, team_id: uuid.UUID) -> Response:
    found = await record_or_404(current, SERVICE, f"/teams/{team_id}")
    return render(current, "secondment/team.html", team=found)


async def _import_form(
    current: Visit,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    rows: list[dict[str, Any]] | None = None,
    result: dict[str, Any] | None = None,
) -> Response:
    return render(
        current,
        "secondment/import.html",
        status=422 if errors else 200,
        values=values or {},
        errors=errors,
        rows=rows or [],
        result=result,
    )


@router.get("/rosters/import")
async def import_page(current: Staff) -> Response:
    return await _import_form(current)


@router.post("/rosters/import")
async def import_roster(current: Staff, form: Form) -> Response:
    """SEC-02: the sheet goes to the API as it is; a check first (`dry_run`) or for real."""
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = await upload_of(form)
    if upload is None:
        errors = FormErrors()
        errors.add(
            "file",
            current.t("请选择名单表格（.xlsx 或 CSV）", "Choose the roster sheet (.xlsx or CSV)"),
        )
        return await _import_form(current, values=values, errors=errors)
    dry_run = text(form, "mode") != "import"
    try:
        result = await current.api.upload(
            SERVICE,
            "/rosters/imports",
            file=upload,
            fields={
                "effective_from": text(form, "effective_from") or "",
                "note": text(form, "note") or "",
                "dry_run": "true" if dry_run else "false",
            },
        )
    except ApiProblem as problem:
        if problem.status not in (400, 409, 413, 415, 422):
            raise
        rows = [e for e in problem.errors if "row" in e]
        errors = FormErrors.from_problem(problem, known={"file", "effective_from", "note"})
        if rows:  # the rows are shown in their table; the summary keeps the API's detail
            errors = FormErrors(general=[problem.detail], title=problem.title)
        return await _import_form(current, values=values, errors=errors, rows=rows)
    if dry_run:
        return await _import_form(current, values=values, result=result)
    current.flash(current.t("名单已导入。", "Roster imported."))
    return redirect("/secondment")
