"""The gauges behind the alerts a district's operators get (deploy/observability): the audit
chain verified by the service itself every hour, and the last year whose holiday schedule
the calendar knows (for the December alert). Run as the services run them, on the stack."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from prometheus_client import REGISTRY

from referral.main import SPEC
from xietong_common.attestation.checkpoints import create_checkpoint
from xietong_common.attestation.verification import audit_verify_job
from xietong_common.audit.keys import service_signing_key
from xietong_common.auth import Principal
from xietong_common.db import plain_url
from xietong_common.jobs import deadline_sweep_job, run_job_once
from xietong_devtools.testing import Servers, create_database, running_service, sample_codes


def _gauge(name: str, service: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service})


async def test_the_service_verifies_its_own_audit_chain_and_says_so(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    url = await create_database(servers, "verifyjob")
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        run_jobs=False,
        run_consumer=False,
        audit_key_dir=tmp_path / "keys",
        blob_dir=tmp_path / "blobs",
        service_name="referral-verify-job",
    ) as svc:
        codes = sample_codes(svc.ctx)
        r = await svc.client.post(
            "/referrals",
            json={
                "matter_code": codes["dept_matter"],
                "place_town": codes["town_a"],
                "found_at": "2024-03-01T02:00:00+00:00",
                "facts": "巡查发现企业向河道直排污水",
            },
            headers=svc.auth(codes["town_a"], "handler"),
        )
        assert r.status_code == 201, r.text
        key = service_signing_key(svc.settings, "referral")
        async with svc.ctx.db.uow(actor=Principal.system("referral")) as uow:
            assert await create_checkpoint(
                uow, service="referral", key=key, deployment=svc.settings.deployment_id
            )
        job = audit_verify_job()
        assert await run_job_once(svc.ctx.db, job.name, job.job(svc.ctx))
        assert _gauge("xietong_audit_chain_verified", "referral-verify-job") == 1
        ran = _gauge("xietong_audit_verify_last_run_timestamp_seconds", "referral-verify-job")
        assert ran is not None

        # Someone with the owner's rights removes the newest audit row.
        conn = await asyncpg.connect(plain_url(url))
        try:
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
            await conn.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
        finally:
            await conn.close()
        assert await run_job_once(svc.ctx.db, job.name, job.job(svc.ctx))
        assert _gauge("xietong_audit_chain_verified", "referral-verify-job") == 0


async def test_the_deadline_sweep_reports_the_last_year_of_holidays_known(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    url = await create_database(servers, "calendar")
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        run_jobs=False,
        run_consumer=False,
        blob_dir=tmp_path / "blobs",
        service_name="referral-calendar-gauge",
    ) as svc:
        job = deadline_sweep_job("referral")
        assert await run_job_once(svc.ctx.db, job.name, job.job(svc.ctx))
        known = max(svc.ctx.calendar.known_years())
        assert _gauge("xietong_calendar_last_known_year", "referral") == known
        assert known >= 2026
