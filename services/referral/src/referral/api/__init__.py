"""REST API of 案件移送: thin routes over the use cases.

Reads come first so that fixed paths (`/referrals/inbox`) win over `/referrals/{referral_id:uuid}`.
"""

from fastapi import APIRouter

from referral.api import documents, handling, reads, sending

router = APIRouter()
router.include_router(reads.router)
router.include_router(sending.router)
router.include_router(handling.router)
router.include_router(documents.router)
