"""deploy/postgres/init-databases.sh, run as the postgres image runs it on first start, on a
real (throwaway) PostgreSQL: each service gets its own role, database and password, and
can reach no other service's database."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from xietong_devtools.stack.postgres import LocalPostgres, StackError, find_bin_dir

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "postgres" / "init-databases.sh"
PACKAGES = [
    "info_sharing",
    "assistance",
    "referral",
    "legal_review",
    "joint_inspection",
    "secondment",
    "oversight",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pg = LocalPostgres(home=tmp_path_factory.mktemp("init-databases") / "postgres", port=port)
    try:
        pg.start()
    except StackError as exc:
        pytest.skip(f"no PostgreSQL: {exc}")
    try:
        yield pg
    finally:
        pg.stop()
        pg.delete_data()


def _run(pg: LocalPostgres, passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bin_dir, _ = find_bin_dir()
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "POSTGRES_USER": "postgres",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(pg.port),
            "PGPASSWORD": pg.password_file.read_text().strip(),
            **{f"XIETONG_DB_PASSWORD_{pkg.upper()}": pw for pkg, pw in passwords.items()},
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_short_or_missing_password_is_refused(server: LocalPostgres) -> None:
    result = _run(server, {"info_sharing": "short"})
    assert result.returncode == 1
    assert "XIETONG_DB_PASSWORD_INFO_SHARING" in result.stderr


def test_each_service_gets_its_own_role_database_and_password(server: LocalPostgres) -> None:
    passwords = {pkg: f"{pkg.replace('_', '-')}-{uuid.uuid4().hex}" for pkg in PACKAGES}
    result = _run(server, passwords)
    assert result.returncode == 0, result.stdout + result.stderr

    async def check() -> None:
        for pkg, password in passwords.items():
            conn = await asyncpg.connect(
                host="127.0.0.1",
                port=server.port,
                user=pkg,
                password=password,
                database=f"xietong_{pkg}",
            )
            try:
                assert await conn.fetchval("SELECT current_user") == pkg
                owner = await conn.fetchval(
                    "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1",
                    f"xietong_{pkg}",
                )
                assert owner == pkg
            finally:
                await conn.close()
        # Not with another service's password, and not into another service's database.
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(
                host="127.0.0.1",
                port=server.port,
                user="referral",
                password=passwords["legal_review"],
                database="xietong_referral",
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(
                host="127.0.0.1",
                port=server.port,
                user="referral",
                password=passwords["referral"],
                database="xietong_legal_review",
            )

    asyncio.run(check())


def test_a_password_that_would_break_the_url_is_refused(server: LocalPostgres) -> None:
    passwords = {pkg: uuid.uuid4().hex for pkg in PACKAGES}
    passwords["referral"] = "abc'def@ghi/jkl-0123456789"
    result = _run(server, passwords)
    assert result.returncode == 1
    assert "XIETONG_DB_PASSWORD_REFERRAL" in result.stderr
