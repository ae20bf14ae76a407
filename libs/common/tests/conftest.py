"""Fixtures of the library's unit and integration tests alike."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from xietong_common import closing


@pytest.fixture
def tasks_made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The coroutines `xietong_common.closing` hands to tasks of their own while the test runs."""
    made: list[Any] = []
    create_task = asyncio.create_task

    def counting(coro: Any, **kw: Any) -> asyncio.Task[Any]:
        made.append(coro)
        return create_task(coro, **kw)

    monkeypatch.setattr(closing.asyncio, "create_task", counting)
    return made
