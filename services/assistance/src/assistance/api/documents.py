"""The request's official documents (公文): the town's letter asking for assistance
(ASSIST-01) and the department's notice of refusal (ASSIST-03), as PDF; corrections."""

from __future__ import annotations

from assistance import service as assistance_service
from assistance.api.common import make_router
from assistance.service.documents import REFUSAL_NOTICE, REQUEST_LETTER
from xietong_common.web.documents import CorrectionRoute, DocumentRoute, add_document_routes

router = make_router()

add_document_routes(
    router,
    record="/{request_id:uuid}",
    draft_of=assistance_service.request_drafts,
    routes=[
        DocumentRoute(
            REQUEST_LETTER,
            "request_letter_pdf",
            "ASSIST-01: the letter asking for assistance (执法协助函) as PDF",
            "Issued by the requesting town (its first download numbers and stores it); the "
            "department and oversight read it then. 409 while the request is a draft.",
        ),
        DocumentRoute(
            REFUSAL_NOTICE,
            "refusal_notice_pdf",
            "ASSIST-03: the notice of refusal with its legal ground and reasons as PDF",
            "Issued by the department that refused (its first download numbers and stores it); "
            "the town and oversight read it then. 409 unless the request was refused.",
        ),
    ],
    correction=CorrectionRoute(issuer="the organisation", what="the request"),
)
