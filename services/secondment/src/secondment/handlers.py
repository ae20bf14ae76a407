"""Handlers of the events the secondment and guidance service consumes: each translates the event and
calls the same use case the REST API calls (`async def on_x(uow, event, envelope, *, ctx)`).
"""

from __future__ import annotations
