"""INSP-08 → REV-01 on the running service: a finding of a joint inspection whose proposed
decision needs legal review arrives as `inspection.review-requested` (from joint inspection,
and from no one else) and becomes a tracked review request the town's review body sees; it is
fulfilled when the town's brigade submits the review naming it, and the decision
(`review.decided`) names the finding, so the inspection's loop can close."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from legal_review.main import SPEC
from xietong_common.clock import FakeClock
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.inspection import InspectionReviewRequested, ReviewTriggerResult
from xietong_common.contracts.review import CaseParty
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.registry import registry
from xietong_devtools.testing import (
    RunningService,
    Servers,
    create_database,
    physical_topic,
    running_service,
    start_group_at_end,
    topic_reader,
)

from .conftest import TOWN, Flow, counts, submission

pytestmark = pytest.mark.integration

OTHER_TOWN = "town:baitao"
PROBLEM = "urn:xietong:problem:"


@pytest.fixture
async def consuming(
    servers: Servers, kafka_bootstrap: str, fake_clock: FakeClock, tmp_path: Any
) -> AsyncIterator[RunningService]:
    """The service with its consumers running, in a group of its own at the topics' end."""
    url = await create_database(servers, "review", migrated_for=SPEC)
    name = f"legal-review-test-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, name, (registry.spec_for(m).topic for m in SPEC.handlers)
    )
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=fake_clock,
        blob_dir=tmp_path / "blobs",
        run_jobs=False,
        service_name=name,
    ) as running:
        yield running


