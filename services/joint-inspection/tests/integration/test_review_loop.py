"""INSP-08 → REV-01 on the running service: a violation within the town's jurisdiction whose
proposed decision needs legal review is no longer only a flag. It goes to the legal-review
service as `inspection.review-requested` (the person's number masked, the triggers that hit),
and the target's loop stays open — no feedback, no closing — until legal review publishes the
decision (`review.decided` naming the finding, from legal review and from no one else)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from xietong_common.contracts.review import (
    CaseParty,
    CaseSummary,
    DecisionOutcome,
    ReviewDecided,
    ReviewOpinionKind,
    ReviewRequestWithdrawn,
)
from xietong_common.tables import outbox
from xietong_devtools.testing import topic_reader

from .conftest import ECOLOGY, TOWN, Insp, refused

pytestmark = pytest.mark.integration

RESULT = "经法制审核后作出罚款五千元的决定，已书面告知当事人并督促整改"
PERSON = "11010519491231002X"


async def _outbox(insp: Insp, topic: str) -> list[dict[str, Any]]:
    async with insp.svc.ctx.db.session() as s:
        rows = (
            await s.execute(sa.select(outbox.c.envelope).where(outbox.c.topic == topic))
        ).scalars()
        return [dict(r["data"]) for r in rows]


async def _visit(insp: Insp, oid: str, target_id: str) -> dict[str, Any]:
    order = (await insp.client.get(f"/orders/{oid}", headers=insp.h(TOWN))).json()
    return dict(next(v for v in order["visits"] if v["target_id"] == target_id))


def _decided(finding_id: str | None, *, outcome: DecisionOutcome) -> ReviewDecided:
    return ReviewDecided(
        review_id=uuid.uuid4(),
        round=1,
        town=TOWN,
        outcome=outcome,
        opinion=ReviewOpinionKind.AGREE,
        against_opinion=False,
        decider="zhao.head",
        case=CaseSummary(
            matter_code="FIR-001",
            place_town=TOWN,
            found_at=datetime.now(UTC),
            facts="安全出口堵塞",
            party=CaseParty(name="张某（个体）", kind="citizen", id_number=PERSON),
        ),
        fine=Decimal("5000.00"),
        decision_number="涪荔综执罚决〔2024〕12号",
        decided_at=datetime.now(UTC),
        finding_id=finding_id,
    )


async def _violation_needing_review(insp: Insp) -> tuple[str, dict[str, Any], dict[str, Any]]:
    r = await insp.client.post(
        "/targets",
        json={
            "name": "张某（个体）",
            "party_kind": "citizen",
            "id_number": PERSON,
            "industry": "餐饮",
            "supervision_level": "b",
            "town": TOWN,
            "supervised_since": "2020-01-01",
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    target = r.json()
    order = await insp.issued([target["id"]])
    assert (await insp.visit(order, target["id"])).status_code == 200
    r = await insp.act(
        order["id"],
        f"targets/{target['id']}/outcome",
        TOWN,
        {
            "outcome": "violation",
            "description": "安全出口堵塞",
            "matter_code": "FIR-001",
            "handling": "责令改正，拟立案处罚",
            "proposed_decision": {"fine": "5000"},
        },
    )
    assert r.status_code == 200, r.text
    return order["id"], target, r.json()


async def test_insp_08_a_finding_needing_review_is_requested_from_legal_review(
    insp: Insp,
) -> None:
    oid, target, visit = await _violation_needing_review(insp)
    assert visit["review_required"] is True
    assert visit["awaits"]["value"] == "review"
    [sent] = await _outbox(insp, "inspection.review-requested")
    assert sent["finding_id"] == visit["finding_id"]
    assert sent["inspection_id"] == oid
    assert sent["target_id"] == target["id"]
    assert sent["handling_org"] == TOWN  # the town's review body reviews (REV-01, 二(四))
    assert sent["place_town"] == TOWN
    assert sent["matter_code"] == "FIR-001"
    assert "FIR-001" in sent["matters_checked"]
    assert [t["trigger"] for t in sent["triggers"]] == ["amount"]
    assert sent["target"]["id_number"] == "110105********002X"  # masked, as integrators read it
    assert PERSON not in str(sent)


async def test_rev_01_the_loop_waits_for_the_review_decided_and_closes_when_it_returns(
    insp: Insp, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    oid, target, visit = await _violation_needing_review(insp)
    finding_id = visit["finding_id"]
    tid = target["id"]
    # the feedback, and so the closing, waits for the review
    before = await insp.counts()
    r = await insp.act(oid, f"targets/{tid}/feedback", TOWN, {"result": RESULT})
    problem = await refused(insp, r, 409, "inspection-loop-open", before)
    assert problem["awaits"] == "review"
    r = await insp.act(oid, "close", TOWN, None, "leader")
    await refused(insp, r, 409, "inspection-targets-open", before)
    # a decision claimed by anyone but legal review is dead-lettered; one of another finding
    # or without a finding changes nothing
    async with topic_reader(kafka_bootstrap, "review.decided.dlq") as dlq:
        forged = await publish(
            _decided(finding_id, outcome=DecisionOutcome.DECIDED_AS_PROPOSED),
            key=str(uuid.uuid4()),
            source="/xietong/joint-inspection",
        )
        await dlq.collect(lambda es: any(e.get("id") == forged for e in es), timeout_s=30)
    for other in (None, str(uuid.uuid4())):
        await publish(
            _decided(other, outcome=DecisionOutcome.DECIDED_AS_PROPOSED),
            key=str(uuid.uuid4()),
            source="/xietong/legal-review",
        )
    await asyncio.sleep(1)
    assert (await _visit(insp, oid, tid))["loop_returned_at"] is None
    r = await insp.act(oid, f"targets/{tid}/feedback", TOWN, {"result": RESULT})
    assert r.status_code == 409
    # legal review decided: the loop may close
    await publish(
        _decided(finding_id, outcome=DecisionOutcome.DECIDED_AS_PROPOSED),
        key=str(uuid.uuid4()),
        source="/xietong/legal-review",
    )
    for _ in range(100):
        returned = await _visit(insp, oid, tid)
        if returned["loop_returned_at"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("review.decided from legal review never arrived")
    assert "涪荔综执罚决〔2024〕12号" in returned["loop_result"]
    r = await insp.act(oid, f"targets/{tid}/feedback", TOWN, {"result": RESULT})
    assert r.status_code == 200, r.text
    [fed] = await _outbox(insp, "inspection.fed-back")
    assert "涪荔综执罚决〔2024〕12号" in fed["loop_result"]
    closed = await insp.act(oid, "close", TOWN, None, "leader")
    assert closed.status_code == 200, closed.text
    timeline = (await insp.client.get(f"/orders/{oid}/timeline", headers=insp.h(TOWN))).json()
    actions = {(e.get("action"), e.get("rule")) for e in timeline if e.get("kind") == "action"}
    assert ("inspection.visit.review-requested", "REV-01") in actions
    assert ("inspection.visit.loop-returned", "INSP-07") in actions


async def test_insp_08_a_departments_own_finding_is_reviewed_by_its_own_legal_body(
    insp: Insp,
) -> None:
    """二(四) makes legal review of major decisions a town's duty: a violation a participating
    department handles itself keeps its REV-01 flag for the department's own legal body, and
    no review request goes to the (towns') legal-review service; its loop does not wait."""
    target = await insp.target()
    order = await insp.order(
        [target["id"]], org=ECOLOGY, town=TOWN, proposal="排污检查", matters=("ENV-001",)
    )
    oid = order["id"]
    r = await insp.act(oid, "consultation", TOWN, {"decision": "agree", "brigade_tasks": "配合"})
    assert r.status_code == 200, r.text
    inspectors = [
        (
            await insp.act(
                oid,
                "inspectors",
                ECOLOGY,
                {"kind": "department", "officer_id": f"e{i}", "name": "执法员"},
            )
        ).json()["id"]
        for i in range(2)
    ]
    r = await insp.client.put(
        f"/orders/{oid}/notice-policy",
        json={
            "policy": "law-forbids",
            "reason": "依法不予公开的检查事项",
            "legal_basis": "《中华人民共和国保守国家秘密法》",
        },
        headers=insp.h(ECOLOGY),
    )
    assert r.status_code == 200, r.text
    assert (await insp.act(oid, "issue", ECOLOGY)).status_code == 200
    r = await insp.act(
        oid,
        f"targets/{target['id']}/on-site",
        ECOLOGY,
        {"inspected_at": insp.clock.now().isoformat(), "inspector_ids": inspectors, "record": "x"},
    )
    assert r.status_code == 200, r.text
    r = await insp.act(
        oid,
        f"targets/{target['id']}/outcome",
        ECOLOGY,
        {
            "outcome": "violation",
            "description": "向河道排放污水",
            "matter_code": "ENV-001",
            "handling": "责令改正，拟立案处罚",
            "proposed_decision": {"fine": "30000"},
        },
    )
    assert r.status_code == 200, r.text
    visit = r.json()
    assert visit["within_jurisdiction"] is True
    assert visit["handling_org"] == ECOLOGY
    assert visit["review_required"] is True
    assert visit["awaits"] is None
    assert await _outbox(insp, "inspection.review-requested") == []


WITHDRAWN = "经复核违法事实不成立，不予处罚"


def _withdrawn(finding_id: str, oid: str) -> ReviewRequestWithdrawn:
    return ReviewRequestWithdrawn(
        request_id=uuid.uuid4(),
        finding_id=finding_id,
        inspection_id=oid,
        town=TOWN,
        reason=WITHDRAWN,
        withdrawn_by="li.leader",
        withdrawn_at=datetime.now(UTC),
    )


async def test_insp_07_a_withdrawn_review_request_is_the_loops_return_and_it_closes(
    insp: Insp, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    """INSP-07/REV-01: the town decided, after the finding, not to pursue a penalty decision
    at all and withdrew the review request with its reason (`review.request-withdrawn`, from
    legal review and from no one else): that is what the loop waited for; the feedback, the
    closing and the archive show the review was withdrawn and why."""
    oid, target, visit = await _violation_needing_review(insp)
    finding_id, tid = visit["finding_id"], target["id"]
    assert visit["awaits"]["value"] == "review"
    # a withdrawal claimed by anyone but legal review is dead-lettered and changes nothing
    async with topic_reader(kafka_bootstrap, "review.request-withdrawn.dlq") as dlq:
        forged = await publish(
            _withdrawn(finding_id, oid), key=oid, source="/xietong/joint-inspection"
        )
        await dlq.collect(lambda es: any(e.get("id") == forged for e in es), timeout_s=30)
    await asyncio.sleep(1)
    assert (await _visit(insp, oid, tid))["loop_returned_at"] is None
    before = await insp.counts()
    r = await insp.act(oid, f"targets/{tid}/feedback", TOWN, {"result": RESULT})
    await refused(insp, r, 409, "inspection-loop-open", before)
    # legal review tells of the withdrawal: the loop returns with the town's reason
    await publish(_withdrawn(finding_id, oid), key=oid, source="/xietong/legal-review")
    for _ in range(100):
        returned = await _visit(insp, oid, tid)
        if returned["loop_returned_at"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("review.request-withdrawn from legal review never arrived")
    assert "撤回" in returned["loop_result"]
    assert WITHDRAWN in returned["loop_result"]
    r = await insp.act(
        oid, f"targets/{tid}/feedback", TOWN, {"result": "经复核不予处罚，已告知当事人"}
    )
    assert r.status_code == 200, r.text
    [fed] = await _outbox(insp, "inspection.fed-back")
    assert WITHDRAWN in fed["loop_result"]
    closed = await insp.act(oid, "close", TOWN, None, "leader")
    assert closed.status_code == 200, closed.text
    archive = (await insp.client.get(f"/orders/{oid}/archive", headers=insp.h(TOWN))).json()
    [archived] = [v for v in archive["manifest"]["visits"] if v["target_id"] == tid]
    assert WITHDRAWN in archived["loop_result"]
    timeline = (await insp.client.get(f"/orders/{oid}/timeline", headers=insp.h(TOWN))).json()
    returns = [
        e
        for e in timeline
        if e.get("kind") == "action" and e.get("action") == "inspection.visit.loop-returned"
    ]
    assert [e["rule"] for e in returns] == ["INSP-07"]
