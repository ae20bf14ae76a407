"""SUP-02 through Kafka and the REST API: the assessment as an `.xlsx` download whose
SHA-256 is in the audit log and in `oversight.export-issued` (the outbox); the same rows
as `GET /assessment`, a unit seeing only its own."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook

from xietong_common.tables import audit_log, outbox

from .conftest import Deadline, Ledger

DEPT = "dept:ecology-environment"
OTHER_DEPT = "dept:water"
TOWN = "town:lizhi"


def deadline(org: str, day: int) -> Deadline:
    due = datetime(2024, 5, day, 16, 0, tzinfo=UTC)
    return Deadline(
        mechanism="referral",
        rule="REF-07",
        organisation=org,
        counterparty=TOWN,
        due_at=due,
        started_at=due - timedelta(days=7),
    )


async def download(ledger: Ledger, org: str, **params: Any) -> Any:
    return await ledger.svc.client.get(
        "/assessment.xlsx", params={"period": "2024-05", **params}, headers=ledger.h(org)
    )


def summary_rows(content: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content))
    return [[c.value for c in row] for row in book["汇总"].iter_rows(min_row=11)]


async def test_sup_02_the_assessment_downloads_as_xlsx_its_digest_recorded(ledger: Ledger) -> None:
    mine, theirs = deadline(DEPT, 6), deadline(OTHER_DEPT, 9)
    ids = [
        *await ledger.tell(mine, mine.started(), mine.breached()),
        *await ledger.tell(theirs, theirs.started(), theirs.met(theirs.due_at, late=False)),
    ]
    await ledger.until_handled(*ids)

    r = await download(ledger, "justice-bureau")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    digest = r.headers["x-content-sha256"]
    assert digest == hashlib.sha256(r.content).hexdigest()
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[0] == "汇总"
    assert "案件移送" in book.sheetnames
    assert [c.value for c in book["汇总"][10]][:4] == [
        "单位代码",
        "单位名称",
        "单位类别",
        "应履行（期限到期）",
    ]
    rows = summary_rows(r.content)
    assert [row[0] for row in rows] == [DEPT, OTHER_DEPT, "合计"]
    assert rows[0][1] == "区生态环境局"
    assert rows[0][3:6] == [1, 0, 1]  # due, met on time, breached
    # The same figures as the JSON table.
    table = await ledger.assessment(DEPT, period="2024-05")
    assert (table["due"], table["breached"]) == (1, 1)

    # The digest is in the audit log (SUP-02) and the event in the outbox, one each.
    async with ledger.svc.ctx.db.session() as session:
        audited = (
            (
                await session.execute(
                    sa.select(audit_log).where(
                        audit_log.c.action == "assessment.exported",
                        audit_log.c.detail["sha256"].astext == digest,
                    )
                )
            )
            .mappings()
            .all()
        )
        events = (
            (
                await session.execute(
                    sa.select(outbox.c.envelope).where(
                        outbox.c.topic == "oversight.export-issued",
                        outbox.c.key == r.headers["x-export-id"],
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(audited) == 1
    assert audited[0]["rule"] == "SUP-02"
    assert audited[0]["org"] == "justice-bureau"
    assert audited[0]["subject"] == f"assessment-export:{r.headers['x-export-id']}"
    assert len(events) == 1
    data = events[0]["data"]
    assert events[0]["type"] == "xietong.oversight.export-issued.v1"
    assert (data["sha256"], data["size"], data["period"]) == (digest, len(r.content), "2024-05")
    assert data["organisations"] == 2
    assert data["totals"]["breached"] == 1
    # The export id is printed on the summary sheet, so a printed table names its record.
    assert book["汇总"]["B8"].value == r.headers["x-export-id"]


async def test_sup_01_a_unit_exports_only_its_own_row(ledger: Ledger) -> None:
    mine, theirs = deadline(DEPT, 20), deadline(OTHER_DEPT, 21)
    ids = [
        *await ledger.tell(mine, mine.started()),
        *await ledger.tell(theirs, theirs.started()),
    ]
    await ledger.until_handled(*ids)
    own = await download(ledger, OTHER_DEPT)
    assert own.status_code == 200, own.text
    assert [row[0] for row in summary_rows(own.content)] == [OTHER_DEPT, "合计"]
    # Another unit's row, asked for by name: 404, as on GET /assessment; nothing exported.
    refused = await download(ledger, OTHER_DEPT, organisation=DEPT)
    assert refused.status_code == 404, refused.text
    assert "x-content-sha256" not in refused.headers
    bad = await download(ledger, "justice-bureau", period="2024-13")
    assert bad.status_code == 422
    assert bad.json()["type"].endswith("oversight-invalid-period")
