"""Two services, two databases, one Kafka: REV-07 opinion (4) becomes a referral draft (REF-01)
without anybody retyping the case."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from legal_review.main import SPEC as REVIEW
from referral.main import SPEC as REFERRAL
from xietong_common.events.registry import registry
from xietong_devtools.testing import Servers, create_database, running_service, start_group_at_end

pytestmark = pytest.mark.integration

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


async def test_rev_07_opinion_4_from_legal_review_drafts_the_referral_in_the_referral_service(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    referral_group = f"referral-x-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, referral_group, (registry.spec_for(m).topic for m in REFERRAL.handlers)
    )
    review_db = await create_database(servers, "x_review")
    referral_db = await create_database(servers, "x_referral")
    async with (
        running_service(
            REVIEW,
            database_url=review_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "r",
            run_jobs=False,
        ) as review,
        running_service(
            REFERRAL,
            database_url=referral_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "f",
            run_jobs=False,
            service_name=referral_group,
        ) as referral,
    ):
        handler = review.auth("town:lizhi", "handler", user="li")
        reviewer = review.auth("town:lizhi", "reviewer", user="wang")
        submitted = await review.client.post(
            "/reviews",
            headers=handler,
            json={
                "matter_code": "ENV-001",
                "place_town": "town:lizhi",
                "found_at": "2024-03-04T09:00:00+08:00",
                "facts": "企业向长江支流直排未经处理的废水",
                "party": {"name": "某化工公司", "kind": "legal-person"},
                "decision": {"fine": "80000"},
                "proposal": "拟罚款80000元",
            },
        )
        assert submitted.status_code == 201, submitted.text
        rid = submitted.json()["id"]
        for kind in ("investigation-report", "proposed-decision", "evidence"):  # REV-04
            uploaded = await review.client.post(
                f"/reviews/{rid}/materials",
                data={"kind": kind},
                files={"file": (f"{kind}.pdf", f"%PDF-1.4 {kind}".encode(), "application/pdf")},
                headers=handler,
            )
            assert uploaded.status_code == 201, uploaded.text
        taken = await review.client.post(f"/reviews/{rid}/take", headers=reviewer)
        assert taken.status_code == 200, taken.text
        for point in POINTS:
            await review.client.put(
                f"/reviews/{rid}/points/{point}",
                json={"passed": point != "jurisdiction", "note": "水污染物排放不属乡镇赋权事项"},
                headers=reviewer,
            )
        opinion = await review.client.post(
            f"/reviews/{rid}/opinion",
            headers=reviewer,
            json={
                "opinion": "transfer-to-competent-agency",
                "reasons": "不属于本机关执法权限",
                "transfer_to": "dept:ecology-environment",
            },
        )
        assert opinion.status_code == 200, opinion.text

        town = referral.auth("town:lizhi", "handler", user="li")
        draft = None
        for _ in range(150):
            page = (
                await referral.client.get(
                    "/referrals/outbox", headers=town, params={"page_size": 100}
                )
            ).json()
            for item in page["items"]:
                detail = (
                    await referral.client.get(f"/referrals/{item['id']}", headers=town)
                ).json()
                if detail.get("source_id") == f"{rid}:1":
                    draft = detail
            if draft:
                break
            await asyncio.sleep(0.2)
        assert draft is not None, "the referral service drafted nothing from the opinion"
        assert draft["state"]["value"] == "draft"
        assert draft["receiver"] == "dept:ecology-environment"
        assert draft["matter_code"] == "ENV-001"
        assert draft["facts"] == "企业向长江支流直排未经处理的废水"
