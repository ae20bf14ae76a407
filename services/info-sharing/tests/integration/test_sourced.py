"""INFO-04: items that write themselves — category 4 from `review.decided` where feedback was
asked for, category 3 from a department's inspection events, category 8 from complaint
platforms — once per source, whatever is delivered twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from xietong_common.contracts.inspection import (
    ClosedTarget,
    FindingOutcome,
    InspectionClosed,
    InspectionFindingRecorded,
)
from xietong_common.contracts.review import (
    CaseParty,
    CaseSummary,
    ReviewDecided,
    ReviewOpinionKind,
)
from xietong_devtools.testing import topic_reader

from .conftest import PROBLEM, Info

pytestmark = pytest.mark.integration

REVIEW = "/xietong/legal-review"
INSPECTION = "/xietong/joint-inspection"


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 15.0) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def handled(info: Info, count: int) -> None:
    """Wait until the service's inbox has recorded `count` consumed events."""

    async def done() -> bool:
        return await info.count("inbox") >= count

    await eventually(done)


def decision(town: str, matter: str, **changes: Any) -> ReviewDecided:
    values: dict[str, Any] = {
        "review_id": str(uuid.uuid4()),
        "round": 1,
        "town": town,
        "outcome": "decided-as-proposed",
        "opinion": ReviewOpinionKind.AGREE,
        "against_opinion": False,
        "decider": "张主任",
        "case": CaseSummary(
            matter_code=matter,
            place_town=town,
            found_at=datetime(2024, 2, 26, 2, tzinfo=UTC),
            facts="当事人在江边随意倾倒建筑垃圾约20立方米",
            party=CaseParty(name="某建材公司", kind="legal-person", id_number="91500102MA5U7YBX2B"),
            case_number="涪荔综执立〔2024〕31号",
        ),
        "fine": Decimal("50000.00"),
        "decision_number": "涪荔综执罚决〔2024〕12号",
        "execution": "当事人已缴纳罚款",
        "decided_at": datetime(2024, 3, 1, 2, tzinfo=UTC),
    }
    values.update(changes)
    return ReviewDecided(**values)


async def test_info_04_review_decided_twice_makes_one_item_for_the_department_that_asked(
    info: Info, publish_event: Any
) -> None:
    c = info.codes
    matter = info.svc.ctx.catalogue.get(c.town_matter)
    assert matter is not None
    owner = matter.owner
    r = await info.svc.client.post(
        "/feedback-requests", json={"matter_code": matter.code}, headers=info.clerk(owner)
    )
    assert r.status_code == 201, r.text
    await info.subscribe(c.town_b)  # subscribes to everything, was not asked: no copy

    event = decision(c.town_a, matter.code)
    first = await publish_event(event, key=str(event.review_id), source=REVIEW)
    await publish_event(
        event, key=str(event.review_id), source=REVIEW, event_id=first
    )  # redelivery
    await publish_event(event, key=str(event.review_id), source=REVIEW)  # re-published, new id
    await handled(info, 2)
    await asyncio.sleep(0.5)
    assert await info.count("items") == 1

    inbox = await info.inbox(owner)
    assert inbox["total"] == 1
    assert inbox["items"][0]["reason"] == "addressed"
    item = (await info.get(inbox["items"][0]["item"]["id"], owner)).json()
    assert item["category"]["number"] == 4
    assert item["publisher"] == c.town_a
    assert item["restricted"] is True
    assert item["audience"] == [owner]
    assert item["source"] == {"kind": "review-decided", "id": str(event.review_id)}
    assert item["details"]["decision_number"] == "涪荔综执罚决〔2024〕12号"
    assert item["details"]["fine"] == "50000.00"
    assert "91500102MA5U7YBX2B" not in str(item)  # the party's number is not shared
    assert "当事人已缴纳罚款" in item["body"]
    assert (await info.get(item["id"], c.town_b)).status_code == 404
    assert (await info.inbox(c.town_b))["total"] == 0
    assert (await info.audit("info.published"))[0]["rule"] == "INFO-04"


