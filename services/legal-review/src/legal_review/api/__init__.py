"""REST API of 法制审核: thin routes over the use cases.

Reads come first (the reviews, then the review requests joint inspection sends), then the
brigade's steps, then the review body's and the head's.
"""

from fastapi import APIRouter

from legal_review.api import documents, reads, requests, reviewing, submitting

router = APIRouter()
router.include_router(reads.router)
router.include_router(requests.router)
router.include_router(submitting.router)
router.include_router(reviewing.router)
router.include_router(documents.router)
