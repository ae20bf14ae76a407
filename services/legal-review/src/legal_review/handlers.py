"""Handlers of the events legal review consumes: none. A review starts with the brigade's
submission (`POST /reviews`); what legal review tells the others is in `events.py`."""

from __future__ import annotations
