"""Fixtures of the workbench's tests: one stack of real services per session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from workbench_testing import Stack, running_stack
from xietong_devtools.testing import Servers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The first test to use the stack waits for six services to migrate and start (minutes
    on a busy 2-core box): its bound covers that, beyond pytest's usual 300 s."""
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(900))


@pytest.fixture(scope="session")
async def stack(
    servers: Servers, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    # While working on the pages: `python -m workbench_testing` keeps a stack up and prints
    # this variable, so a test run need not start six services again.
    if reuse := os.environ.get("XIETONG_WORKBENCH_TEST_STACK"):
        yield Stack.from_json(reuse)
        return
    async with running_stack(servers, kafka_bootstrap, tmp_path_factory.mktemp("stack")) as found:
        yield found
