"""The workbench tests' shared stack and browser (`UntilLastUser`): started by the first test of a
row that uses them, stopped after the last, started again should a later test ask."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from workbench_testing import NEXT_TEST, UntilLastUser, next_test_uses


@dataclass
class FakeItem:
    fixturenames: list[str]
    stash: pytest.Stash = field(default_factory=pytest.Stash)


def _as_item(fake: FakeItem | None) -> Any:
    return cast(Any, fake)  # what the code under test reads of a pytest.Item, no more


def _row(*uses: bool) -> list[FakeItem]:
    """Tests run one after the other, each using the thing or not, with pytest's `nextitem`
    kept as the workbench's conftest keeps it."""
    items = [FakeItem(["stack"] if use else ["servers"]) for use in uses]
    for item, nextitem in zip(items, [*items[1:], None], strict=True):
        item.stash[NEXT_TEST] = _as_item(nextitem)
    return items


async def _run(items: list[FakeItem]) -> list[str]:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def start() -> AsyncIterator[int]:
        events.append("start")
        try:
            yield len(events)
        finally:
            events.append("stop")

    async with UntilLastUser(start) as shared:  # the session
        for item in items:
            if "stack" in item.fixturenames:
                await shared.get()
                events.append("test")
                await shared.stop_unless_next_uses(_as_item(item), "stack")
            else:
                events.append("other")
    return events


async def test_a_row_of_users_shares_one_start_and_it_stops_after_the_last() -> None:
    events = await _run(_row(True, True, True, False, False))
    assert events == ["start", "test", "test", "test", "stop", "other", "other"]


async def test_a_user_after_the_row_starts_it_again() -> None:
    events = await _run(_row(True, False, True))
    assert events == ["start", "test", "stop", "other", "start", "test", "stop"]


async def test_the_last_test_of_the_session_stops_it() -> None:
    assert await _run(_row(False, True)) == ["other", "start", "test", "stop"]


def test_the_next_test_is_judged_by_every_fixture_it_asks_for() -> None:
    first, second = _row(True, True)
    assert next_test_uses(_as_item(first), "stack")
    assert not next_test_uses(_as_item(second), "stack")
    assert not next_test_uses(_as_item(FakeItem(["stack"])), "stack")
