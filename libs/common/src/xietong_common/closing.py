"""Closing a session without a task of its own where closing waits for nothing (issue 22):
`db.Database.session`'s read sessions, the unit of work's session and the connection of a
read by id on the driver (`records._driver_row`) close through it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any, Protocol


class Closing(Protocol):
    """A session or a connection of SQLAlchemy's asyncio extension."""

    def close(self) -> Coroutine[Any, Any, None]: ...


async def closed(session: Closing) -> None:
    """Close `session` (or a connection) as SQLAlchemy's `async with` does — to the end,
    whether or not the task waiting for it is cancelled meanwhile — without a task of its own
    where closing waits for nothing.

    SQLAlchemy runs every close in a new task and waits for it shielded, so that a
    cancellation cannot leave a connection half returned to its pool; that task and the
    loop's turns to run it and to wake the request again were some 80 of a GET's ~900 Python
    calls (issue 22). A read session's close (autocommit: nothing to roll back) returns its
    connection to the pool without waiting for anything, and what does not wait cannot be
    cancelled: the close runs here up to where it first waits, and only if it does wait (a
    transaction to roll back, a connection closed as it goes back to a full pool) does the
    rest go to a task of its own, waited for as SQLAlchemy waits for it."""
    closing = session.close()
    try:
        waiting = closing.send(None)
    except StopIteration:
        return
    task = asyncio.create_task(_finish(closing, waiting))
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as error:
            if task.done():
                raise
            cancelled = error  # the close goes on; the caller hears of it once it is done
        else:
            break
    if cancelled is not None:
        raise cancelled


async def _finish(coro: Coroutine[Any, Any, None], waiting: Any) -> None:
    await _Rest(coro, waiting)


class _Rest:
    """The rest of `coro`, which yielded `waiting` to its task where it first waited: awaited,
    it goes on as `await coro` would have from there, in the task awaiting it."""

    __slots__ = ("coro", "waiting")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        self.coro = coro
        self.waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        coro, waiting = self.coro, self.waiting
        while True:
            try:
                answer = yield waiting
            except BaseException as error:  # thrown into the task (a cancellation): into coro
                try:
                    waiting = coro.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting = coro.send(answer)
                except StopIteration:
                    return
