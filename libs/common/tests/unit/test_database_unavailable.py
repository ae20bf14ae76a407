"""Which failures say the database is away (wait for it) and which say the work failed."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy as sa

from xietong_common.db import database_unavailable


def wrapped(orig: BaseException, *, invalidated: bool = False) -> BaseException:
    """As SQLAlchemy raises a driver's error: a DBAPIError holding it, raised from it."""
    try:
        try:
            raise orig
        except BaseException as cause:
            raise sa.exc.DBAPIError(
                "SELECT 1", {}, cause, connection_invalidated=invalidated
            ) from cause
    except sa.exc.DBAPIError as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.AdminShutdownError(
            "terminating connection due to administrator command"
        ),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
        wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
        wrapped(asyncpg.exceptions.InterfaceError("connection is closed"), invalidated=True),
        wrapped(ConnectionResetError(104, "Connection reset by peer")),
    ],
    ids=repr,
)
def test_the_database_away_is_recognised(error: BaseException) -> None:
    assert database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a handler's own bug"),
        TimeoutError(),
        asyncpg.exceptions.UniqueViolationError("duplicate key value"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
        wrapped(asyncpg.exceptions.UndefinedColumnError('column "x" does not exist')),
        wrapped(asyncpg.exceptions.InterfaceError("another operation is in progress")),
    ],
    ids=repr,
)
def test_a_failure_of_the_work_is_not_taken_for_an_outage(error: BaseException) -> None:
    assert not database_unavailable(error)
