"""REST API of 执法协助 (enforcement assistance): thin routes over the use cases.

Reads come first so that fixed paths (`/assistance-requests/inbox`) win over
`/assistance-requests/{request_id:uuid}`.
"""

from fastapi import APIRouter

from assistance.api import answering, documents, materials, reads, requesting, rulings

router = APIRouter()
router.include_router(reads.router)
router.include_router(requesting.router)
router.include_router(answering.router)
router.include_router(rulings.router)
router.include_router(materials.router)
router.include_router(documents.router)
