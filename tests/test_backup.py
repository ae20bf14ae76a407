"""The restore drill of docs/deploy.md, on the local stack with databases of its own:
deploy/backup/backup.sh dumps a service's database, its blobs and its own record of the
audit checkpoints it signed; the database and the blobs are lost; deploy/backup/restore.sh
brings them back; `xietong audit verify` then passes against the checkpoints the backup
carried (and fails, as it should, once a restored row is removed). Retention and the
healthcheck of the compose `backup` service too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from referral.main import SPEC
from xietong_common.attestation.checkpoints import create_checkpoint
from xietong_common.audit.keys import service_signing_key
from xietong_common.auth import Principal
from xietong_common.contracts.audit import AuditCheckpointSigned
from xietong_common.db import plain_url
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.stack.postgres import find_bin_dir
from xietong_devtools.testing import Servers, create_database, running_service, sample_codes

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _libpq_env(admin_url: str, **extra: str) -> dict[str, str]:
    """PGHOST… of the server at `admin_url`, and its own pg_dump / pg_restore on PATH."""
    import sqlalchemy as sa

    url = sa.engine.make_url(admin_url)
    bin_dir, _ = find_bin_dir()
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGPASSWORD": url.password or "",
        **extra,
    }


def _run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DEPLOY / "backup" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _verify(database_url: str, keys: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xietong_common.cli.main", "audit", "verify", "referral", *extra],
        env={
            **os.environ,
            "XIETONG_DATABASE_URL": database_url,
            "XIETONG_AUDIT_KEY_DIR": str(keys),
            "XIETONG_SERVICE_NAME": "referral",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


async def _referrals_with_a_checkpoint(
    url: str, bootstrap: str, blobs: Path, keys: Path
) -> list[str]:
    """Cases with materials (audit rows, blobs), then a signed checkpoint, as a service runs."""
    made = []
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=bootstrap,
        run_jobs=False,
        run_consumer=False,
        blob_dir=blobs,
        audit_key_dir=keys,
    ) as svc:
        codes = sample_codes(svc.ctx)
        sender = svc.auth(codes["town_a"], "handler")
        for n in range(3):
            r = await svc.client.post(
                "/referrals",
                json={
                    "matter_code": codes["dept_matter"],
                    "place_town": codes["town_a"],
                    "found_at": "2024-03-01T02:00:00+00:00",
                    "facts": f"巡查发现企业向河道直排污水 {n}",
                    "party": {"name": "某某化工有限公司", "kind": "legal-person"},
                },
                headers=sender,
            )
            assert r.status_code == 201, r.text
            rid = r.json()["id"]
            upload = await svc.client.post(
                f"/referrals/{rid}/materials",
                data={"kind": "letter"},
                files={
                    "file": ("letter.pdf", pdf_bytes(f"移送函 {uuid.uuid4()}"), "application/pdf")
                },
                headers=sender,
            )
            assert upload.status_code == 201, upload.text
            made.append(rid)
        settings = svc.settings
        key = service_signing_key(settings, "referral")
        async with svc.ctx.db.uow(actor=Principal.system("referral")) as uow:
            checkpoint = await create_checkpoint(
                uow, service="referral", key=key, deployment=settings.deployment_id
            )
        assert checkpoint is not None
    return made


async def test_backup_lose_restore_and_the_audit_trail_still_verifies(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    url = await create_database(servers, "drill")
    database = url.rsplit("/", 1)[1]
    blobs, keys, backups = tmp_path / "blobs", tmp_path / "keys", tmp_path / "backups"
    await _referrals_with_a_checkpoint(url, kafka_bootstrap, blobs, keys)
    blob_files = sorted(p.relative_to(blobs) for p in blobs.rglob("*") if p.is_file())
    assert len(blob_files) == 3
    env = _libpq_env(
        servers.postgres_admin_url,
        XIETONG_BACKUP_DIR=str(backups),
        XIETONG_BACKUP_BLOB_DIR=str(blobs),
        XIETONG_BACKUP_DATABASES=database,
    )

    result = _run("backup.sh", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = sorted(backups.iterdir())
    assert (run / ".complete").exists()
    assert (run / f"{database}.dump").stat().st_size > 0
    lines = (run / f"checkpoints-{database}.jsonl").read_text().splitlines()
    (checkpoint,) = [AuditCheckpointSigned.model_validate(json.loads(line)) for line in lines]
    assert checkpoint.service == "referral"
    assert (
        sorted(p.relative_to(run / "blobs") for p in (run / "blobs").rglob("*") if p.is_file())
        == blob_files
    )
    assert _run("backup.sh", "--check", env=env).returncode == 0

    # The disk is lost: the database and the blobs are gone.
    admin = await asyncpg.connect(plain_url(servers.postgres_admin_url))
    try:
        await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    finally:
        await admin.close()
    shutil.rmtree(blobs)

    restored = _run("restore.sh", str(run), env={**env, "XIETONG_RESTORE_BLOB_DIR": str(blobs)})
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert sorted(p.relative_to(blobs) for p in blobs.rglob("*") if p.is_file()) == blob_files
    carried = str(run / f"checkpoints-{database}.jsonl")
    verified = _verify(url, keys, "--checkpoints", carried, "--no-kafka")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # …and the drill would notice a restore that lost the newest rows.
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await conn.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    finally:
        await conn.close()
    tampered = _verify(url, keys, "--checkpoints", carried, "--no-kafka", "--no-recorded")
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr


def test_a_damaged_backup_is_not_restored(tmp_path: Path) -> None:
    run = tmp_path / "20260101T000000Z"
    run.mkdir()
    (run / "x.dump").write_bytes(b"dump")
    (run / "SHA256SUMS").write_text(
        subprocess.run(["sha256sum", "x.dump"], cwd=run, capture_output=True, text=True).stdout
    )
    env: dict[str, Any] = {"PATH": os.environ["PATH"], "XIETONG_RESTORE_BLOB_DIR": ""}
    incomplete = _run("restore.sh", str(run), env=env)
    assert incomplete.returncode == 1
    assert "not a complete backup" in incomplete.stderr
    (run / ".complete").touch()
    (run / "x.dump").write_bytes(b"dumq")
    damaged = _run("restore.sh", str(run), env=env)
    assert damaged.returncode == 1
    assert "fails its checksums" in damaged.stderr


async def test_retention_keeps_the_newest_and_blobs_are_linked_not_copied(
    servers: Servers, tmp_path: Path
) -> None:
    url = await create_database(servers, "retention")
    database = url.rsplit("/", 1)[1]
    blobs, backups = tmp_path / "blobs", tmp_path / "backups"
    (blobs / "ab").mkdir(parents=True)
    (blobs / "ab" / "abcdef").write_bytes(b"material")
    old = backups / "20000101T000000Z"
    old.mkdir(parents=True)
    (old / ".complete").touch()
    env = _libpq_env(
        servers.postgres_admin_url,
        XIETONG_BACKUP_DIR=str(backups),
        XIETONG_BACKUP_BLOB_DIR=str(blobs),
        XIETONG_BACKUP_DATABASES=database,
        XIETONG_BACKUP_KEEP_DAYS="1",
    )
    first = _run("backup.sh", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert not old.exists()  # older than the retention
    assert "deleted 20000101T000000Z" in first.stdout
    (run,) = list(backups.iterdir())
    renamed = backups / "20010101T000000Z"  # as if the first run were a day older
    run.rename(renamed)
    (renamed / ".complete").touch()
    second = _run("backup.sh", env={**env, "XIETONG_BACKUP_KEEP_DAYS": "36500"})
    assert second.returncode == 0, second.stderr
    newest = max(backups.iterdir())
    a = (renamed / "blobs" / "ab" / "abcdef").stat()
    b = (newest / "blobs" / "ab" / "abcdef").stat()
    assert (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev)  # one copy on disk
    # The healthcheck fails when the newest complete run is older than twice the interval.
    for complete in backups.glob("*/.complete"):
        os.utime(complete, (1_000_000_000, 1_000_000_000))  # finished in 2001
    stale = _run("backup.sh", "--check", env={**env, "XIETONG_BACKUP_EVERY_S": "86400"})
    assert stale.returncode == 1
