"""Handlers of the events the enforcement assistance service consumes: each translates the event and
calls the same use case the REST API calls (`async def on_x(uow, event, envelope, *, ctx)`).
"""

from __future__ import annotations