async def test_info_04_no_item_where_no_feedback_was_requested(
    info: Info, publish_event: Any
) -> None:
    c = info.codes
    matter = info.svc.ctx.catalogue.get(c.town_matter)
    assert matter is not None
    # another department asking does not count: the department concerned is the owner
    r = await info.svc.client.post(
        "/feedback-requests", json={"matter_code": matter.code}, headers=info.clerk(c.dept)
    )
    assert r.status_code == 403
    assert r.json()["type"] == PROBLEM + "info-not-own-matter"
    r = await info.svc.client.post(
        "/feedback-requests", json={}, headers=info.clerk(c.dept)
    )  # all of c.dept's matters, which do not include this one
    assert r.status_code == 201
    not_asked = decision(c.town_a, matter.code)
    not_decided = decision(c.town_a, c.dept_matter, outcome="not-decided")
    for event in (not_asked, not_decided):
        await publish_event(event, key=str(event.review_id), source=REVIEW)
    await handled(info, 2)
    assert await info.count("items") == 0

    # typing the decision in is refused likewise (share it as category 9 instead)
    body = {
        "category": "penalty-decisions",
        "title": "行政处罚决定",
        "body": "……",
        "matter_codes": [matter.code],
        "details": {
            "decision_number": "涪荔综执罚决〔2024〕13号",
            "party_name": "某公司",
            "party_kind": "legal-person",
            "decided_on": "2024-03-01",
            "fine": "3000",
            "execution": "completed",
        },
        "publish": True,
    }
    r = await info.post(c.town_a, body)
    assert r.status_code == 422
    assert r.json()["type"] == PROBLEM + "info-feedback-not-requested"
    # once the owner asks (for all its matters), the town's typed decision goes to it
    r = await info.svc.client.post("/feedback-requests", json={}, headers=info.clerk(matter.owner))
    assert r.status_code == 201
    r = await info.post(c.town_a, body)
    assert r.status_code == 201, r.text
    assert r.json()["audience"] == [matter.owner]
    listed = (
        await info.svc.client.get(
            "/feedback-requests", params={"matter_code": matter.code}, headers=info.h(c.town_a)
        )
    ).json()
    assert [x["department"] for x in listed["items"]] == [matter.owner]
    # withdrawn: later decisions are no longer shared as category 4
    request_id = listed["items"][0]["id"]
    r = await info.svc.client.delete(f"/feedback-requests/{request_id}", headers=info.clerk(c.dept))
    assert r.status_code == 404
    r = await info.svc.client.delete(
        f"/feedback-requests/{request_id}", headers=info.clerk(matter.owner)
    )
    assert r.status_code == 200
    assert r.json()["withdrawn_at"]
    late = decision(c.town_a, matter.code)
    await publish_event(late, key=str(late.review_id), source=REVIEW)
    await handled(info, 3)
    assert await info.count("items") == 1


async def test_info_04_a_forged_review_decided_is_dead_lettered_not_shared(
    info: Info, publish_event: Any, kafka_bootstrap: str
) -> None:
    c = info.codes
    matter = info.svc.ctx.catalogue.get(c.town_matter)
    assert matter is not None
    await info.svc.client.post(
        "/feedback-requests", json={"matter_code": matter.code}, headers=info.clerk(matter.owner)
    )
    forged = decision(c.town_a, matter.code)
    async with topic_reader(kafka_bootstrap, "review.decided.dlq") as dlq:
        await publish_event(forged, key=str(forged.review_id), source="/xietong/referral")
        records = await dlq.wait_for_records(1)
    assert any(str(forged.review_id).encode() in (r.value or b"") for r in records)
    assert await info.count("items") == 0


async def test_info_04_an_event_naming_an_unknown_organisation_is_refused_to_the_dlq(
    info: Info, publish_event: Any, kafka_bootstrap: str
) -> None:
    """The one policy of every consumer: what a request would be refused for (a town or a
    department the directory does not list) makes no item and goes to the dead-letter topic
    at once, whole, to be replayed once the reference data is corrected."""
    c = info.codes
    matter = info.svc.ctx.catalogue.get(c.town_matter)
    assert matter is not None
    await info.svc.client.post(
        "/feedback-requests", json={"matter_code": matter.code}, headers=info.clerk(matter.owner)
    )
    unknown_town = decision("town:atlantis", matter.code)
    unknown_department = InspectionFindingRecorded(
        inspection_id=str(uuid.uuid4()),
        finding_id="f-1",
        inspecting_org="dept:nowhere",
        outcome=FindingOutcome.VIOLATION,
        place_town=c.town_a,
        found_at=datetime(2024, 3, 1, 2, tzinfo=UTC),
        description="检查发现",
        within_jurisdiction=True,
    )
    async with topic_reader(kafka_bootstrap, "review.decided.dlq", "inspection.finding.dlq") as dlq:
        await publish_event(unknown_town, key=str(unknown_town.review_id), source=REVIEW)
        await publish_event(
            unknown_department, key=unknown_department.inspection_id, source=INSPECTION
        )
        ids = (str(unknown_town.review_id).encode(), unknown_department.inspection_id.encode())
        records = await dlq.wait_for_records(2, timeout_s=60)
        while len(mine := [r for r in records if any(i in (r.value or b"") for i in ids)]) < 2:
            records = await dlq.wait_for_records(len(records) + 1, timeout_s=60)
    assert len(mine) == 2
    for headers in (dict(r.headers) for r in mine):
        assert headers["x-error-type"] == b"EventRefused"
        assert headers["x-attempts"] == b"1"  # refused at once, not retried
    assert await info.count("items") == 0
    assert await info.audit("info.not-made") == []


