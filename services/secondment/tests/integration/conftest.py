"""A running secondment service on the real stack, and small builders: teams, roster sheets."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from secondment.main import SPEC
from xietong_common.clock import FakeClock
from xietong_common.tables import audit_log, outbox
from xietong_devtools.testing import RunningService, Servers, create_database, running_service

WATER = "dept:water"  # zone (划片), matter WAT-001 delegated to towns
ECOLOGY = "dept:ecology-environment"  # zone; ENV-002 delegated, ENV-001 not
URBAN = "dept:urban-management"  # stationed (派驻); URB-001 delegated
LIZHI, BAITAO, JIANGBEI, CHONGYI = "town:lizhi", "town:baitao", "town:jiangbei", "town:chongyi"
HEADER = ["序号", "姓名", "执法证号", "执法证有效期", "所属队伍", "服务乡镇", "职务"]
PROBLEM = "urn:xietong:problem:"
TABLES = (
    "teams",
    "team_versions",
    "team_members",
    "officers",
    "roster_versions",
    "assessments",
    "work_notes",
    "guidance_activities",
    "guidance_materials",
)


@dataclass
class Svc:
    """The running service with helpers for the common steps."""

    run: RunningService
    clock: FakeClock

    @property
    def client(self) -> Any:
        return self.run.client

    def h(self, org: str, *roles: str) -> dict[str, str]:
        return self.run.auth(org, *roles, user=f"{org}/{'-'.join(roles) or 'nobody'}")

    def admin(self, org: str) -> dict[str, str]:
        return self.h(org, "admin")

    async def team(
        self,
        department: str = WATER,
        name: str = "区水利局第一片区指导队",
        towns: list[str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "towns": towns or [LIZHI, BAITAO, JIANGBEI],
            "valid_from": "2024-01-05",
            **extra,
        }
        r = await self.client.post("/teams", json=body, headers=self.admin(department))
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def upload(
        self,
        department: str,
        content: bytes,
        *,
        filename: str = "roster.xlsx",
        effective_from: str | None = None,
        dry_run: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Any:
        data: dict[str, str] = {}
        if effective_from:
            data["effective_from"] = effective_from
        if dry_run:
            data["dry_run"] = "true"
        return await self.client.post(
            "/rosters/imports",
            data=data,
            files={"file": (filename, content, "application/octet-stream")},
            headers=headers or self.admin(department),
        )

    async def imported(self, department: str, content: bytes, **kw: Any) -> dict[str, Any]:
        r = await self.upload(department, content, **kw)
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    async def officers(self, org: str, **params: Any) -> list[dict[str, Any]]:
        r = await self.client.get("/officers", params=params, headers=self.h(org, "handler"))
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    async def officer_id(self, department: str, certificate: str) -> str:
        found = await self.officers(department, certificate_number=certificate)
        assert len(found) == 1, found
        return str(found[0]["officer_id"])

    async def counts(self) -> dict[str, int]:
        """Rows of every table, the outbox and the audit log: what a refusal leaves as it was."""
        out: dict[str, int] = {}
        async with self.run.ctx.db.session() as s:
            for table in TABLES:
                out[table] = int(
                    (await s.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()
                )
            out["outbox"] = int(
                (await s.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one()
            )
            out["audit"] = int(
                (await s.execute(sa.select(sa.func.count()).select_from(audit_log))).scalar_one()
            )
        return out


def xlsx(rows: list[list[Any]], *, title: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def officer_row(
    n: int,
    name: str,
    certificate: str,
    team: str = "区水利局第一片区指导队",
    *,
    until: date | str = date(2026, 12, 31),
    towns: str | None = None,
    position: str | None = "队员",
) -> list[Any]:
    return [n, name, certificate, until, team, towns, position]


def refused(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["type"] == PROBLEM + slug, body
    assert body["detail"]
    return body


@pytest.fixture
async def svc(servers: Servers, kafka_bootstrap: str, tmp_path: Any) -> AsyncIterator[Svc]:
    clock = FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))  # Fri 2024-03-01 10:00 CST
    url = await create_database(servers, "secondment", migrated_for=SPEC)
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=clock,
        blob_dir=tmp_path / "blobs",
        run_jobs=False,
    ) as running:
        yield Svc(run=running, clock=clock)
