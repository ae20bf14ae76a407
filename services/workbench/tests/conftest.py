"""Fixtures of the workbench's tests: one stack of real services, started for the first test
that uses it and stopped after the last (`UntilLastUser`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from workbench_testing import NEXT_TEST, Stack, UntilLastUser, running_stack
from xietong_devtools.testing import Servers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The first test to use the stack waits for six services to migrate and start (minutes
    on a busy 2-core box): its bound covers that, beyond pytest's usual 300 s."""
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(900))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    item.stash[NEXT_TEST] = nextitem  # for UntilLastUser; the protocol runs on


@pytest.fixture(scope="session")
async def stack_of_the_worker(
    servers: Servers, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[UntilLastUser[Stack]]:
    workdir = tmp_path_factory.mktemp("stack")
    async with UntilLastUser(lambda: running_stack(servers, kafka_bootstrap, workdir)) as shared:
        yield shared


@pytest.fixture
async def stack(
    stack_of_the_worker: UntilLastUser[Stack], request: pytest.FixtureRequest
) -> AsyncIterator[Stack]:
    # While working on the pages: `python -m workbench_testing` keeps a stack up and prints
    # this variable, so a test run need not start six services again.
    if reuse := os.environ.get("XIETONG_WORKBENCH_TEST_STACK"):
        yield Stack.from_json(reuse)
        return
    yield await stack_of_the_worker.get()
    await stack_of_the_worker.stop_unless_next_uses(request.node, "stack")
