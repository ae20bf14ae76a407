"""REST API of the notifier: thin routes over the use cases."""

from fastapi import APIRouter

from notifier.api import deliveries, subscriptions

router = APIRouter()
router.include_router(subscriptions.router)
router.include_router(deliveries.router)
