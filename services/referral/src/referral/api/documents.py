"""The referral's official documents (公文): the referral letter (REF-05), the service receipt
(REF-06), the written answer (REF-07) and the report to the district government (REF-08),
as PDF; corrections."""

from __future__ import annotations

from fastapi import APIRouter

from referral import service as referral_service
from referral.service.documents import ANSWER, LETTER, RECEIPT, REPORT
from xietong_common.web.documents import CorrectionRoute, DocumentRoute, add_document_routes

router = APIRouter(prefix="/referrals", tags=["referrals"])

add_document_routes(
    router,
    record="/{referral_id:uuid}",
    draft_of=referral_service.referral_drafts,
    routes=[
        DocumentRoute(
            LETTER,
            "referral_letter_pdf",
            "REF-05: the referral letter (案件移送函) with its item list, as PDF",
            "Issued by the sender: at sending when it uploaded no letter and item list of its "
            "own, else on its first download; the receiver reads it then. The item list is its "
            "attachment, items disposed of in advance with their proceeds. 409 before sending.",
        ),
        DocumentRoute(
            RECEIPT,
            "service_receipt_pdf",
            "REF-06: the service receipt (行政案件移送书送达回证) as PDF, with a QR code",
            "Issued by the receiver (its first download numbers and stores it); the sender "
            "reads it then. Its QR code links to `GET /documents/{digest}`. 409 before the "
            "receiver signed for the referral.",
        ),
        DocumentRoute(
            ANSWER,
            "acceptance_answer_pdf",
            "REF-07: the written answer on acceptance (案件受理情况告知书) as PDF",
            "Issued by the receiver: accepted, or reported to the district government "
            "(REF-08). 409 before the answer.",
        ),
        DocumentRoute(
            REPORT,
            "jurisdiction_report_pdf",
            "REF-08: the written report to the district government (关于案件管辖的请示) as PDF",
            "Issued by the receiver that considers the case outside its jurisdiction, to "
            "区政府, copied to the sender. 409 unless the receiver answered "
            "report-to-district-gov.",
        ),
    ],
    correction=CorrectionRoute(issuer="the organisation", what="the referral"),
)
