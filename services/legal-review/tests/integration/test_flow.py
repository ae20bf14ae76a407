"""A whole review through the REST API, with its events read back from Kafka."""

from __future__ import annotations

from typing import Any

import pytest

from xietong_devtools.testing import RunningService, topic_reader

from .conftest import Flow

pytestmark = pytest.mark.integration


def about(rid: str) -> Any:
    return lambda events: any(e["data"]["review_id"] == rid for e in events)


async def test_rev_07_full_flow_opinion_4_reaches_kafka_as_review_opinion(
    svc: RunningService, flow: Flow, kafka_bootstrap: str
) -> None:
    """REV-01 → REV-04 → REV-05 → REV-02 → REV-06 → REV-07 (4) → REV-08, all over HTTP."""
    c = svc.client
    review = await flow.submit(fine="80000", hearing=True)
    rid = review["id"]
    for kind in ("investigation-report", "proposed-decision", "evidence"):
        assert (await flow.upload(rid, kind)).status_code == 201
    notice = await c.post(f"/reviews/{rid}/materials-notice", json={}, headers=flow.reviewer)
    assert notice.json()["current"]["materials_notice"]["missing"] == ["hearing-record"]
    assert (await flow.upload(rid, "hearing-record")).status_code == 201
    supplied = await c.post(f"/reviews/{rid}/materials-supplied", headers=flow.handler)
    assert supplied.json()["state"]["value"] == "under-review"
    await flow.points(rid, jurisdiction="水污染物排放不属乡镇赋权事项")

    async with topic_reader(kafka_bootstrap, "review.opinion", "review.decided") as reader:
        opinion = await flow.opinion(
            rid,
            "transfer-to-competent-agency",
            reasons="不属于本机关执法权限",
            transfer_to="dept:ecology-environment",
        )
        assert opinion.status_code == 200, opinion.text
        decided = await flow.decide(rid, "transferred-to-agency", execution="已移送区生态环境局")
        assert decided.status_code == 200, decided.text
        events = await reader.collect(
            lambda evs: sum(e["data"]["review_id"] == rid for e in evs) >= 2
        )
    mine = {e["type"]: e for e in events if e["data"]["review_id"] == rid}
    given = mine["xietong.review.opinion.v1"]
    assert given["data"]["opinion"] == "transfer-to-competent-agency"
    assert given["data"]["transfer_to"] == "dept:ecology-environment"
    assert given["data"]["reviewer"] == "wang.reviewer"
    assert given["data"]["case"]["matter_code"] == "URB-002"
    assert given["data"]["case"]["party"]["kind"] == "legal-person"
    outcome = mine["xietong.review.decided.v1"]["data"]
    assert outcome["outcome"] == "transferred-to-agency"
    assert outcome["against_opinion"] is False
    assert outcome["fine"] == "80000.00"
    assert outcome["execution"] == "已移送区生态环境局"
    assert outcome["decider"] == "zhao.head"

    timeline = (await c.get(f"/reviews/{rid}/timeline", headers=flow.head)).json()
    actions = [e["action"] for e in timeline if e["kind"] == "action"]
    assert actions[0] == "review.submitted"
    assert actions[-2:] == ["review.opinion-given", "review.decided"]
    assert "review.materials-missing" in actions
    assert {e["kind"] for e in timeline} >= {"action", "deadline-started", "deadline-met"}
    assert {e["rule"] for e in timeline if e["kind"] == "action"} >= {
        "REV-01",
        "REV-04",
        "REV-05",
        "REV-06",
        "REV-07",
        "REV-08",
    }


async def test_rev_08_review_decided_carries_the_penalty_decision_and_its_execution(
    svc: RunningService, flow: Flow, kafka_bootstrap: str
) -> None:
    """INFO-04: what information sharing will publish as a category-4 item."""
    rid = await flow.reviewed("agree")
    async with topic_reader(kafka_bootstrap, "review.decided") as reader:
        r = await flow.decide(
            rid,
            "decided-as-proposed",
            decision_number="涪荔综执罚决〔2024〕12号",
            execution="当事人已于2024年3月8日缴纳罚款",
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(about(rid))
    data = next(e for e in events if e["data"]["review_id"] == rid)["data"]
    assert data["town"] == "town:lizhi"
    assert data["outcome"] == "decided-as-proposed"
    assert data["decision_number"] == "涪荔综执罚决〔2024〕12号"
    assert data["execution"] == "当事人已于2024年3月8日缴纳罚款"
    assert data["fine"] == "50000.00"
    assert data["case"]["facts"]
