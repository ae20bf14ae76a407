"""The workbench's screens, one module per mechanism."""

from workbench.pages import account, home, oversight, referrals

ROUTERS = [account.router, home.router, referrals.router, oversight.router]
