"""Loops that run until they are cancelled, and stop when they are.

On Python 3.11 `asyncio.wait_for` — which the Kafka client uses for its requests — can
swallow a cancellation that arrives just as the awaited call completes: the call's result is
returned and the task goes on as if never cancelled (3.12 rebuilt `wait_for` on
`asyncio.timeout` and fixed it). A consumer loop caught so never stops: its service's
shutdown waits out its 15 s for it, and the loop then consumes on, after its database is gone.
The task still counts the cancellation it was asked for (`Task.cancelling()`), so such a loop
asks at each turn."""

from __future__ import annotations

import asyncio


def raise_if_cancelled() -> None:
    """Raise `CancelledError` if this task was asked to stop: call it at each turn of a loop
    that runs until cancelled, before its next await."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
