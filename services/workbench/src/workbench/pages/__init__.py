"""The workbench's screens, one module per mechanism."""

from workbench.pages import (
    account,
    assistance,
    home,
    info,
    inspection,
    oversight,
    referrals,
    reviews,
    secondment,
)

ROUTERS = [
    account.router,
    home.router,
    referrals.router,
    reviews.router,
    assistance.router,
    info.router,
    inspection.router,
    secondment.router,
    oversight.router,
]
