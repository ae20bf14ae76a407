"""A case from finding to conclusion through the REST API and Kafka; drafts from other mechanisms."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from xietong_common.contracts.inspection import FindingOutcome, InspectionFindingRecorded
from xietong_common.contracts.review import (
    CaseParty,
    CaseSummary,
    ReviewOpinionGiven,
    ReviewOpinionKind,
)
from xietong_devtools.testing import topic_reader

pytestmark = pytest.mark.integration

REFERRAL_TOPICS = (
    "case.referred",
    "case.received",
    "case.answered",
    "case.escalated",
    "case.assigned",
    "case.filed",
    "case.concluded",
    "case.cooperation-requested",
)


async def wait_for_outbox(case: Any, org: str, source: str, count: int = 1) -> list[dict[str, Any]]:
    """Poll the sender's outbox until `count` drafts from this source (id prefix) show up.

    Filtering on the source keeps the test deaf to events an earlier test left on the topic."""
    for _ in range(150):
        r = await case.svc.client.get(
            "/referrals/outbox", params={"page_size": 100}, headers=case.h(org, "handler")
        )
        drafts = [x for x in r.json()["items"] if x["state"]["value"] == "draft"]
        found = []
        for item in drafts:
            detail = (await case.get(item["id"], org)).json()
            if (detail["source_id"] or "").startswith(source):
                found.append(detail)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"no draft from {source} appeared")


async def test_ref_01_full_flow_from_inspection_finding_to_conclusion_through_rest_and_kafka(
    case: Any, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    c = case.codes
    finding = InspectionFindingRecorded(
        inspection_id=f"insp-{uuid.uuid4().hex[:6]}",
        finding_id=f"f-{uuid.uuid4().hex[:8]}",
        inspecting_org=c.town_a,
        outcome=FindingOutcome.VIOLATION,
        matter_code=c.dept_matter,
        place_town=c.town_a,
        found_at=case.clock.now(),
        description="综合查一次发现企业无证排污",
        target=CaseParty(name="某某化工有限公司", kind="legal-person"),
        within_jurisdiction=False,
    )
    async with topic_reader(kafka_bootstrap, *REFERRAL_TOPICS) as reader:
        await publish(finding, key=finding.finding_id, source="/xietong/joint-inspection")
        [draft] = await wait_for_outbox(case, c.town_a, finding.finding_id)
        rid = draft["id"]
        assert draft["receiver"] == c.dept
        assert draft["facts"] == "综合查一次发现企业无证排污"
        assert [d["rule"] for d in draft["deadlines"]] == ["REF-03"]

        for kind in ("letter", "item-list"):
            assert (await case.upload(rid, kind)).status_code == 201
        r = await case.svc.client.post(f"/referrals/{rid}/send", headers=case.sender)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == {"value": "sent", "label_zh": "已移送", "label_en": "sent"}

        case.clock.advance(timedelta(hours=3))
        r = await case.act(rid, "receive", c.dept, "clerk", signer_name="王芳")
        assert r.status_code == 200, r.text
        assert r.json()["receipt_number"].startswith(f"{c.dept}-2024-")

        r = await case.act(
            rid, "answer", c.dept, "handler", decision="accept", reasons="属本局管辖"
        )
        assert r.json()["state"]["value"] == "accepted"

        r = await case.act(rid, "file", c.dept, "handler", case_number="涪环立〔2024〕7号")
        assert r.json()["state"]["value"] == "filed", r.text

        coop = await case.svc.client.post(
            f"/referrals/{rid}/cooperation-requests",
            json={"request": "请提供现场照片原件"},
            headers=case.h(c.dept, "handler"),
        )
        assert coop.status_code == 201, coop.text
        r = await case.act(
            rid,
            f"cooperation-requests/{coop.json()['id']}/answer",
            c.town_a,
            "handler",
            answer="已移交照片原件",
        )
        assert r.json()["answer"] == "已移交照片原件"

        r = await case.act(
            rid,
            "conclude",
            c.dept,
            "handler",
            outcome_kind="penalty",
            outcome="罚款五千元",
            decision_number="涪环罚〔2024〕7号",
        )
        assert r.json()["state"]["value"] == "concluded"

        events = await reader.collect(
            lambda evs: any(
                e["type"] == "xietong.case.concluded.v1" and e["subject"] == rid for e in evs
            )
        )
    # One topic per event type: order holds within a topic, so compare the set of facts.
    mine = sorted(e["type"] for e in events if e["subject"] == rid)
    assert mine == sorted(
        [
            "xietong.case.referred.v1",
            "xietong.case.received.v1",
            "xietong.case.answered.v1",
            "xietong.case.filed.v1",
            "xietong.case.cooperation-requested.v1",
            "xietong.case.concluded.v1",
        ]
    )
    referred = next(e for e in events if e["type"] == "xietong.case.referred.v1")
    assert referred["data"]["source"] == {"kind": "inspection-finding", "id": finding.finding_id}
    assert referred["data"]["late"] is False

    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    actions = [e["action"] for e in timeline if e["kind"] == "action"]
    assert actions[0] == "referral.drafted"
    assert actions[-1] == "referral.concluded"
    assert {e["rule"] for e in timeline if e["kind"] == "deadline-met"} >= {
        "REF-03",
        "REF-06",
        "REF-07",
        "REF-09",
    }


async def test_rev_07_review_opinion_arriving_twice_makes_one_draft(
    case: Any, publish: Callable[..., Any]
) -> None:
    """REF-01 from REV-07 opinion 4: the same opinion twice (redelivered, then re-published)."""
    c = case.codes
    opinion = ReviewOpinionGiven(
        review_id=uuid.uuid4(),
        round=1,
        submitting_org=c.town_a,
        reviewing_org=c.town_a,
        opinion=ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY,
        reasons="不属本机关执法权限",
        transfer_to=c.dept,
        case=CaseSummary(
            matter_code=c.dept_matter,
            place_town=c.town_a,
            found_at=datetime(2024, 2, 20, 2, 0, tzinfo=UTC),
            facts="违法排放污水",
            party=CaseParty(name="张三", kind="citizen"),
            case_number="涪李执〔2024〕3号",
        ),
        reviewer="town:lizhi/reviewer",
        issued_at=case.clock.now(),
    )
    event_id = await publish(opinion, key=str(opinion.review_id), source="/xietong/legal-review")
    await publish(
        opinion, key=str(opinion.review_id), source="/xietong/legal-review", event_id=event_id
    )
    await publish(opinion, key=str(opinion.review_id), source="/xietong/legal-review")  # a new id
    [draft] = await wait_for_outbox(case, c.town_a, str(opinion.review_id))
    await asyncio.sleep(2)  # give the duplicates every chance to be handled
    again = await wait_for_outbox(case, c.town_a, str(opinion.review_id))
    assert len(again) == 1
    assert draft["receiver"] == c.dept
    assert draft["source_id"] == f"{opinion.review_id}:1"
    assert draft["party"]["name"] == "张三"
    assert draft["state"]["value"] == "draft"


async def test_rev_07_other_opinions_make_no_draft(case: Any, publish: Callable[..., Any]) -> None:
    c = case.codes
    review_id = uuid.uuid4()
    summary = CaseSummary(
        matter_code=c.dept_matter, place_town=c.town_a, found_at=case.clock.now(), facts="x"
    )
    for n, kind in enumerate(
        (
            ReviewOpinionKind.AGREE,
            ReviewOpinionKind.DO_NOT_DECIDE,
            ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY,
        ),
        start=1,
    ):
        opinion = ReviewOpinionGiven(
            review_id=review_id,
            round=n,
            submitting_org=c.town_a,
            reviewing_org=c.town_a,
            opinion=kind,
            reasons="意见",
            case=summary,
            reviewer="r",
            issued_at=case.clock.now(),
        )
        # One key, one partition: the transfer opinion is handled after the other two.
        await publish(opinion, key=str(review_id), source="/xietong/legal-review")
    [draft] = await wait_for_outbox(case, c.town_a, str(review_id))
    assert draft["source_id"] == f"{review_id}:3"
    assert draft["source_kind"] == "review-opinion"


def transfer_opinion(svc_case: Any, **overrides: Any) -> ReviewOpinionGiven:
    case = svc_case
    c = case.codes
    fields: dict[str, Any] = {
        "review_id": uuid.uuid4(),
        "round": 1,
        "submitting_org": c.town_a,
        "reviewing_org": c.town_a,
        "opinion": ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY,
        "reasons": "不属本机关执法权限",
        "transfer_to": c.dept,
        "case": CaseSummary(
            matter_code=c.dept_matter,
            place_town=c.town_a,
            found_at=datetime(2024, 2, 20, 2, 0, tzinfo=UTC),
            facts="违法排放污水",
        ),
        "reviewer": "town:lizhi/reviewer",
        "issued_at": case.clock.now(),
    }
    fields.update(overrides)
    return ReviewOpinionGiven(**fields)


async def test_rev_08_head_deciding_against_opinion_4_withdraws_the_draft_it_made(
    case: Any, publish: Callable[..., Any]
) -> None:
    """REV-08 lets the head decide against opinion (4) with a reason: the draft referral made
    from that opinion is withdrawn (REF-03 stopped, no breach), not left to be swept."""
    from xietong_common.contracts.review import ReviewDecided

    opinion = transfer_opinion(case)
    await publish(opinion, key=str(opinion.review_id), source="/xietong/legal-review")
    [draft] = await wait_for_outbox(case, case.codes.town_a, str(opinion.review_id))
    decided = ReviewDecided(
        review_id=opinion.review_id,
        round=1,
        town=case.codes.town_a,
        outcome="decided-as-proposed",
        opinion=ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY,
        against_opinion=True,
        reason="经集体讨论，属本镇赋权事项，由本镇处理",
        decider="town:lizhi/head",
        case=opinion.case,
        decided_at=case.clock.now(),
    )
    await publish(decided, key=str(opinion.review_id), source="/xietong/legal-review")
    for _ in range(100):
        detail = (await case.get(draft["id"])).json()
        if detail["state"]["value"] == "withdrawn":
            break
        await asyncio.sleep(0.2)
    assert detail["state"]["label_zh"] == "已撤回"
    assert "负责人决定作出行政执法决定" in detail["withdrawal_reason"]
    assert "属本镇赋权事项" in detail["withdrawal_reason"]
    assert detail["deadlines"] == []


async def test_events_are_checked_as_requests_are_and_refused_ones_draft_nothing(
    case: Any, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    """A review.opinion (from the right source) for a town outside the directory, naming a
    transfer_to that is no town or department, or carrying what a request could not, drafts
    no case: it is dead-lettered at once with the reason."""
    c = case.codes
    bad = {
        "unknown town": transfer_opinion(case, submitting_org="town:nonexistent"),
        "justice bureau as receiver": transfer_opinion(case, transfer_to="justice-bureau"),
        "unknown receiver": transfer_opinion(case, transfer_to="dept:nonexistent"),
        "NUL in the facts": transfer_opinion(
            case,
            case=CaseSummary(
                matter_code=c.dept_matter,
                place_town=c.town_a,
                found_at=case.clock.now(),
                facts="排污\u0000",
            ),
        ),
        "a place that is no town": transfer_opinion(
            case,
            case=CaseSummary(
                matter_code=c.dept_matter, place_town=c.dept, found_at=case.clock.now(), facts="x"
            ),
        ),
        "an opinion from the future": transfer_opinion(
            case, issued_at=case.clock.now() + timedelta(days=3)
        ),
    }
    before = await case.counts()
    async with topic_reader(kafka_bootstrap, "review.opinion.dlq") as dlq:
        for opinion in bad.values():
            await publish(opinion, key=str(opinion.review_id), source="/xietong/legal-review")
        good = transfer_opinion(case)
        await publish(good, key=str(good.review_id), source="/xietong/legal-review")
        # Every bad event's dead letter, not the topic's first six: any other referral still
        # consuming the session's topics in this worker would dead-letter them too.
        wanted = {str(o.review_id) for o in bad.values()}
        await dlq.collect(
            lambda events: wanted <= {e["data"].get("review_id") for e in events}, timeout_s=30
        )
        records = dlq.records
    mine = {
        json.loads(r.value)["data"]["review_id"]: dict(r.headers)
        for r in records
        if r.value
        and json.loads(r.value)["data"]["review_id"] in {str(o.review_id) for o in bad.values()}
    }
    assert set(mine) == {str(o.review_id) for o in bad.values()}
    for headers in mine.values():
        assert headers["x-error-type"] == b"EventRefused"
        assert headers["x-attempts"] == b"1"  # refused at once, not retried
    [draft] = await wait_for_outbox(case, c.town_a, str(good.review_id))
    assert draft["receiver"] == c.dept
    referrals, _ = await case.counts()
    assert referrals == before[0] + 1


async def test_an_event_is_trusted_only_from_the_service_that_owns_its_type(
    case: Any, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    """Any Kafka producer could publish a review.opinion with source /attacker and have a
    case drafted for any town; only /xietong/legal-review publishes it."""
    forged = transfer_opinion(case)
    copied = transfer_opinion(case)
    before = await case.counts()
    async with topic_reader(kafka_bootstrap, "review.opinion.dlq") as dlq:
        await publish(forged, key=str(forged.review_id), source="/attacker")
        await publish(copied, key=str(copied.review_id), source="/xietong/joint-inspection")
        records = await dlq.wait_for_records(2, timeout_s=30)
    ids = {json.loads(r.value)["data"]["review_id"] for r in records if r.value}
    assert {str(forged.review_id), str(copied.review_id)} <= ids
    await asyncio.sleep(1)
    assert (await case.counts())[0] == before[0]


async def test_issue_25_a_citizens_id_number_is_masked_in_case_referred(
    case: Any, kafka_bootstrap: str
) -> None:
    """case.referred reaches the shared integrator account: a citizen's resident ID number
    leaves masked (first 6, last 4) while the case's parties still read it whole."""
    citizen = {"name": "张三", "kind": "citizen", "id_number": "11010519491231002X"}
    async with topic_reader(kafka_bootstrap, "case.referred") as reader:
        sent = await case.sent(party=citizen)
        rid = sent["id"]
        events = await reader.collect(
            lambda evs: any(
                e["type"] == "xietong.case.referred.v1" and e["subject"] == rid for e in evs
            )
        )
    referred = next(e for e in events if e["subject"] == rid)
    assert referred["data"]["party"] == {**citizen, "id_number": "110105********002X"}
    assert "11010519491231002X" not in json.dumps(referred)
    held = (await case.get(rid, case.codes.dept)).json()
    assert held["party"]["id_number"] == "11010519491231002X"
