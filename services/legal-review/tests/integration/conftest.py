"""A running legal-review service on the real stack, and small builders for its flows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from legal_review.main import SPEC
from legal_review.models import Review, ReviewRound
from xietong_common.clock import FakeClock
from xietong_common.events.registry import registry
from xietong_common.tables import audit_log, outbox
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import (
    RunningService,
    Servers,
    create_database,
    running_service,
    start_group_at_end,
)

TOWN = "town:lizhi"
POINTS = [
    "lawful-body",
    "jurisdiction",
    "facts-and-evidence",
    "law-applied",
    "discretion",
    "within-powers",
    "procedure",
    "documents",
    "no-crime",
]


@pytest.fixture
async def svc(
    servers: Servers, kafka_bootstrap: str, fake_clock: FakeClock, tmp_path: Any
) -> AsyncIterator[RunningService]:
    url = await create_database(servers, "review", migrated_for=SPEC)
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=fake_clock,
        blob_dir=tmp_path / "blobs",
        run_jobs=False,
        service_name=await own_group(kafka_bootstrap),
    ) as running:
        yield running


async def own_group(kafka_bootstrap: str) -> str:
    """A consumer group of the test's own, at the end of what legal review consumes: in the
    session's group (`legal-review`) the test's app would share partitions and offsets with
    every other legal review in the worker (the workbench's stack's among them)."""
    name = f"legal-review-test-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, name, (registry.spec_for(m).topic for m in SPEC.handlers)
    )
    return name


def submission(**decision: Any) -> dict[str, Any]:
    return {
        "case_number": f"涪荔综执立〔2024〕{uuid.uuid4().int % 10**9}号",
        "matter_code": "URB-002",
        "place_town": TOWN,
        "found_at": "2024-02-26T10:00:00+08:00",
        "facts": "当事人在江边随意倾倒建筑垃圾约20立方米",
        "party": {"name": "某建材公司", "kind": "legal-person"},
        "decision": decision or {"fine": "50000.00"},
        "proposal": "拟对当事人罚款50000元",
    }


class Flow:
    """Builders for a review's steps, each by the right person."""

    def __init__(self, svc: RunningService) -> None:
        self.svc = svc
        self.handler = svc.auth(TOWN, "handler", user="li.handler")
        self.reviewer = svc.auth(TOWN, "reviewer", user="wang.reviewer")
        self.head = svc.auth(TOWN, "head", user="zhao.head")

    async def submit(self, **decision: Any) -> dict[str, Any]:
        r = await self.svc.client.post(
            "/reviews", json=submission(**decision), headers=self.handler
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def upload(self, review_id: str, kind: str, content: bytes | None = None) -> Any:
        # Each kind its own document: one file under several kinds is refused (REV-04).
        content = pdf_bytes(kind) if content is None else content
        return await self.svc.client.post(
            f"/reviews/{review_id}/materials",
            data={"kind": kind},
            files={"file": (f"{kind}.pdf", content, "application/pdf")},
            headers=self.handler,
        )

    async def complete(self, review_id: str) -> None:
        """REV-04: upload what the current round requires (the review is taken up only then)."""
        review = await self.svc.client.get(f"/reviews/{review_id}", headers=self.handler)
        current = review.json()["current"]
        kinds = ["investigation-report", "proposed-decision", "evidence"]
        kinds += ["hearing-record"] if current["hearing"] else []
        kinds += ["assessment-report"] if current["assessed"] else []
        for kind in kinds:
            r = await self.upload(review_id, kind, content=pdf_bytes(kind))
            assert r.status_code == 201, r.text

    async def take(self, review_id: str) -> dict[str, Any]:
        await self.complete(review_id)
        r = await self.svc.client.post(f"/reviews/{review_id}/take", headers=self.reviewer)
        assert r.status_code == 200, r.text
        return r.json()

    async def points(self, review_id: str, **failed: str) -> None:
        for point in POINTS:
            r = await self.svc.client.put(
                f"/reviews/{review_id}/points/{point}",
                json={"passed": point not in failed, "note": failed.get(point, "符合规定")},
                headers=self.reviewer,
            )
            assert r.status_code == 200, r.text

    async def opinion(self, review_id: str, opinion: str, **extra: Any) -> Any:
        return await self.svc.client.post(
            f"/reviews/{review_id}/opinion",
            json={"opinion": opinion, "reasons": "审核意见理由", **extra},
            headers=self.reviewer,
        )

    async def reviewed(
        self, opinion: str = "agree", failed: dict[str, str] | None = None, **extra: Any
    ) -> str:
        review = await self.submit()
        rid = review["id"]
        await self.take(rid)
        await self.points(rid, **(failed or {}))
        r = await self.opinion(rid, opinion, **extra)
        assert r.status_code == 200, r.text
        return str(rid)

    async def decide(self, review_id: str, outcome: str, **extra: Any) -> Any:
        return await self.svc.client.post(
            f"/reviews/{review_id}/decision",
            json={"outcome": outcome, **extra},
            headers=self.head,
        )


@pytest.fixture
def flow(svc: RunningService) -> Flow:
    return Flow(svc)


async def counts(svc: RunningService) -> tuple[int, ...]:
    """Rows that a refused request must leave alone: reviews, rounds, outbox, audit."""
    async with svc.ctx.db.session() as s:
        return tuple(
            [
                int((await s.execute(sa.select(sa.func.count()).select_from(t))).scalar_one())
                for t in (Review.__table__, ReviewRound.__table__, outbox, audit_log)
            ]
        )
