"""The inspection's official documents (公文): the work order (INSP-03), the advance notice to
a target (INSP-06), the report of a serious finding (INSP-08), as PDF; corrections."""

from __future__ import annotations

from fastapi import APIRouter

from joint_inspection import service as inspection_service
from joint_inspection.service.documents import ADVANCE_NOTICE, SERIOUS_REPORT, WORK_ORDER
from xietong_common.web.documents import CorrectionRoute, DocumentRoute, add_document_routes

router = APIRouter(prefix="/orders", tags=["orders"])

add_document_routes(
    router,
    record="/{order_id:uuid}",
    draft_of=inspection_service.order_drafts,
    routes=[
        DocumentRoute(
            WORK_ORDER,
            "work_order_pdf",
            "INSP-03: the inspection work order (检查任务工单) as PDF",
            "Targets, their number, the method and the inspectors the order fixed; issued by "
            "the initiating unit (its first download numbers and stores it), read by every "
            "participant then. 409 before the order is issued.",
        )
    ],
    correction=CorrectionRoute(
        issuer="the initiating unit",
        name="correct_work_order",
        what="the order",
        summary="A corrected work order under a new number, superseding the one in force",
    ),
)
add_document_routes(
    router,
    record="/{order_id:uuid}/targets/{target_id:uuid}",
    draft_of=inspection_service.target_drafts,
    routes=[
        DocumentRoute(
            ADVANCE_NOTICE,
            "advance_notice_pdf",
            "INSP-06: the advance notice to a target (检查事先告知书) as PDF",
            "The time, basis and method the target was told, issued by the initiating unit. "
            "409 unless a notice to this target was recorded.",
        ),
        DocumentRoute(
            SERIOUS_REPORT,
            "serious_report_pdf",
            "INSP-08: the report of a serious finding to the district government as PDF",
            "Issued by the initiating unit to 区政府, copied to the competent authority it "
            "notified; the district government reads it. 409 unless the serious finding at "
            "this target was reported.",
        ),
    ],
    correction=CorrectionRoute(
        issuer="the initiating unit",
        name="correct_target_document",
        what="the visit",
        summary="A corrected notice or report under a new number, superseding the one in force",
    ),
)
