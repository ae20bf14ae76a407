"""Handlers of the events the enforcement assistance service consumes: each translates the event and
calls the same use case the REST API calls (`async def on_x(uow, event, envelope, *, ctx)`).

The service consumes one event: `secondment.roster-changed`, kept as the local roster
projection (`xietong_common.mechanisms.roster`) on which a department's seconded officers are
checked when it accepts a request (ASSIST-02, SEC-04). The inbox trusts it only from the
secondment service; a redelivered or out-of-order roster version is kept once.
"""

from __future__ import annotations

from xietong_common.context import ServiceContext
from xietong_common.contracts.secondment import RosterChanged
from xietong_common.events.envelope import CloudEvent
from xietong_common.mechanisms.roster import on_roster_changed as keep_roster
from xietong_common.uow import UnitOfWork


async def on_roster_changed(
    uow: UnitOfWork, event: RosterChanged, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """SEC-02/SEC-04: a team's roster as it stands from its effective date."""
    await keep_roster(uow, event, envelope, ctx=ctx)
