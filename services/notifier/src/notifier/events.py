"""Events of the notifier: it publishes none. What it consumes (deadline.approaching,
deadline.breached) is declared in xietong_common.contracts.deadlines; what it sends out is
the consumed CloudEvent itself, over HTTP (docs/webhooks.md)."""

from __future__ import annotations

PUBLISHED: tuple[str, ...] = ()
