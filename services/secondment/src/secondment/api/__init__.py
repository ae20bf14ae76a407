"""REST API of 下沉指导 (secondment and guidance): thin routes over the use cases.

Fixed paths come before parameterised ones (`/rosters/diff` before `/rosters/{version_id}`).
"""

from fastapi import APIRouter

from secondment.api import guidance, officers, rosters, teams

router = APIRouter()
router.include_router(teams.router)
router.include_router(rosters.router)
router.include_router(officers.router)
router.include_router(guidance.router)
