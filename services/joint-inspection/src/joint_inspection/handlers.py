"""Handlers of the events the joint inspection service consumes: each translates the event and
calls the same code the REST path uses (`async def on_x(uow, event, envelope, *, ctx)`).

The only one is the secondment roster (SEC-02/SEC-04): `secondment.roster-changed` is kept in
the local projection (`xietong_common.mechanisms.roster`) against which seconded inspectors
are checked. The consumer accepts it only from the secondment service (its CloudEvents
`source`).
"""

from __future__ import annotations

from xietong_common.mechanisms.roster import on_roster_changed as on_roster_changed
