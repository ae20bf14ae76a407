"""Official documents on the real PostgreSQL: issued once by the issuing organisation, numbered
without gaps under concurrency, stored and re-downloaded byte for byte, corrected under a new
number that supersedes (both kept), verified by digest, immutable in the database."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from documents_support import add_letter, create_letters_table, documents_service_spec
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from xietong_common.documents.issuing import allocate_serial
from xietong_common.documents.kinds import DocumentKind
from xietong_common.tables import audit_log, document_counters, documents
from xietong_devtools import pdf_check
from xietong_devtools.testing import RunningService, Servers, create_database, running_service

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[1] / "support" / "test_migrations"
SENDER = "dept:ecology-environment"
RECEIVER = "town:lizhi"
SENT = datetime(2026, 1, 8, 2, 30, tzinfo=UTC)  # 10:30 China time
FACTS = "当事人重庆某某建材有限公司未依法取得排污许可证，擅自通过暗管向长江支流排放生产废水。"


@pytest.fixture
async def svc(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[tuple[RunningService, str]]:
    url = await create_database(servers, "documents")
    async with running_service(
        documents_service_spec(MIGRATIONS),
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        blob_dir=tmp_path / "blobs",
        run_jobs=False,
        run_consumer=False,
    ) as running:
        await create_letters_table(url)
        yield running, url


async def letter(url: str, sent_at: datetime | None = SENT, facts: str = FACTS) -> str:
    return str(
        await add_letter(url, sender=SENDER, receiver=RECEIVER, facts=facts, sent_at=sent_at)
    )


async def rows(running: RunningService, table: sa.Table) -> list[dict[str, Any]]:
    async with running.ctx.db.session() as s:
        return [dict(r) for r in (await s.execute(sa.select(table))).mappings()]


async def test_the_issuer_issues_once_and_every_download_is_the_same_bytes(
    svc: tuple[RunningService, str],
) -> None:
    running, url = svc
    lid = await letter(url)
    sender = running.auth(SENDER, "handler", user="chen.clerk")
    first = await running.client.get(f"/letters/{lid}/documents/letter.pdf", headers=sender)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    sha = hashlib.sha256(first.content).hexdigest()
    assert first.headers["x-content-sha256"] == sha
    text = pdf_check.text(first.content)
    assert "涪环移〔2026〕1号" in text
    assert "重庆市涪陵区荔枝街道办事处：" in text
    assert "2026年1月8日" in text
    again = await running.client.get(f"/letters/{lid}/documents/letter.pdf", headers=sender)
    assert again.content == first.content
    receiver = running.auth(RECEIVER, "clerk")
    theirs = await running.client.get(f"/letters/{lid}/documents/letter.pdf", headers=receiver)
    assert theirs.content == first.content
    [doc] = await rows(running, documents)
    assert (doc["number"], doc["sha256"], doc["org"], doc["issued_by"]) == (
        "涪环移〔2026〕1号",
        sha,
        SENDER,
        "chen.clerk",
    )
    [audited] = [r for r in await rows(running, audit_log) if r["action"] == "document.issued"]
    assert audited["rule"] == "REF-05"
    assert audited["subject"] == f"letter:{lid}"
    assert audited["detail"]["sha256"] == sha
    assert audited["detail"]["number"] == "涪环移〔2026〕1号"


async def test_only_the_issuer_issues_others_wait_and_strangers_see_nothing(
    svc: tuple[RunningService, str],
) -> None:
    running, url = svc
    lid = await letter(url)
    path = f"/letters/{lid}/documents/letter.pdf"
    early = await running.client.get(path, headers=running.auth(RECEIVER, "clerk"))
    assert early.status_code == 409
    assert early.json()["type"] == "urn:xietong:problem:document-not-issued"
    stranger = await running.client.get(path, headers=running.auth("town:baisheng", "clerk"))
    assert stranger.status_code == 404
    assert await rows(running, documents) == []
    assert await rows(running, document_counters) == []


async def test_no_document_before_the_act(svc: tuple[RunningService, str]) -> None:
    running, url = svc
    lid = await letter(url, sent_at=None)
    r = await running.client.get(
        f"/letters/{lid}/documents/letter.pdf", headers=running.auth(SENDER, "handler")
    )
    assert r.status_code == 409
    assert r.json()["type"] == "urn:xietong:problem:document-not-available"
    assert await rows(running, documents) == []


async def test_a_correction_is_a_new_number_superseding_the_old_both_kept_and_verifiable(
    svc: tuple[RunningService, str],
) -> None:
    running, url = svc
    lid = await letter(url)
    sender = running.auth(SENDER, "handler")
    path = f"/letters/{lid}/documents/letter.pdf"
    old = await running.client.get(path, headers=sender)
    old_sha = old.headers["x-content-sha256"]
    refused = await running.client.post(
        f"/letters/{lid}/documents/letter/corrections",
        json={"reason": "错字"},
        headers=running.auth(RECEIVER, "clerk"),
    )
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:xietong:problem:document-not-the-issuer"
    fixed = await running.client.post(
        f"/letters/{lid}/documents/letter/corrections",
        json={"reason": "收件单位名称有误"},
        headers=sender,
    )
    assert fixed.status_code == 201, fixed.text
    body = fixed.json()
    assert body["number"] == "涪环移〔2026〕2号"
    assert body["supersedes"] == "涪环移〔2026〕1号"
    assert body["current"] is True
    new = await running.client.get(path, headers=sender)
    assert new.headers["x-content-sha256"] == body["sha256"] != old_sha
    assert "涪环移〔2026〕2号" in pdf_check.text(new.content)
    earlier = await running.client.get(path, params={"version": old_sha}, headers=sender)
    assert earlier.content == old.content
    verified = await running.client.get(
        f"/documents/{old_sha}", headers=running.auth("town:baisheng", "clerk")
    )
    assert verified.status_code == 200, verified.text
    v = verified.json()
    assert (v["number"], v["current"], v["superseded_by"], v["matched"]) == (
        "涪环移〔2026〕1号",
        False,
        "涪环移〔2026〕2号",
        "file",
    )
    assert v["subject"] == f"letter:{lid}"
    assert v["issuer"] == SENDER
    assert v["issuer_name"] == "重庆市涪陵区生态环境局"
    by_content = await running.client.get(
        f"/documents/{body['content_digest']}", headers=running.auth(RECEIVER, "clerk")
    )
    assert by_content.json()["matched"] == "content"
    assert by_content.json()["current"] is True
    unknown = await running.client.get("/documents/" + "0" * 64, headers=sender)
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:xietong:problem:document-not-found"
    corrections = [r for r in await rows(running, audit_log) if r["action"] == "document.corrected"]
    assert corrections[0]["detail"]["supersedes"] == "涪环移〔2026〕1号"
    assert corrections[0]["detail"]["reason"] == "收件单位名称有误"


async def test_an_issued_document_cannot_be_changed_or_deleted(
    svc: tuple[RunningService, str],
) -> None:
    running, url = svc
    lid = await letter(url)
    await running.client.get(
        f"/letters/{lid}/documents/letter.pdf", headers=running.auth(SENDER, "handler")
    )
    engine = create_async_engine(url)
    try:
        for statement in (
            "UPDATE documents SET title = '改过的标题'",
            "UPDATE documents SET sha256 = repeat('0', 64)",
            "DELETE FROM documents",
        ):
            with pytest.raises(DBAPIError, match="immutable"):
                async with engine.begin() as conn:
                    await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()
    [doc] = await rows(running, documents)
    assert doc["title"] == "案件移送函"


async def test_concurrent_allocations_give_every_number_once_and_leave_no_gap(
    svc: tuple[RunningService, str],
) -> None:
    """40 transactions take numbers of one series at once; every third rolls back. The numbers
    committed are 1..N exactly, each once; another series counts on its own."""
    running, _ = svc
    db = running.ctx.db
    kind = DocumentKind.REFERRAL_LETTER
    committed: list[int] = []

    class Rollback(Exception):
        pass

    async def take(i: int) -> None:
        try:
            # a real transaction (db.session() alone reads outside one, in autocommit)
            async with db.session(transaction=True) as session, session.begin():
                serial = await allocate_serial(session, org=SENDER, kind=kind, year=2026)
                await asyncio.sleep(0.01 * (i % 5))  # hold the series while others queue
                if i % 3 == 0:
                    raise Rollback
                committed.append(serial)
        except Rollback:
            pass

    await asyncio.gather(*(take(i) for i in range(40)))
    assert sorted(committed) == list(range(1, len(committed) + 1))
    assert len(committed) == 40 - len(range(0, 40, 3))
    async with db.session() as session, session.begin():
        other = await allocate_serial(session, org="town:lizhi", kind=kind, year=2026)
        next_year = await allocate_serial(session, org=SENDER, kind=kind, year=2027)
        receipts = await allocate_serial(
            session, org=SENDER, kind=DocumentKind.SERVICE_RECEIPT, year=2026
        )
    assert (other, next_year, receipts) == (1, 1, 1)


async def test_concurrent_first_downloads_issue_one_document(
    svc: tuple[RunningService, str],
) -> None:
    running, url = svc
    lid = await letter(url)
    sender = running.auth(SENDER, "handler")
    answers = await asyncio.gather(
        *(
            running.client.get(f"/letters/{lid}/documents/letter.pdf", headers=sender)
            for _ in range(4)
        )
    )
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.content for a in answers}) == 1
    assert len(await rows(running, documents)) == 1
    [counter] = await rows(running, document_counters)
    assert counter["last"] == 1


async def test_a_retried_correction_corrects_once(svc: tuple[RunningService, str]) -> None:
    running, url = svc
    lid = await letter(url)
    sender = running.auth(SENDER, "handler")
    await running.client.get(f"/letters/{lid}/documents/letter.pdf", headers=sender)
    path = f"/letters/{lid}/documents/letter/corrections"
    keyed = {**sender, "Idempotency-Key": "fix-1"}
    first = await running.client.post(path, json={"reason": "错字"}, headers=keyed)
    again = await running.client.post(path, json={"reason": "错字"}, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json()["number"] == first.json()["number"] == "涪环移〔2026〕2号"
    assert len(await rows(running, documents)) == 2
    other = await running.client.post(path, json={"reason": "另一处错字"}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["type"] == "urn:xietong:problem:idempotency-key-reused"
