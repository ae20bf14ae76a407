"""A finished test's databases are dropped while the next tests run, not all at the session's
end (each DROP DATABASE waits for a checkpoint: minutes of tail for a worker's ~900), and a
drop that cannot reach its server is handed back to the session's end."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xietong_devtools.testing import NOWHERE, DropsBehind, Servers, run_throwaway_suite

SUITE = """
import asyncio

import asyncpg

MADE = []


async def test_makes_a_database(fresh_database):
    MADE.append((await fresh_database("behind")).rpartition("/")[2])


async def test_it_is_dropped_while_the_next_tests_run(servers):
    assert len(MADE) == 1
    conn = await asyncpg.connect(servers.postgres_admin_url)
    try:
        # Bounded by pytest's timeout, not a figure a slow box trips.
        while await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", MADE[0]):
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    assert MADE[0] not in servers.created
"""


@pytest.mark.integration
def test_a_finished_tests_database_is_dropped_behind_the_next_tests(
    servers: Servers, tmp_path: Path
) -> None:
    (tmp_path / "test_behind.py").write_text(SUITE)
    run = run_throwaway_suite(
        tmp_path,
        "-p",
        "no:randomly",
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=session",
        "-o",
        "asyncio_default_test_loop_scope=session",
        # The same servers as this session's, not a stack or containers of its own.
        env={
            **os.environ,
            "DATABASE_URL": servers.postgres_admin_url,
            "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
        },
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.count("PASSED") == 2, run.stdout[-3000:]


def test_a_drop_that_cannot_reach_its_server_is_handed_back_for_the_sessions_end() -> None:
    drops = DropsBehind()
    nowhere = f"postgresql://xietong@{NOWHERE}/postgres"
    drops.put(nowhere, "t_never_made")
    assert drops.finish() == {nowhere: ["t_never_made"]}
    assert drops.finish() == {}