@pytest.fixture
async def publish(kafka_bootstrap: str) -> AsyncIterator[Callable[..., Any]]:
    """Produce a CloudEvent as another service would."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()

    async def send(event: IntegrationEvent, *, key: str, source: str) -> str:
        env = CloudEvent.wrap(
            event, spec=type(event).spec, source=source, subject=key, time=datetime.now(UTC)
        )
        raw = env.to_bytes()
        await producer.send_and_wait(physical_topic(type(event).spec.topic), raw, key=key.encode())
        return str(json.loads(raw)["id"])

    yield send
    await producer.stop()


def requested(*, town: str = TOWN, finding_id: str | None = None) -> InspectionReviewRequested:
    return InspectionReviewRequested(
        inspection_id=str(uuid.uuid4()),
        order_number="荔枝街道综查〔2024〕7号",
        finding_id=finding_id or str(uuid.uuid4()),
        visit_id=str(uuid.uuid4()),
        target_id=str(uuid.uuid4()),
        handling_org=town,
        place_town=town,
        matter_code="URB-002",
        matters_checked=["URB-002", "FIR-001"],
        found_at=datetime(2024, 2, 26, 2, 0, tzinfo=UTC),
        description="当事人在江边随意倾倒建筑垃圾约20立方米",
        handling="责令改正，拟立案处罚",
        target=CaseParty(name="张三", kind="citizen", id_number="500102199001011234"),
        triggers=[
            ReviewTriggerResult(
                trigger="amount", label_zh="罚款或没收数额达到法定标准", reason="fine ≥ 2000"
            )
        ],
        requested_at=datetime(2024, 2, 26, 3, 0, tzinfo=UTC),
    )


async def _arrived(svc: RunningService, finding_id: str, org: str = TOWN) -> dict[str, Any]:
    headers = svc.auth(org, "reviewer", user="wang.reviewer")
    for _ in range(150):
        r = await svc.client.get("/review-requests", headers=headers)
        assert r.status_code == 200, r.text
        found = [x for x in r.json()["items"] if x["finding_id"] == finding_id]
        if found:
            return dict(found[0])
        await asyncio.sleep(0.1)
    raise AssertionError("inspection.review-requested never became a review request")


async def test_rev_01_a_finding_needing_review_becomes_a_tracked_request_the_town_fulfils(
    consuming: RunningService, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    svc, flow = consuming, Flow(consuming)
    event = requested()
    await publish(event, key=event.inspection_id, source="/xietong/joint-inspection")
    request = await _arrived(svc, event.finding_id)
    assert request["state"]["value"] == "pending"
    assert request["town"] == TOWN
    assert request["matter_code"] == "URB-002"
    assert [t["trigger"] for t in request["triggers"]] == ["amount"]
    assert request["party"]["id_number"] == "500102********1234"  # masked as it came
    assert request["review_id"] is None
    rid = request["id"]
    one = await svc.client.get(f"/review-requests/{rid}", headers=flow.handler)
    assert one.status_code == 200, one.text
    assert one.json()["finding_id"] == event.finding_id
    # the 司法所 serving the town sees it (REV-09); another town and a department do not
    office = svc.auth("justice-office:lizhi", "reviewer", user="office")
    assert (await svc.client.get(f"/review-requests/{rid}", headers=office)).status_code == 200
    for org in (OTHER_TOWN, "dept:urban-management"):
        stranger = svc.auth(org, "handler", user="x")
        assert (
            await svc.client.get(f"/review-requests/{rid}", headers=stranger)
        ).status_code == 404
        listed = (await svc.client.get("/review-requests", headers=stranger)).json()
        assert all(x["id"] != rid for x in listed["items"])
    # redelivered or re-published: still one request
    await publish(event, key=event.inspection_id, source="/xietong/joint-inspection")
    # the town's brigade submits the review naming the request
    async with topic_reader(kafka_bootstrap, "review.decided") as reader:
        r = await svc.client.post(
            "/reviews", json={**submission(), "request_id": rid}, headers=flow.handler
        )
        assert r.status_code == 201, r.text
        review = r.json()
        assert review["finding_id"] == event.finding_id
        fulfilled = (await svc.client.get(f"/review-requests/{rid}", headers=flow.handler)).json()
        assert fulfilled["state"]["value"] == "submitted"
        assert fulfilled["review_id"] == review["id"]
        await flow.take(review["id"])
        await flow.points(review["id"])
        assert (await flow.opinion(review["id"], "agree")).status_code == 200
        decided = await flow.decide(
            review["id"], "decided-as-proposed", decision_number="涪荔综执罚决〔2024〕12号"
        )
        assert decided.status_code == 200, decided.text
        events = await reader.collect(
            lambda es: any(e["data"]["review_id"] == review["id"] for e in es)
        )
    [mine] = [e["data"] for e in events if e["data"]["review_id"] == review["id"]]
    assert mine["finding_id"] == event.finding_id
    done = (await svc.client.get(f"/review-requests/{rid}", headers=flow.handler)).json()
    assert done["state"]["value"] == "decided"
    timeline = (await svc.client.get(f"/reviews/{review['id']}/timeline", headers=flow.head)).json()
    assert "review.submitted" in [e["action"] for e in timeline if e["kind"] == "action"]
    listed = (await svc.client.get("/review-requests", headers=flow.handler)).json()["items"]
    assert len([x for x in listed if x["finding_id"] == event.finding_id]) == 1
    # every step of the request is audited with its rule; strangers see no timeline
    steps = (await svc.client.get(f"/review-requests/{rid}/timeline", headers=office)).json()
    assert [(e["action"], e["rule"]) for e in steps if e["kind"] == "action"] == [
        ("review-request.received", "REV-01"),
        ("review-request.submitted", "REV-01"),
        ("review-request.decided", "REV-08"),
    ]
    stranger = svc.auth(OTHER_TOWN, "reviewer", user="y")
    r = await svc.client.get(f"/review-requests/{rid}/timeline", headers=stranger)
    assert r.status_code == 404


async def test_rev_01_a_review_request_not_from_joint_inspection_is_dead_lettered(
    consuming: RunningService, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    forged, genuine = requested(), requested()
    async with topic_reader(kafka_bootstrap, "inspection.review-requested.dlq") as dlq:
        forged_id = await publish(forged, key=forged.inspection_id, source="/xietong/referral")
        await dlq.collect(lambda es: any(e.get("id") == forged_id for e in es), timeout_s=30)
    await publish(genuine, key=genuine.inspection_id, source="/xietong/joint-inspection")
    await _arrived(consuming, genuine.finding_id)
    listed = (
        await consuming.client.get(
            "/review-requests", headers=consuming.auth(TOWN, "reviewer", user="w")
        )
    ).json()["items"]
    assert forged.finding_id not in {x["finding_id"] for x in listed}


async def test_rev_01_a_review_request_for_a_department_is_refused_as_a_request_would_be(
    consuming: RunningService, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    """二(四): legal review of major decisions is a town's duty; a request naming a
    department (or an organisation not in the directory) is refused like a submission."""
    bad = requested(town="dept:urban-management")
    async with topic_reader(kafka_bootstrap, "inspection.review-requested.dlq") as dlq:
        bad_id = await publish(bad, key=bad.inspection_id, source="/xietong/joint-inspection")
        await dlq.collect(lambda es: any(e.get("id") == bad_id for e in es), timeout_s=30)


async def test_insp_08_only_the_town_named_links_its_request_and_only_once(
    consuming: RunningService, publish: Callable[..., Any]
) -> None:
    svc, flow = consuming, Flow(consuming)
    event = requested()
    await publish(event, key=event.inspection_id, source="/xietong/joint-inspection")
    rid = (await _arrived(svc, event.finding_id))["id"]
    before = await counts(svc)
    other = svc.auth(OTHER_TOWN, "handler", user="zhou.handler")
    r = await svc.client.post(
        "/reviews",
        json={**submission(), "place_town": OTHER_TOWN, "request_id": rid},
        headers=other,
    )
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert await counts(svc) == before
    r = await svc.client.post(
        "/reviews", json={**submission(), "request_id": str(uuid.uuid4())}, headers=flow.handler
    )
    assert r.status_code == 404, r.text
    assert await counts(svc) == before
    first = await svc.client.post(
        "/reviews", json={**submission(), "request_id": rid}, headers=flow.handler
    )
    assert first.status_code == 201, first.text
    before = await counts(svc)
    second = await svc.client.post(
        "/reviews", json={**submission(), "request_id": rid}, headers=flow.handler
    )
    assert second.status_code == 409, second.text
    problem = second.json()
    assert problem["type"] == PROBLEM + "review-request-fulfilled"
    assert problem["review_id"] == first.json()["id"]
    assert problem["rule"] == "REV-01"
    assert await counts(svc) == before
    # the matter of the review is the matter of the finding
    again = requested()
    await publish(again, key=again.inspection_id, source="/xietong/joint-inspection")
    rid2 = (await _arrived(svc, again.finding_id))["id"]
    before = await counts(svc)
    r = await svc.client.post(
        "/reviews",
        json={**submission(), "matter_code": "FIR-001", "request_id": rid2},
        headers=flow.handler,
    )
    assert r.status_code == 422, r.text
    assert r.json()["rule"] == "INSP-08"
    assert await counts(svc) == before


async def test_rev_01_a_review_submitted_before_the_request_is_linked_to_it_once(
    consuming: RunningService, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    """The town's brigade submitted the review before the request arrived (or without naming
    it): the case is not submitted twice (REV-02), the request is linked to that review, so
    the decision still names the finding."""
    svc, flow = consuming, Flow(consuming)
    review = await flow.submit()
    event = requested()
    await publish(event, key=event.inspection_id, source="/xietong/joint-inspection")
    rid = (await _arrived(svc, event.finding_id))["id"]
    before = await counts(svc)
    other = svc.auth(OTHER_TOWN, "handler", user="zhou.handler")
    r = await svc.client.post(
        f"/review-requests/{rid}/review", json={"review_id": review["id"]}, headers=other
    )
    assert r.status_code == 404, r.text
    assert await counts(svc) == before
    linked = await svc.client.post(
        f"/review-requests/{rid}/review", json={"review_id": review["id"]}, headers=flow.handler
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["state"]["value"] == "submitted"
    assert linked.json()["review_id"] == review["id"]
    shown = (await svc.client.get(f"/reviews/{review['id']}", headers=flow.handler)).json()
    assert shown["finding_id"] == event.finding_id
    # one request per review, one review per request
    again = requested()
    await publish(again, key=again.inspection_id, source="/xietong/joint-inspection")
    rid2 = (await _arrived(svc, again.finding_id))["id"]
    before = await counts(svc)
    r = await svc.client.post(
        f"/review-requests/{rid2}/review", json={"review_id": review["id"]}, headers=flow.handler
    )
    assert r.status_code == 409, r.text
    assert r.json()["type"] == PROBLEM + "review-request-fulfilled"
    r = await svc.client.post(
        f"/review-requests/{rid}/review", json={"review_id": review["id"]}, headers=flow.handler
    )
    assert r.status_code == 409, r.text
    assert await counts(svc) == before
    async with topic_reader(kafka_bootstrap, "review.decided") as reader:
        await flow.take(review["id"])
        await flow.points(review["id"])
        assert (await flow.opinion(review["id"], "agree")).status_code == 200
        decided = await flow.decide(review["id"], "decided-as-proposed")
        assert decided.status_code == 200, decided.text
        events = await reader.collect(
            lambda es: any(e["data"]["review_id"] == review["id"] for e in es)
        )
    [mine] = [e["data"] for e in events if e["data"]["review_id"] == review["id"]]
    assert mine["finding_id"] == event.finding_id


REASON = "经复核违法事实不成立，不予处罚"


async def test_rev_01_the_town_withdraws_a_review_request_with_its_reason(
    consuming: RunningService, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    """INSP-08/REV-01: after the finding the town lawfully decided not to pursue a penalty
    decision at all: its leader withdraws the request with a reason; the request shows it,
    its timeline has it with its rule, and `review.request-withdrawn` tells joint
    inspection, whose loop waits for it."""
    svc, flow = consuming, Flow(consuming)
    event = requested()
    await publish(event, key=event.inspection_id, source="/xietong/joint-inspection")
    rid = (await _arrived(svc, event.finding_id))["id"]
    leader = svc.auth(TOWN, "leader", user="li.leader")
    async with topic_reader(kafka_bootstrap, "review.request-withdrawn") as reader:
        r = await svc.client.post(
            f"/review-requests/{rid}/withdraw",
            json={"reason": f"  {REASON}  "},
            headers={**leader, "Idempotency-Key": "withdraw-1"},
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda es: any(e["data"]["request_id"] == rid for e in es))
    withdrawn = r.json()
    assert withdrawn["state"]["value"] == "withdrawn"
    assert withdrawn["withdrawal_reason"] == REASON
    assert withdrawn["withdrawn_by"] == "li.leader"
    assert withdrawn["withdrawn_at"] is not None
    [sent] = [e for e in events if e["data"]["request_id"] == rid]
    assert sent["source"] == "/xietong/legal-review"
    assert sent["data"]["finding_id"] == event.finding_id
    assert sent["data"]["inspection_id"] == event.inspection_id
    assert sent["data"]["town"] == TOWN
    assert sent["data"]["reason"] == REASON
    # a retry with the same key is the same withdrawal: nothing more recorded or published
    before = await counts(svc)
    again = await svc.client.post(
        f"/review-requests/{rid}/withdraw",
        json={"reason": f"  {REASON}  "},
        headers={**leader, "Idempotency-Key": "withdraw-1"},
    )
    assert again.status_code == 200, again.text
    assert again.json()["withdrawn_at"] == withdrawn["withdrawn_at"]
    assert await counts(svc) == before
    # withdrawing twice is refused; so is a review fulfilling it now
    twice = await svc.client.post(
        f"/review-requests/{rid}/withdraw", json={"reason": REASON}, headers=leader
    )
    assert twice.status_code == 409, twice.text
    assert twice.json()["type"] == PROBLEM + "review-request-withdrawn"
    late = await svc.client.post(
        "/reviews", json={**submission(), "request_id": rid}, headers=flow.handler
    )
    assert late.status_code == 409, late.text
    assert late.json()["type"] == PROBLEM + "review-request-withdrawn"
    assert await counts(svc) == before
    # the 司法所 serving the town sees the withdrawal and its reason in the timeline
    office = svc.auth("justice-office:lizhi", "reviewer", user="office")
    shown = (await svc.client.get(f"/review-requests/{rid}", headers=office)).json()
    assert (shown["state"]["value"], shown["withdrawal_reason"]) == ("withdrawn", REASON)
    steps = (await svc.client.get(f"/review-requests/{rid}/timeline", headers=office)).json()
    actions = [e for e in steps if e["kind"] == "action"]
    assert [(e["action"], e["rule"]) for e in actions] == [
        ("review-request.received", "REV-01"),
        ("review-request.withdrawn", "REV-01"),
    ]
    listed = await svc.client.get("/review-requests?state=withdrawn", headers=leader)
    assert rid in {x["id"] for x in listed.json()["items"]}


async def test_rev_01_a_review_request_is_withdrawn_only_by_its_town_with_a_reason_before_review(
    consuming: RunningService, publish: Callable[..., Any]
) -> None:
    svc, flow = consuming, Flow(consuming)
    event = requested()
    await publish(event, key=event.inspection_id, source="/xietong/joint-inspection")
    rid = (await _arrived(svc, event.finding_id))["id"]
    url = f"/review-requests/{rid}/withdraw"
    before = await counts(svc)
    # a stranger town's leader learns nothing; the town's other roles may not
    stranger = svc.auth(OTHER_TOWN, "leader", user="zhou.leader")
    r = await svc.client.post(url, json={"reason": REASON}, headers=stranger)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    for role in ("handler", "reviewer"):
        r = await svc.client.post(url, json={"reason": REASON}, headers=svc.auth(TOWN, role))
        assert r.status_code == 403, r.text
    office = svc.auth("justice-office:lizhi", "leader", user="office")
    assert (await svc.client.post(url, json={"reason": REASON}, headers=office)).status_code == 403
    # a bare reason is none (judged like the project's other reasons)
    leader = svc.auth(TOWN, "leader", user="li.leader")
    for bare in ("x", "同上", "。。。。。。。。。。", "  不予处罚  "):
        r = await svc.client.post(url, json={"reason": bare}, headers=leader)
        assert r.status_code == 422, (bare, r.text)
    assert r.json()["rule"] == "REV-01"
    assert await counts(svc) == before
    shown = (await svc.client.get(f"/review-requests/{rid}", headers=leader)).json()
    assert shown["state"]["value"] == "pending"
    # once a review fulfils it, the review goes on to its decision: no withdrawal
    first = await svc.client.post(
        "/reviews", json={**submission(), "request_id": rid}, headers=flow.handler
    )
    assert first.status_code == 201, first.text
    before = await counts(svc)
    r = await svc.client.post(url, json={"reason": REASON}, headers=leader)
    assert r.status_code == 409, r.text
    assert r.json()["type"] == PROBLEM + "review-request-fulfilled"
    assert r.json()["rule"] == "REV-01"
    assert await counts(svc) == before
