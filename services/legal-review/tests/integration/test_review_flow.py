"""法制审核 through the REST API and Kafka: REV-01..REV-09 end to end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from legal_review.models import Review, ReviewRound
from xietong_common.auth import Principal
from xietong_common.clock import FakeClock
from xietong_common.db import outbox
from xietong_common.testing import RunningService, topic_reader

from .conftest import TOWN, Flow, submission

pytestmark = pytest.mark.integration


async def counts(svc: RunningService) -> tuple[int, int, int]:
    async with svc.ctx.db.session() as s:
        reviews = (await s.execute(sa.select(sa.func.count()).select_from(Review))).scalar_one()
        rounds = (await s.execute(sa.select(sa.func.count()).select_from(ReviewRound))).scalar_one()
        events = (await s.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one()
    return int(reviews), int(rounds), int(events)


async def test_rev_01_trigger_check_names_each_trigger_and_changes_nothing(
    svc: RunningService, flow: Flow
) -> None:
    before = await counts(svc)
    r = await svc.client.post(
        "/reviews/triggers",
        json={"party_kind": "citizen", "decision": {"fine": "2000", "hearing": True}},
        headers=flow.handler,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["review_required"] is True
    assert [t["number"] for t in body["triggers"]] == [4, 6]
    assert body["amount_threshold"] == "2000"
    below = await svc.client.post(
        "/reviews/triggers",
        json={"party_kind": "citizen", "decision": {"fine": "1999.99"}},
        headers=flow.handler,
    )
    assert below.json()["review_required"] is False
    assert await counts(svc) == before


async def test_rev_01_a_case_no_trigger_catches_is_submitted_only_voluntarily(
    svc: RunningService, flow: Flow
) -> None:
    body = submission(fine="100.00")
    refused = await svc.client.post("/reviews", json=body, headers=flow.handler)
    assert refused.status_code == 422
    assert "voluntary" in refused.json()["detail"]
    accepted = await svc.client.post(
        "/reviews", json={**body, "voluntary": True}, headers=flow.handler
    )
    assert accepted.status_code == 201
    assert accepted.json()["current"]["voluntary"] is True


async def test_rev_02_the_same_person_may_not_handle_and_review(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    both = svc.auth(TOWN, "handler", "reviewer", user="li.handler")  # whatever roles they hold
    r = await svc.client.post(f"/reviews/{review['id']}/take", headers=both)
    assert r.status_code == 403
    assert r.json()["type"] == "urn:xietong:problem:review-separation-of-duties"


async def test_rev_02_the_reviewer_may_not_decide(svc: RunningService, flow: Flow) -> None:
    rid = await flow.reviewed("agree")
    reviewer_as_head = svc.auth(TOWN, "reviewer", "head", user="wang.reviewer")
    r = await svc.client.post(
        f"/reviews/{rid}/decision",
        json={"outcome": "decided-as-proposed"},
        headers=reviewer_as_head,
    )
    assert r.status_code == 403
    assert r.json()["type"].endswith("review-separation-of-duties")


async def test_rev_03_dual_review_and_joint_meeting(svc: RunningService, flow: Flow) -> None:
    review = await flow.submit()
    rid = review["id"]
    r = await svc.client.post(
        f"/reviews/{rid}/joint",
        json={"mode": "dual-review", "departments": ["dept:urban-management"]},
        headers=flow.reviewer,
    )
    assert r.status_code == 200, r.text
    dept = svc.auth("dept:urban-management", "reviewer", user="chen.dept")
    assert (
        await svc.client.get(f"/reviews/{rid}", headers=dept)
    ).status_code == 200  # the department sees it
    parallel = await svc.client.post(
        f"/reviews/{rid}/joint-opinions",
        json={"opinion": "agree", "reasons": "部门同意"},
        headers=dept,
    )
    assert parallel.status_code == 201, parallel.text
    other_dept = svc.auth("dept:water", "reviewer", user="x")
    assert (
        await svc.client.post(
            f"/reviews/{rid}/joint-opinions",
            json={"opinion": "agree", "reasons": "x"},
            headers=other_dept,
        )
    ).status_code == 404

    meeting = await flow.submit()
    mid = meeting["id"]
    await svc.client.post(
        f"/reviews/{mid}/joint",
        json={"mode": "joint-meeting", "departments": ["dept:ecology-environment"]},
        headers=flow.reviewer,
    )
    no_minutes = await svc.client.post(
        f"/reviews/{mid}/joint-opinions",
        json={"opinion": "agree", "reasons": "x"},
        headers=flow.reviewer,
    )
    assert no_minutes.status_code == 422
    ok = await svc.client.post(
        f"/reviews/{mid}/joint-opinions",
        json={
            "opinion": "agree",
            "reasons": "会审一致",
            "participants": ["王", "陈"],
            "minutes": "会审纪要",
        },
        headers=flow.reviewer,
    )
    assert ok.status_code == 201
    detail = (await svc.client.get(f"/reviews/{mid}", headers=flow.reviewer)).json()
    assert detail["joint_mode"] == "joint-meeting"
    assert detail["joint_opinions"][0]["minutes"] == "会审纪要"


async def test_rev_04_materials_are_stored_by_sha256_with_limits(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    up = await flow.upload(rid, "investigation-report")
    assert up.status_code == 201, up.text
    assert len(up.json()["sha256"]) == 64
    exe = await svc.client.post(
        f"/reviews/{rid}/materials",
        data={"kind": "evidence"},
        files={"file": ("x.exe", b"MZ", "application/x-msdownload")},
        headers=flow.handler,
    )
    assert exe.status_code == 415
    bad_kind = await svc.client.post(
        f"/reviews/{rid}/materials",
        data={"kind": "gossip"},
        files={"file": ("x.pdf", b"%PDF", "application/pdf")},
        headers=flow.handler,
    )
    assert bad_kind.status_code == 422
    detail = (await svc.client.get(f"/reviews/{rid}", headers=flow.handler)).json()
    assert [m["kind"] for m in detail["materials"]] == ["investigation-report"]


async def test_rev_05_one_notice_of_missing_materials_then_supply_resumes(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit(fine="50000", hearing=True)
    rid = review["id"]
    await flow.upload(rid, "investigation-report")
    r = await svc.client.post(
        f"/reviews/{rid}/materials-notice", json={"items": ["现场照片原件"]}, headers=flow.reviewer
    )
    assert r.status_code == 200, r.text
    notice = r.json()["current"]["materials_notice"]
    assert notice["missing"] == []
    assert notice["items"] == ["现场照片原件"]
    assert r.json()["state"]["value"] == "materials-requested"
    assert r.json()["due"][0]["rule"] == "REV-05"

    second = await svc.client.post(
        f"/reviews/{rid}/materials-notice", json={"missing": ["evidence"]}, headers=flow.reviewer
    )
    assert second.status_code == 409
    assert second.json()["type"] == "urn:xietong:problem:review-second-missing-materials-notice"

    resumed = await svc.client.post(f"/reviews/{rid}/materials-supplied", headers=flow.handler)
    assert resumed.status_code == 200
    assert resumed.json()["state"]["value"] == "under-review"


async def test_rev_05_notice_lists_computed_missing_kinds_and_waits_for_them(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit(fine="50000", hearing=True)
    rid = review["id"]
    r = await svc.client.post(f"/reviews/{rid}/materials-notice", json={}, headers=flow.reviewer)
    assert r.json()["current"]["materials_notice"]["missing"] == [
        "investigation-report",
        "proposed-decision",
        "evidence",
        "hearing-record",
    ]
    early = await svc.client.post(f"/reviews/{rid}/materials-supplied", headers=flow.handler)
    assert early.status_code == 422
    for kind in ("investigation-report", "proposed-decision", "evidence", "hearing-record"):
        assert (await flow.upload(rid, kind)).status_code == 201
    assert (
        await svc.client.post(f"/reviews/{rid}/materials-supplied", headers=flow.handler)
    ).status_code == 200


async def test_rev_05_a_missed_supply_deadline_is_a_recorded_breach(
    svc: RunningService, flow: Flow, fake_clock: FakeClock, kafka_bootstrap: str
) -> None:
    from xietong_common import deadlines

    review = await flow.submit()
    rid = review["id"]
    await svc.client.post(
        f"/reviews/{rid}/materials-notice", json={"missing": ["evidence"]}, headers=flow.reviewer
    )
    fake_clock.advance(timedelta(days=30))
    async with topic_reader(kafka_bootstrap, "deadline.breached") as reader:
        async with svc.ctx.db.uow(actor=Principal.system("legal-review")) as uow:
            assert await deadlines.sweep(uow, now=fake_clock.now(), mechanism="legal-review") == 1
        events = await reader.collect(lambda evs: any(e["subject"] == f"review:{rid}" for e in evs))
    breach = next(e for e in events if e["subject"] == f"review:{rid}")["data"]
    assert breach["rule"] == "REV-05"
    assert breach["organisation"] == TOWN
    assert breach["kind"] == "no-action"


async def test_rev_06_an_opinion_without_its_nine_points_is_refused(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    await flow.take(rid)
    await svc.client.put(
        f"/reviews/{rid}/points/lawful-body", json={"passed": True}, headers=flow.reviewer
    )
    before = await counts(svc)
    r = await flow.opinion(rid, "agree")
    assert r.status_code == 422
    assert r.json()["type"] == "urn:xietong:problem:review-points-unanswered"
    assert len(r.json()["unanswered"]) == 8
    assert await counts(svc) == before
    state = (await svc.client.get(f"/reviews/{rid}", headers=flow.reviewer)).json()["state"][
        "value"
    ]
    assert state == "under-review"


@pytest.mark.parametrize(
    ("opinion", "failed", "extra"),
    [
        ("agree", {}, {}),
        ("correct-and-resubmit", {"documents": "文书不规范"}, {"flaws": ["补正告知书"]}),
        ("do-not-decide", {"facts-and-evidence": "主要证据不足"}, {}),
        (
            "transfer-to-competent-agency",
            {"jurisdiction": "不属本机关权限"},
            {"transfer_to": "dept:water"},
        ),
        (
            "transfer-to-judicial-organs",
            {"no-crime": "涉嫌污染环境罪"},
            {"judicial_organ": "涪陵区公安分局"},
        ),
    ],
)
async def test_rev_07_each_of_the_five_opinions(
    svc: RunningService, flow: Flow, opinion: str, failed: dict[str, str], extra: dict[str, object]
) -> None:
    rid = await flow.reviewed(opinion, failed, **extra)
    detail = (await svc.client.get(f"/reviews/{rid}", headers=flow.handler)).json()
    assert detail["state"]["value"] == "opinion-given"
    assert detail["current"]["opinion"]["value"] == opinion
    if opinion == "transfer-to-judicial-organs":
        assert detail["current"]["judicial_organ"] == "涪陵区公安分局"


async def test_rev_07_opinion_4_reaches_kafka_as_review_opinion(
    svc: RunningService, flow: Flow, kafka_bootstrap: str
) -> None:
    async with topic_reader(kafka_bootstrap, "review.opinion") as reader:
        rid = await flow.reviewed(
            "transfer-to-competent-agency", {"jurisdiction": "x"}, transfer_to="dept:water"
        )
        events = await reader.collect(lambda evs: any(e["data"]["review_id"] == rid for e in evs))
    event = next(e for e in events if e["data"]["review_id"] == rid)
    assert event["type"] == "xietong.review.opinion.v1"
    assert event["data"]["opinion"] == "transfer-to-competent-agency"
    assert event["data"]["transfer_to"] == "dept:water"
    assert event["data"]["case"]["matter_code"] == "URB-002"


async def test_rev_07_opinion_2_corrected_resubmission_is_a_new_round(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed("correct-and-resubmit", {"documents": "x"}, flaws=["补正"])
    refused = await svc.client.post(
        f"/reviews/{rid}/decision", json={"outcome": "decided-as-proposed"}, headers=flow.head
    )
    assert refused.status_code == 409
    r = await svc.client.post(
        f"/reviews/{rid}/resubmit",
        json={
            "decision": {"fine": "40000"},
            "proposal": "拟罚款40000元",
            "correction_note": "补正了告知书",
        },
        headers=flow.handler,
    )
    assert r.status_code == 200, r.text
    assert r.json()["round"] == 2
    assert r.json()["state"]["value"] == "submitted"
    detail = (await svc.client.get(f"/reviews/{rid}", headers=flow.handler)).json()
    assert [x["number"] for x in detail["rounds"]] == [1, 2]
    assert detail["rounds"][0]["opinion"]["value"] == "correct-and-resubmit"
    assert detail["rounds"][1]["correction_note"] == "补正了告知书"


async def test_rev_08_decision_records_who_answers_for_what(
    svc: RunningService, flow: Flow, kafka_bootstrap: str
) -> None:
    rid = await flow.reviewed("do-not-decide", {"facts-and-evidence": "证据不足"})
    against = await svc.client.post(
        f"/reviews/{rid}/decision", json={"outcome": "decided-as-proposed"}, headers=flow.head
    )
    assert against.status_code == 422
    assert "written reason" in against.json()["detail"]
    async with topic_reader(kafka_bootstrap, "review.decided") as reader:
        r = await svc.client.post(
            f"/reviews/{rid}/decision",
            json={
                "outcome": "decided-as-proposed",
                "reason": "补充调查后证据充分",
                "decision_number": "涪荔罚〔2024〕1号",
            },
            headers=flow.head,
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda evs: any(e["data"]["review_id"] == rid for e in evs))
    body = r.json()
    assert body["state"]["value"] == "decided"
    assert body["responsibility"] == {
        "materials": "li.handler",
        "opinion": "wang.reviewer",
        "decision": "zhao.head",
    }
    assert body["decision"]["against_opinion"] is True
    decided = next(e for e in events if e["data"]["review_id"] == rid)["data"]
    assert decided["against_opinion"] is True
    assert decided["fine"] == "50000.00"


async def test_rev_09_justice_office_sees_its_towns_reviews_and_advises_once_added(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    office = svc.auth("justice-office:lizhi", "adviser", user="sfs.lizhi")
    assert (await svc.client.get(f"/reviews/{rid}", headers=office)).status_code == 200
    queue = (await svc.client.get("/reviews", headers=office)).json()
    assert rid in [i["id"] for i in queue["items"]]
    other_office = svc.auth("justice-office:baitao", "adviser", user="sfs.baitao")
    assert (await svc.client.get(f"/reviews/{rid}", headers=other_office)).status_code == 404
    early = await svc.client.post(f"/reviews/{rid}/advice", json={"note": "建议"}, headers=office)
    assert early.status_code == 403
    added = await svc.client.post(f"/reviews/{rid}/justice-office", headers=flow.reviewer)
    assert added.json()["justice_office"] == "justice-office:lizhi"
    advice = await svc.client.post(
        f"/reviews/{rid}/advice",
        json={"note": "法律顾问意见：程序合法", "advisers": ["王律师"]},
        headers=office,
    )
    assert advice.status_code == 201


async def test_other_towns_get_404_and_the_justice_bureau_reads_all(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    other = svc.auth("town:baitao", "reviewer", user="x")
    assert (await svc.client.get(f"/reviews/{rid}", headers=other)).status_code == 404
    assert (await svc.client.post(f"/reviews/{rid}/take", headers=other)).status_code == 404
    assert rid not in [
        i["id"] for i in (await svc.client.get("/reviews", headers=other)).json()["items"]
    ]
    bureau = svc.auth("justice-bureau", "oversight", user="sfj")
    assert (await svc.client.get(f"/reviews/{rid}/timeline", headers=bureau)).status_code == 200


async def test_queue_filters_and_paginates(svc: RunningService, flow: Flow) -> None:
    ids = [(await flow.submit())["id"] for _ in range(3)]
    await flow.take(ids[0])
    page = (await svc.client.get("/reviews", params={"page_size": 2}, headers=flow.reviewer)).json()
    assert page["total"] >= 3
    assert len(page["items"]) == 2
    under = (
        await svc.client.get("/reviews", params={"state": "under-review"}, headers=flow.reviewer)
    ).json()
    assert [i["id"] for i in under["items"]] == [ids[0]]
    timeline = (await svc.client.get(f"/reviews/{ids[0]}/timeline", headers=flow.reviewer)).json()
    assert [e["action"] for e in timeline] == ["review.submitted", "review.taken"]


@pytest.mark.parametrize(
    "decision",
    [{"fine": "-1"}, {"fine": "abc"}, {"confiscated_gains": "-0.01"}, {"fine": "1.234"}],
)
async def test_bad_amounts_are_422_and_change_nothing(
    svc: RunningService, flow: Flow, decision: dict[str, str]
) -> None:
    before = await counts(svc)
    r = await svc.client.post("/reviews", json=submission(**decision), headers=flow.handler)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await counts(svc) == before


async def test_unknown_party_kind_is_422(svc: RunningService, flow: Flow) -> None:
    body = submission()
    body["party"]["kind"] = "alien"
    before = await counts(svc)
    r = await svc.client.post("/reviews", json=body, headers=flow.handler)
    assert r.status_code == 422
    assert await counts(svc) == before


async def test_idempotency_key_makes_a_retried_submission_one_review(
    svc: RunningService, flow: Flow
) -> None:
    headers = {**flow.handler, "Idempotency-Key": "k-123"}
    first = await svc.client.post("/reviews", json=submission(), headers=headers)
    again = await svc.client.post("/reviews", json=submission(), headers=headers)
    assert first.json()["id"] == again.json()["id"]