async def test_info_04_a_departments_inspection_record_writes_itself(
    info: Info, publish_event: Any
) -> None:
    c = info.codes
    await info.subscribe(c.town_a, categories=["inspection-records"])
    inspection = str(uuid.uuid4())

    def finding(n: int, outcome: FindingOutcome) -> InspectionFindingRecorded:
        return InspectionFindingRecorded(
            inspection_id=inspection,
            finding_id=f"{inspection}-{n}",
            inspecting_org=c.dept,
            outcome=outcome,
            matter_code=c.dept_matter,
            place_town=c.town_a,
            found_at=datetime(2024, 3, 1, 2 + n, tzinfo=UTC),
            description=f"第{n}处检查点",
            target=CaseParty(name=f"某企业{n}", kind="legal-person"),
            within_jurisdiction=True,
        )

    first = await publish_event(
        finding(1, FindingOutcome.VIOLATION), key=inspection, source=INSPECTION
    )
    await publish_event(
        finding(1, FindingOutcome.VIOLATION), key=inspection, source=INSPECTION, event_id=first
    )
    await publish_event(finding(2, FindingOutcome.NO_PROBLEM), key=inspection, source=INSPECTION)
    await publish_event(finding(2, FindingOutcome.NO_PROBLEM), key=inspection, source=INSPECTION)
    closed = InspectionClosed(
        inspection_id=inspection,
        order_number="涪规资查〔2024〕7号",
        initiating_org=c.dept,
        participants=[c.dept, c.town_a],
        matter_codes=[c.dept_matter],
        towns=[c.town_a],
        targets=[
            ClosedTarget(
                target_id="1",
                name="某企业1",
                town=c.town_a,
                outcome=FindingOutcome.VIOLATION,
                summary="已立案查处",
            ),
            ClosedTarget(
                target_id="2",
                name="某企业2",
                town=c.town_a,
                outcome=FindingOutcome.NO_PROBLEM,
                summary="未发现问题",
            ),
        ],
        closed_at=datetime(2024, 3, 4, 8, tzinfo=UTC),
    )
    await publish_event(closed, key=inspection, source=INSPECTION)
    await handled(info, 4)

    async def complete() -> bool:
        r = await info.svc.client.get("/items", headers=info.h(c.town_b))
        return bool(r.json()["items"]) and r.json()["items"][0]["title"].endswith("7号）")

    await eventually(complete)
    assert await info.count("items") == 1
    listed = (await info.svc.client.get("/items", headers=info.h(c.town_b))).json()
    item = (await info.get(listed["items"][0]["id"], c.town_b)).json()
    assert item["category"]["number"] == 3
    assert item["publisher"] == c.dept
    assert item["source"] == {"kind": "inspection", "id": inspection}
    assert item["details"]["targets"] == 2
    assert item["details"]["problems_found"] == 1
    assert item["details"]["closed"] is True
    # findings and the closing travel on two topics: in whatever order they came
    assert sorted(u["change"] for u in item["updates"]) == [
        "inspection-closed",
        "inspection-finding",
        "inspection-finding",
    ]
    assert "第2处检查点" in item["body"]
    assert "已立案查处" in item["body"]
    assert (await info.inbox(c.town_a))["total"] == 1  # notified once, when it was made

    # a town's own inspection is no department record (二(一) 3.)
    town_finding = InspectionFindingRecorded(
        inspection_id=str(uuid.uuid4()),
        finding_id="t-1",
        inspecting_org=c.town_b,
        outcome=FindingOutcome.GUIDANCE,
        place_town=c.town_b,
        found_at=datetime(2024, 3, 1, 2, tzinfo=UTC),
        description="乡镇自查",
        within_jurisdiction=True,
    )
    await publish_event(town_finding, key=town_finding.inspection_id, source=INSPECTION)
    await handled(info, 5)
    assert await info.count("items") == 1


