"""Handlers of the events the secondment and guidance service consumes: each translates the event and
calls the same use case the REST API calls (`async def on_x(uow, event, envelope, *, ctx)`).

The service consumes nothing: it is the source of the roster (SEC-02) that joint inspection
and assistance keep (`xietong_common.mechanisms.roster`), and of the guidance records (SEC-05).
"""

from __future__ import annotations
