"""The review's official documents (公文): the review opinion (REV-07) and the one-time notice
of missing materials (REV-05), as PDF, for a round; corrections."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from legal_review import service as review_service
from legal_review.service.documents import MATERIALS_NOTICE, OPINION
from xietong_common.documents import DraftOf
from xietong_common.web.documents import CorrectionRoute, DocumentRoute, add_document_routes

router = APIRouter(prefix="/reviews", tags=["reviews"])

Round = Annotated[
    int | None,
    Query(ge=1, le=1000, description="the submission round; omitted: the latest that has one"),
]


def review_drafts(review_id: uuid.UUID, round: Round = None) -> DraftOf:
    """The review's documents of a round (the latest that has one unless named)."""
    return review_service.review_drafts(review_id, round)


add_document_routes(
    router,
    record="/{review_id:uuid}",
    draft_of=review_drafts,
    routes=[
        DocumentRoute(
            OPINION,
            "opinion_pdf",
            "REV-07: the written review opinion (法制审核意见书) as PDF",
            "Issued by the town (its first download numbers and stores it); whoever sees the "
            "review reads it then. 409 before the opinion is given.",
        ),
        DocumentRoute(
            MATERIALS_NOTICE,
            "materials_notice_pdf",
            "REV-05: the one-time notice of missing materials (补正材料通知书) as PDF",
            "Everything missing and the deadline to supply it (24:00 of the last day), issued "
            "by the town. 409 before the notice is given.",
        ),
    ],
    correction=CorrectionRoute(issuer="the town", what="the review"),
)