def complaint(c: Any, **changes: Any) -> dict[str, Any]:
    body = {
        "platform": "12345",
        "record_id": "GD2024030100123",
        "kind": "complaint",
        "title": "反映某小区旁夜间施工噪音扰民",
        "content": "市民反映某工地夜间22时后仍在施工",
        "received_at": "2024-03-01T09:12:00+08:00",
        "handling_org": c.town_a,
        "place_town": c.town_a,
        "status": "accepted",
        "status_at": "2024-03-01T10:00:00+08:00",
    }
    body.update(changes)
    return body


async def test_info_04_complaint_records_are_one_item_each_kept_up_to_date(
    info: Info, kafka_bootstrap: str
) -> None:
    c = info.codes
    platform = info.h("district-gov", "platform")
    await info.subscribe(c.town_a, categories=["complaints"])
    async with topic_reader(kafka_bootstrap, "info.updated") as reader:
        r = await info.svc.client.post("/complaints", json=complaint(c), headers=platform)
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["created"] is True
        assert first["status_applied"] is True
        item_id = first["item"]["id"]
        assert first["item"]["category"]["number"] == 8
        assert first["item"]["details"]["status"] == "accepted"

        same = await info.svc.client.post("/complaints", json=complaint(c), headers=platform)
        assert same.status_code == 200
        assert same.json()["item"]["id"] == item_id
        assert same.json()["status_applied"] is False

        done = complaint(
            c,
            status="concluded",
            status_at="2024-03-03T17:00:00+08:00",
            result="已责令停止夜间施工",
        )
        r = await info.svc.client.post("/complaints", json=done, headers=platform)
        assert r.status_code == 200
        assert r.json()["status_applied"] is True
        assert r.json()["item"]["details"]["status"] == "concluded"
        assert "已责令停止夜间施工" in r.json()["item"]["body"]

        # an older status arriving late is history, not the current state
        stale = complaint(c, status="in-progress", status_at="2024-03-02T09:00:00+08:00")
        r = await info.svc.client.post("/complaints", json=stale, headers=platform)
        assert r.json()["status_applied"] is False
        assert r.json()["item"]["details"]["status"] == "concluded"
        assert [u["status"] for u in r.json()["item"]["updates"]] == [
            "accepted",
            "concluded",
            "in-progress",
        ]
        events = await reader.collect(lambda es: len(es) >= 1)
    assert events[0]["data"] == {
        **events[0]["data"],
        "item_id": item_id,
        "change": "complaint-status",
        "status": "concluded",
    }
    assert await info.count("items") == 1
    assert (await info.inbox(c.town_a))["total"] == 1
    found = await info.svc.client.get(
        "/items/search", params={"q": "夜间施工"}, headers=info.h(c.town_b)
    )
    assert [h["id"] for h in found.json()["items"]] == [item_id]

    # checked like any item: typed category 8 is refused, bad codes too, roles needed
    before = await info.counts()
    for body, headers, status in (
        (complaint(c, record_id="X", handling_org="town:atlantis"), platform, 422),
        (complaint(c, record_id="X", matter_codes=["NO-SUCH"]), platform, 422),
        (complaint(c, record_id="X", status="lost"), platform, 422),
        (complaint(c, record_id="X", status_at="2024-03-01T10:00:00"), platform, 422),
        (complaint(c, record_id="X"), info.h(c.town_b, "viewer"), 403),
    ):
        r = await info.svc.client.post("/complaints", json=body, headers=headers)
        assert r.status_code == status, r.text
    assert await info.counts() == before


async def test_info_01_asking_again_returns_the_standing_request_every_time(info: Info) -> None:
    """INFO-01 (4): a department asking for feedback again gets its standing request back,
    not a second one, however often it asks (past the sixth call, where PostgreSQL's prepared
    statement goes generic; an insert whose conflict target held a bound value failed there)."""
    dept = info.codes.dept
    ids = set()
    for _ in range(8):
        for body in ({}, {"matter_code": info.codes.dept_matter}):
            r = await info.svc.client.post(
                "/feedback-requests", json=body, headers=info.clerk(dept)
            )
            assert r.status_code in (200, 201), r.text
            ids.add((body.get("matter_code"), r.json()["id"]))
    assert len(ids) == 2  # one standing request for all matters, one for the matter
