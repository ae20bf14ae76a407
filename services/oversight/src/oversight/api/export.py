"""`GET /assessment.xlsx` (SUP-02): the assessment table as an Excel file whose SHA-256 is
recorded in the audit log and published as `oversight.export-issued`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from oversight import service
from oversight.api.reads import ChosenPeriod, Rules, _name_of
from oversight.schemas import MechanismName
from oversight.service import AssessmentFilters
from oversight.service.export import XLSX, ExportMeta, new_export_id
from oversight.views import assessment_of
from xietong_common.reference import OrgKind
from xietong_common.schemas import OrgCode
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS

router = APIRouter(tags=["oversight"])

XLSX_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        "description": "the workbook: 汇总 and one sheet per mechanism; headers `X-Content-SHA256` "
        "(the digest recorded in the audit log and in `oversight.export-issued`) and "
        "`X-Export-Id` (printed on the summary sheet)",
    }
}


@router.get(
    "/assessment.xlsx",
    response_class=Response,
    summary="SUP-02: the assessment table as .xlsx, its SHA-256 recorded",
    responses=XLSX_OK | LIST_ERRORS | READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def assessment_workbook(
    ctx: Context,
    principal: CurrentPrincipal,
    period: ChosenPeriod,
    organisation: Annotated[OrgCode | None, Query(description="one organisation")] = None,
    organisation_kind: Annotated[
        OrgKind | None, Query(description="towns (town) or departments (dept)")
    ] = None,
    rule: Rules = None,
    mechanism: MechanismName | None = None,
) -> Response:
    """The same table as `GET /assessment` (the same parameters, the same rows: a unit sees
    its own, another's is 404), as an Excel workbook with Chinese headers: a summary sheet
    (汇总) and one sheet per mechanism. Each download is an export of its own: its SHA-256
    goes to the audit log (SUP-02) and out as `oversight.export-issued`, so a file, or a
    table printed from it (it names its export id), can be checked later."""
    filters = AssessmentFilters(
        organisation=organisation,
        organisation_kind=organisation_kind,
        rules=tuple(rule or ()),
        mechanism=mechanism.value if mechanism else None,
    )
    now = ctx.clock.now()
    async with ctx.db.session() as session:
        found = await service.assess(
            session, principal=principal, period=period, filters=filters, now=now
        )
    table = assessment_of(period, found, _name_of(ctx))
    asked = {
        "organisation": organisation,
        "organisation_kind": organisation_kind.value if organisation_kind else None,
        "rule": ",".join(rule) if rule else None,
        "mechanism": mechanism.value if mechanism else None,
    }
    meta = ExportMeta(
        export_id=new_export_id(),
        issued_at=now,
        issued_by=principal.user,
        issued_by_org=principal.org,
        filters={k: v for k, v in asked.items() if v},
    )
    issued = await service.build_workbook(table, meta)
    async with ctx.db.uow(actor=principal) as uow:
        service.record_export(uow, table, meta, issued)
    disposition = (
        f'attachment; filename="{issued.filename}"; '
        f"filename*=UTF-8''{quote('考核表-' + period.label + '.xlsx')}"
    )
    return Response(
        issued.content,
        media_type=XLSX,
        headers={
            "Content-Disposition": disposition,
            "X-Content-SHA256": issued.sha256,
            "X-Export-Id": issued.export_id,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
