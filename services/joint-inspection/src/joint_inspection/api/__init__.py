"""REST API of 综合查一次: thin routes over the use cases, by use-case group (targets and
signals, plans and draws, work orders, the closed loop at each target, reports)."""

from fastapi import APIRouter

from joint_inspection.api import (
    documents,
    inspector_draws,
    loop,
    orders,
    plans,
    reports,
    targets,
    visits,
)

router = APIRouter()
router.include_router(targets.router)
router.include_router(plans.router)
router.include_router(orders.router)
router.include_router(inspector_draws.router)
router.include_router(loop.router)
router.include_router(visits.router)
router.include_router(reports.router)
router.include_router(documents.router)
