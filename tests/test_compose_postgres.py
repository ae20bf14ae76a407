"""deploy/postgres/init-databases.sh (with roles.sql), run as the postgres image runs it on
first start, on a real (throwaway) PostgreSQL: each service gets its own database, an owner
role for migrations and a DML-only role for the running service, each with its own password
from the compose secret files, and can reach no other service's database. The DML-only role
runs the service (the referral service, started on it) but cannot disable, bypass or empty
the audit log's append-only trigger."""

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

from xietong_common.migrations import upgrade_to_head
from xietong_devtools.stack.postgres import LocalPostgres, StackError, find_bin_dir
from xietong_devtools.testing import running_service, sample_codes

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SCRIPT = DEPLOY / "postgres" / "init-databases.sh"
SERVICES = {
    "info-sharing": "info_sharing",
    "assistance": "assistance",
    "referral": "referral",
    "legal-review": "legal_review",
    "joint-inspection": "joint_inspection",
    "secondment": "secondment",
    "oversight": "oversight",
    "notifier": "notifier",
}
PACKAGES = list(SERVICES.values())


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


def _secrets(directory: Path, owner: dict[str, str], app: dict[str, str]) -> Path:
    """The compose secret files of the postgres container (as deploy/new-env.sh makes them)."""
    directory.mkdir(parents=True, exist_ok=True)
    for svc, pkg in SERVICES.items():
        if pkg in owner:
            (directory / f"{svc}-db-owner-password").write_text(owner[pkg])
        if pkg in app:
            (directory / f"{svc}-db-password").write_text(app[pkg])
    return directory


def _passwords() -> dict[str, str]:
    return {pkg: f"{pkg.replace('_', '-')}-{uuid.uuid4().hex}" for pkg in PACKAGES}


def _run(pg: LocalPostgres, secrets: Path) -> subprocess.CompletedProcess[str]:
    bin_dir, _ = find_bin_dir()
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "POSTGRES_USER": "postgres",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(pg.port),
            "PGPASSWORD": pg.password_file.read_text().strip(),
            "XIETONG_DB_SECRETS": str(secrets),
            "XIETONG_ROLES_SQL": str(DEPLOY / "postgres" / "roles.sql"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_short_or_missing_password_is_refused(server: LocalPostgres, tmp_path: Path) -> None:
    app = _passwords()
    owner = _passwords()
    owner["info_sharing"] = "short"
    del app["secondment"]
    result = _run(server, _secrets(tmp_path, owner, app))
    assert result.returncode == 1
    assert "owner password of info-sharing" in result.stderr
    assert "info-sharing-db-owner-password" in result.stderr


def test_a_password_that_would_break_the_url_is_refused(
    server: LocalPostgres, tmp_path: Path
) -> None:
    app = _passwords()
    app["referral"] = "abc'def@ghi/jkl-0123456789"
    result = _run(server, _secrets(tmp_path, _passwords(), app))
    assert result.returncode == 1
    assert "app password of referral" in result.stderr


async def _connect(server: LocalPostgres, user: str, password: str, db: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        host="127.0.0.1", port=server.port, user=user, password=password, database=db
    )


@pytest.fixture(scope="module")
def initialised(
    server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], dict[str, str]]:
    owner, app = _passwords(), _passwords()
    result = _run(server, _secrets(tmp_path_factory.mktemp("secrets"), owner, app))
    assert result.returncode == 0, result.stdout + result.stderr
    return owner, app


def test_each_service_gets_its_database_an_owner_and_a_dml_role(
    server: LocalPostgres, initialised: tuple[dict[str, str], dict[str, str]]
) -> None:
    owner, app = initialised

    async def check() -> None:
        for pkg in PACKAGES:
            db = f"xietong_{pkg}"
            for user, password in ((pkg, owner[pkg]), (f"{pkg}_app", app[pkg])):
                conn = await _connect(server, user, password, db)
                try:
                    assert await conn.fetchval("SELECT current_user") == user
                    assert (
                        await conn.fetchval(
                            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1",
                            db,
                        )
                        == pkg
                    )
                finally:
                    await conn.close()
        # Not with another service's password, and not into another service's database.
        with pytest.raises(asyncpg.InvalidPasswordError):
            await _connect(server, "referral_app", app["legal_review"], "xietong_referral")
        with pytest.raises(asyncpg.InvalidPasswordError):
            await _connect(server, "referral", app["referral"], "xietong_referral")
        for user, password in (("referral", owner["referral"]), ("referral_app", app["referral"])):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await _connect(server, user, password, "xietong_legal_review")

    asyncio.run(check())


def test_the_dml_role_runs_the_service_but_cannot_touch_the_audit_log_s_guard(
    server: LocalPostgres,
    initialised: tuple[dict[str, str], dict[str, str]],
    kafka_bootstrap: str,
) -> None:
    """Migrated as the owner, the referral service runs as referral_app: a case is created
    (and audited), but the role can neither disable the append-only trigger, nor empty,
    edit or drop the audit log, nor create anything."""
    from referral.main import SPEC

    owner, app = initialised
    base = f"127.0.0.1:{server.port}/xietong_referral"
    upgrade_to_head(
        SPEC.migrations_dir, f"postgresql+asyncpg://referral:{owner['referral']}@{base}"
    )
    app_url = f"postgresql+asyncpg://referral_app:{app['referral']}@{base}"

    async def run() -> None:
        async with running_service(
            SPEC,
            database_url=app_url,
            kafka_bootstrap=kafka_bootstrap,
            migrate_on_start=False,
            run_consumer=False,
        ) as svc:
            codes = sample_codes(svc.ctx)
            r = await svc.client.post(
                "/referrals",
                json={
                    "matter_code": codes["dept_matter"],
                    "place_town": codes["town_a"],
                    "found_at": "2024-03-01T02:00:00+00:00",
                    "facts": "巡查发现企业向河道直排污水",
                    "party": {"name": "某某化工有限公司", "kind": "legal-person"},
                },
                headers=svc.auth(codes["town_a"], "handler"),
            )
            assert r.status_code == 201, r.text
        conn = await _connect(server, "referral_app", app["referral"], "xietong_referral")
        try:
            assert await conn.fetchval("SELECT count(*) FROM audit_log") >= 1
            for statement in (
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
                "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                "TRUNCATE audit_log",
                "DROP TABLE audit_log",
                "DROP FUNCTION audit_log_append_only() CASCADE",
                "CREATE TABLE shadow (seq bigint)",
                "SET session_replication_role = replica",  # would skip the trigger
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)
            for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
                with pytest.raises(asyncpg.RaiseError, match="append-only"):
                    await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def test_roles_sql_again_is_harmless_and_grants_on_existing_tables(
    server: LocalPostgres, initialised: tuple[dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    """What an existing deployment does on upgrade (docs/deploy.md): the script again, over
    databases whose tables exist, adds what is missing and changes nothing else."""
    owner, app = initialised
    result = _run(server, _secrets(tmp_path, owner, app))
    assert result.returncode == 0, result.stderr

    async def check() -> None:
        conn = await _connect(server, "secondment", owner["secondment"], "xietong_secondment")
        try:
            await conn.execute("CREATE TABLE IF NOT EXISTS made_before (id int)")
        finally:
            await conn.close()
        assert _run(server, _secrets(tmp_path, owner, app)).returncode == 0
        conn = await _connect(server, "secondment_app", app["secondment"], "xietong_secondment")
        try:
            await conn.execute("INSERT INTO made_before VALUES (1)")
            assert await conn.fetchval("SELECT count(*) FROM made_before") >= 1
        finally:
            await conn.close()

    asyncio.run(check())
