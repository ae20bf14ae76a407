"""INFO-02: anything marked 绝密/机密/秘密 is refused with a clear problem and found nowhere
afterwards — not in any table (items, audit_log, outbox, inbox, idempotency keys …), not in
the blob store, not in the logs, not in a dead-letter topic."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from xietong_common.contracts.inspection import FindingOutcome, InspectionFindingRecorded
from xietong_common.contracts.review import CaseSummary, ReviewDecided, ReviewOpinionKind
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import topic_reader

from .conftest import PROBLEM, Info, item_body

pytestmark = pytest.mark.integration


def secret() -> str:
    """Content nobody may find again: a code name that occurs nowhere else."""
    return f"青龙专项{uuid.uuid4().hex[:12]}"


async def everywhere_in_the_database(info: Info, needle: str) -> list[str]:
    """Every table of the service's database, every row, as text."""
    found = []
    async with info.svc.ctx.db.session() as s:
        tables = (
            await s.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        ).scalars()
        for table in list(tables):
            rows = await s.execute(sa.text(f'SELECT t::text FROM "{table}" t'))
            found += [f"{table}: {r[:80]}" for r in rows.scalars() if needle in r]
    return found


def in_the_blob_store(info: Info, needle: str) -> list[str]:
    hits = []
    for path in info.blob_dir.rglob("*") if info.blob_dir.exists() else []:
        if path.is_file():
            data = path.read_bytes()
            if needle.encode() in data or needle.encode("gb18030") in data:
                hits.append(str(path))
    return hits


def refused(r: Any, *fields: str) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    problem = dict(r.json())
    assert problem["type"] == PROBLEM + "info-classified-refused"
    assert problem["rule"] == "INFO-02"
    for field in fields:
        assert field in problem["fields"], problem
    assert problem["detail"].startswith("以下内容标有国家秘密密级")  # Chinese by default
    return problem


