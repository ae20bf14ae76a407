"""REST API of 信息互享: thin routes over the use cases.

Reads come first so that fixed paths (`/items/search`) win over `/items/{item_id:uuid}`.
"""

from fastapi import APIRouter

from info_sharing.api import complaints, inbox, items, reads

router = APIRouter()
router.include_router(reads.router)
router.include_router(items.router)
router.include_router(complaints.router)
router.include_router(inbox.router)