async def test_info_02_every_marking_is_refused_and_found_nowhere_afterwards(
    info: Info, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = info.codes
    clerk = info.clerk(c.dept)
    kept = (await info.post(c.dept, item_body(title="可以共享的草稿"))).json()
    before = await info.counts()
    blobs_before = sorted(info.blob_dir.rglob("*")) if info.blob_dir.exists() else []
    needles = []

    async def attempt(body: dict[str, Any], *fields: str) -> dict[str, Any]:
        r = await info.post(c.dept, body)
        assert needles[-1] not in r.text
        return refused(r, *fields)

    needles.append(secret())  # the standard marking in the title
    p = await attempt(item_body(title=f"机密★1年 {needles[-1]}的报告"), "title")
    assert p["levels"] == ["confidential"]
    needles.append(secret())  # spaced out on the body's first line
    await attempt(item_body(body=f"秘 密\n{needles[-1]}行动方案"), "body")
    needles.append(secret())  # full-width star and digits
    await attempt(item_body(body=f"绝密＊１０年\n{needles[-1]}"), "body")
    needles.append(secret())  # a declared classification, content otherwise clean
    await attempt(item_body(body=needles[-1], classification="机密"), "classification")
    needles.append(secret())  # in a category field
    await attempt(
        item_body(
            category="laws-norms",
            body=needles[-1],
            details={
                "level": "normative-document",
                "issuing_body": "【秘密】某机关",
                "effective_from": "2024-01-01",
            },
        ),
        "details.issuing_body",
    )
    needles.append(secret())  # English classification, traditional characters in the title
    await attempt(item_body(title=f"機密★ {needles[-1]}", classification="top-secret"))

    # a draft's content replaced with a marked one
    needles.append(secret())
    r = await info.svc.client.put(
        f"/items/{kept['id']}",
        json=item_body(body=f"密级：机密\n{needles[-1]}"),
        headers=clerk,
    )
    refused(r, "body")

    # attachments: the file name, the title, a CSV's content — before the blob is stored
    needles.append(secret())
    r = await info.svc.client.post(
        f"/items/{kept['id']}/attachments",
        files={
            "file": (
                f"{needles[-1]}_机密.pdf",
                pdf_bytes("") + needles[-1].encode(),
                "application/pdf",
            )
        },
        headers=clerk,
    )
    refused(r, "filename")
    needles.append(secret())
    r = await info.svc.client.post(
        f"/items/{kept['id']}/attachments",
        files={"file": ("统计.pdf", pdf_bytes("") + needles[-1].encode(), "application/pdf")},
        data={"title": f"秘密★ {needles[-1]}"},
        headers=clerk,
    )
    refused(r, "title")
    for encoding in ("utf-8", "gb18030"):
        needles.append(secret())
        table = f"秘密★5年\n乡镇,立案数\n{needles[-1]},3\n".encode(encoding)
        r = await info.svc.client.post(
            f"/items/{kept['id']}/attachments",
            files={"file": ("统计.csv", table, "text/csv")},
            headers=clerk,
        )
        refused(r, "file")

    # a complaint record from a platform
    needles.append(secret())
    r = await info.svc.client.post(
        "/complaints",
        json={
            "platform": "12345",
            "record_id": "GD-1",
            "kind": "report",
            "title": f"机密＊１年 {needles[-1]}",
            "content": "举报内容",
            "received_at": "2024-03-01T09:00:00+08:00",
            "handling_org": c.town_a,
            "status": "received",
            "status_at": "2024-03-01T09:00:00+08:00",
        },
        headers=info.h("district-gov", "platform"),
    )
    refused(r, "title")

    assert await info.counts() == before
    # the searches below do find what was kept (so finding nothing means something)
    assert await everywhere_in_the_database(info, "可以共享的草稿")
    assert "POST /items" in caplog.text
    after = sorted(info.blob_dir.rglob("*")) if info.blob_dir.exists() else []
    assert after == blobs_before  # not a byte of a refused file was stored
    for needle in needles:
        assert await everywhere_in_the_database(info, needle) == []
        assert in_the_blob_store(info, needle) == []
        assert needle not in caplog.text
    # that something was withheld is on record — fields and levels, never the content
    withheld = await info.audit("info.withheld")
    assert len(withheld) == len(needles)
    assert all(w["rule"] == "INFO-02" and w["detail"]["levels"] for w in withheld)
    assert {"via": "POST /complaints"}.items() <= withheld[-1]["detail"].items()


async def test_info_02_a_marked_event_makes_no_item_and_is_not_dead_lettered(
    info: Info, publish_event: Any, kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = info.codes
    matter = info.svc.ctx.catalogue.get(c.town_matter)
    assert matter is not None
    r = await info.svc.client.post(
        "/feedback-requests", json={"matter_code": matter.code}, headers=info.clerk(matter.owner)
    )
    assert r.status_code == 201
    needle = secret()
    decided = ReviewDecided(
        review_id=str(uuid.uuid4()),
        round=1,
        town=c.town_a,
        outcome="decided-as-proposed",
        opinion=ReviewOpinionKind.AGREE,
        against_opinion=False,
        decider="王局长",
        case=CaseSummary(
            matter_code=matter.code,
            place_town=c.town_a,
            found_at=datetime(2024, 2, 26, 2, tzinfo=UTC),
            facts=f"机密★1年\n{needle}",
        ),
        fine=Decimal("5000.00"),
        decided_at=datetime(2024, 3, 1, 2, tzinfo=UTC),
    )
    finding = InspectionFindingRecorded(
        inspection_id=str(uuid.uuid4()),
        finding_id=str(uuid.uuid4()),
        inspecting_org=c.dept,
        outcome=FindingOutcome.VIOLATION,
        place_town=c.town_a,
        found_at=datetime(2024, 3, 1, 2, tzinfo=UTC),
        description=f"【绝密】{needle}",
        within_jurisdiction=True,
    )
    async with topic_reader(kafka_bootstrap, "review.decided.dlq", "inspection.finding.dlq") as dlq:
        await publish_event(decided, key=str(decided.review_id), source="/xietong/legal-review")
        await publish_event(finding, key=finding.inspection_id, source="/xietong/joint-inspection")
        for _ in range(100):
            if len(await info.audit("info.withheld")) == 2:
                break
            await asyncio.sleep(0.1)
        withheld = await info.audit("info.withheld")
        assert {w["detail"]["via"] for w in withheld} == {"review.decided", "inspection.finding"}
        assert {w["detail"]["source_id"] for w in withheld} == {
            str(decided.review_id),
            finding.inspection_id,
        }
        await dlq.poll(2.0)
        assert not [r for r in dlq.records if needle.encode() in (r.value or b"")]
    assert await info.count("items") == 0
    assert await everywhere_in_the_database(info, needle) == []
    assert needle not in caplog.text
