"""The brigade's side through the REST API: REV-01 triggers, REV-04 materials, REV-05 notice,
and bad input that must change nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from legal_review.main import SPEC
from xietong_common.auth import Principal
from xietong_common.clock import FakeClock
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import RunningService, topic_reader

from .conftest import TOWN, Flow, counts, submission

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("party_kind", "field", "at", "below"),
    [
        ("citizen", "fine", "2000", "1999.99"),
        ("legal-person", "fine", "20000", "19999.99"),
        ("other-organisation", "fine", "20000.00", "19999.99"),
        ("citizen", "confiscated_gains", "2000", "1999.99"),
        ("legal-person", "confiscated_gains", "20000", "19999.99"),
        ("other-organisation", "confiscated_property_value", "20000", "19999.99"),
        ("citizen", "confiscated_property_value", "2000.00", "1999.99"),
    ],
)
async def test_rev_01_money_boundaries_per_party_kind_through_the_api(
    svc: RunningService, flow: Flow, party_kind: str, field: str, at: str, below: str
) -> None:
    async def check(amount: str) -> dict[str, Any]:
        r = await svc.client.post(
            "/reviews/triggers",
            json={"party_kind": party_kind, "decision": {field: amount}},
            headers=flow.handler,
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    reached = await check(at)
    assert reached["review_required"] is True
    assert [t["trigger"] for t in reached["triggers"]] == ["amount"]
    assert reached["triggers"][0]["number"] == 6
    assert (await check(below))["review_required"] is False


async def test_rev_01_trigger_check_names_each_trigger_and_changes_nothing(
    svc: RunningService, flow: Flow
) -> None:
    before = await counts(svc)
    r = await svc.client.post(
        "/reviews/triggers",
        json={
            "party_kind": "citizen",
            "decision": {
                "fine": "2000",
                "hearing": True,
                "adjustment": "lighter",
                "judgements": {"major-rights": "吊销许可证直接影响当事人生计"},
            },
        },
        headers=flow.handler,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["review_required"] is True
    assert [t["number"] for t in body["triggers"]] == [3, 4, 6, 7]
    assert body["triggers"][0]["reason"] == "吊销许可证直接影响当事人生计"
    assert "减轻" in body["triggers"][3]["reason"]
    assert body["amount_threshold"] == "2000"
    assert await counts(svc) == before


async def test_rev_01_submission_records_its_triggers_and_publishes_review_requested(
    svc: RunningService, flow: Flow, kafka_bootstrap: str
) -> None:
    async with topic_reader(kafka_bootstrap, "review.requested") as reader:
        review = await flow.submit(fine="50000", hearing=True)
        events = await reader.collect(
            lambda evs: any(e["data"]["review_id"] == review["id"] for e in evs)
        )
    assert [t["trigger"] for t in review["current"]["triggers"]] == ["hearing", "amount"]
    assert review["state"] == {
        "value": "submitted",
        "label_zh": "已送审",
        "label_en": "submitted",
    }
    event = next(e for e in events if e["data"]["review_id"] == review["id"])["data"]
    assert event["triggers"] == ["hearing", "amount"]
    assert event["handler"] == "li.handler"
    assert event["voluntary"] is False


async def test_rev_01_a_case_no_trigger_catches_is_submitted_only_voluntarily(
    svc: RunningService, flow: Flow
) -> None:
    body = submission(fine="100.00")
    before = await counts(svc)
    refused = await svc.client.post("/reviews", json=body, headers=flow.handler)
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("review-not-required")
    assert await counts(svc) == before
    accepted = await svc.client.post(
        "/reviews", json={**body, "voluntary": True}, headers=flow.handler
    )
    assert accepted.status_code == 201
    assert accepted.json()["current"]["voluntary"] is True


async def test_rev_04_materials_are_stored_by_sha256_with_limits(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    up = await flow.upload(rid, "investigation-report", pdf_bytes("report"))
    assert up.status_code == 201, up.text
    assert len(up.json()["sha256"]) == 64
    content = await svc.client.get(
        f"/reviews/{rid}/materials/{up.json()['id']}/content", headers=flow.reviewer
    )
    assert content.content == pdf_bytes("report")
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


async def test_rev_04_the_reviewer_may_not_supply_the_handlers_materials(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    await flow.take(review["id"])
    both = svc.auth(TOWN, "handler", "reviewer", user="wang.reviewer")
    r = await svc.client.post(
        f"/reviews/{review['id']}/materials",
        data={"kind": "evidence"},
        files={"file": ("e.pdf", b"%PDF", "application/pdf")},
        headers=both,
    )
    assert r.status_code == 403
    assert r.json()["type"].endswith("review-separation-of-duties")


async def test_rev_05_one_notice_of_missing_materials_then_supply_resumes(
    svc: RunningService, flow: Flow, kafka_bootstrap: str
) -> None:
    review = await flow.submit(fine="50000", hearing=True)
    rid = review["id"]
    await flow.upload(rid, "investigation-report")
    async with topic_reader(kafka_bootstrap, "review.materials-missing") as reader:
        r = await svc.client.post(
            f"/reviews/{rid}/materials-notice",
            json={"missing": ["evidence"], "items": ["现场照片原件"]},
            headers=flow.reviewer,
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda evs: any(e["data"]["review_id"] == rid for e in evs))
    notice = r.json()["current"]["materials_notice"]
    # 一次性告知: every required kind not yet uploaded is listed, not only the one named.
    assert notice["missing"] == ["proposed-decision", "evidence", "hearing-record"]
    assert notice["items"] == ["现场照片原件"]
    assert r.json()["state"]["value"] == "materials-requested"
    due = r.json()["due"][0]
    assert due["rule"] == "REV-05"
    # Fri 2024-03-01 + 5 working days = Fri 2024-03-08, 24:00 CST.
    assert due["due_at"].startswith("2024-03-08T16:00:00")
    event = next(e for e in events if e["data"]["review_id"] == rid)["data"]
    assert event["missing"] == ["proposed-decision", "evidence", "hearing-record"]
    assert event["items"] == ["现场照片原件"]
    assert event["due_at"].startswith("2024-03-08T16:00:00")

    before = await counts(svc)
    second = await svc.client.post(
        f"/reviews/{rid}/materials-notice",
        json={"missing": ["hearing-record"]},
        headers=flow.reviewer,
    )
    assert second.status_code == 409
    assert second.json()["type"] == "urn:xietong:problem:review-second-missing-materials-notice"
    assert await counts(svc) == before

    early = await svc.client.post(f"/reviews/{rid}/materials-supplied", headers=flow.handler)
    assert early.status_code == 422
    assert early.json()["missing"] == ["proposed-decision", "evidence", "hearing-record"]
    for kind in ("proposed-decision", "evidence", "hearing-record"):
        assert (await flow.upload(rid, kind)).status_code == 201
    resumed = await svc.client.post(f"/reviews/{rid}/materials-supplied", headers=flow.handler)
    assert resumed.status_code == 200
    assert resumed.json()["state"]["value"] == "under-review"
    assert resumed.json()["due"][0]["satisfied_at"] is not None


async def test_rev_05_notice_lists_computed_missing_kinds(svc: RunningService, flow: Flow) -> None:
    review = await flow.submit(fine="50000", hearing=True)
    rid = review["id"]
    r = await svc.client.post(f"/reviews/{rid}/materials-notice", json={}, headers=flow.reviewer)
    assert r.json()["current"]["materials_notice"]["missing"] == [
        "investigation-report",
        "proposed-decision",
        "evidence",
        "hearing-record",
    ]


async def test_rev_05_a_notice_with_nothing_missing_is_refused(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    for kind in ("investigation-report", "proposed-decision", "evidence"):
        assert (await flow.upload(rid, kind)).status_code == 201
    before = await counts(svc)
    r = await svc.client.post(f"/reviews/{rid}/materials-notice", json={}, headers=flow.reviewer)
    assert r.status_code == 422
    assert r.json()["type"].endswith("review-nothing-missing")
    assert await counts(svc) == before
    # Refused requests do not use up the one notice.
    ok = await svc.client.post(
        f"/reviews/{rid}/materials-notice", json={"items": ["现场照片原件"]}, headers=flow.reviewer
    )
    assert ok.status_code == 200


async def test_rev_05_the_deadline_is_a_setting_in_working_days(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    r = await svc.client.post(
        f"/reviews/{review['id']}/materials-notice",
        json={"missing": ["evidence"], "working_days": 3},
        headers=flow.reviewer,
    )
    assert r.json()["due"][0]["due_at"].startswith("2024-03-06T16:00:00")


async def test_rev_05_a_missed_supply_deadline_is_a_recorded_breach(
    svc: RunningService, flow: Flow, fake_clock: FakeClock, kafka_bootstrap: str
) -> None:
    review = await flow.submit()
    rid = review["id"]
    await svc.client.post(
        f"/reviews/{rid}/materials-notice", json={"missing": ["evidence"]}, headers=flow.reviewer
    )
    fake_clock.advance(timedelta(days=30))
    (sweep,) = [job for job in SPEC.jobs if job.name == "deadline-sweep"]
    async with topic_reader(kafka_bootstrap, "deadline.breached") as reader:
        async with svc.ctx.db.uow(actor=Principal.system("legal-review")) as uow:
            await sweep.job(svc.ctx)(uow)  # the service's periodic job, run once
        events = await reader.collect(lambda evs: any(e["subject"] == f"review:{rid}" for e in evs))
    breach = next(e for e in events if e["subject"] == f"review:{rid}")["data"]
    assert breach["rule"] == "REV-05"
    assert breach["organisation"] == TOWN
    assert breach["kind"] == "no-action"
    overdue = (
        await svc.client.get("/reviews", params={"overdue": True}, headers=flow.reviewer)
    ).json()
    assert [i["id"] for i in overdue["items"]] == [rid]


async def test_rev_05_materials_supplied_after_the_deadline_resume_the_review_late(
    svc: RunningService, flow: Flow, fake_clock: FakeClock
) -> None:
    """The breach stays on record; the review goes on (a late supply is not refused)."""
    rid = (await flow.submit())["id"]
    await svc.client.post(
        f"/reviews/{rid}/materials-notice", json={"missing": ["evidence"]}, headers=flow.reviewer
    )
    fake_clock.advance(timedelta(days=30))
    (sweep,) = [job for job in SPEC.jobs if job.name == "deadline-sweep"]
    async with svc.ctx.db.uow(actor=Principal.system("legal-review")) as uow:
        await sweep.job(svc.ctx)(uow)
    for kind in ("investigation-report", "proposed-decision", "evidence"):
        assert (await flow.upload(rid, kind)).status_code == 201
    late = await svc.client.post(f"/reviews/{rid}/materials-supplied", headers=flow.handler)
    assert late.status_code == 200, late.text
    assert late.json()["state"]["value"] == "under-review"
    (due,) = late.json()["due"]
    assert due["satisfied_at"] > due["due_at"]
    assert due["breached_at"] is not None
    timeline = (await svc.client.get(f"/reviews/{rid}/timeline", headers=flow.reviewer)).json()
    assert "deadline-breached" in {e["kind"] for e in timeline}


@pytest.mark.parametrize(
    "decision",
    [
        {"fine": "-1"},
        {"fine": "abc"},
        {"confiscated_gains": "-0.01"},
        {"fine": "1.234"},
        {"fine": "NaN"},
        {"confiscated_property_value": "1e30"},
    ],
)
async def test_bad_amounts_are_422_problems_and_change_nothing(
    svc: RunningService, flow: Flow, decision: dict[str, str]
) -> None:
    before = await counts(svc)
    r = await svc.client.post("/reviews", json=submission(**decision), headers=flow.handler)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await counts(svc) == before
    check = await svc.client.post(
        "/reviews/triggers",
        json={"party_kind": "citizen", "decision": decision},
        headers=flow.handler,
    )
    assert check.status_code == 422


async def test_unknown_party_kind_is_422_and_changes_nothing(
    svc: RunningService, flow: Flow
) -> None:
    body = submission()
    body["party"]["kind"] = "alien"
    before = await counts(svc)
    r = await svc.client.post("/reviews", json=body, headers=flow.handler)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await counts(svc) == before
    check = await svc.client.post(
        "/reviews/triggers",
        json={"party_kind": "company", "decision": {"fine": "1"}},
        headers=flow.handler,
    )
    assert check.status_code == 422


async def test_unknown_matter_or_place_is_422(svc: RunningService, flow: Flow) -> None:
    before = await counts(svc)
    matter = await svc.client.post(
        "/reviews", json={**submission(), "matter_code": "NOPE-1"}, headers=flow.handler
    )
    assert matter.json()["type"].endswith("unknown-matter")
    place = await svc.client.post(
        "/reviews", json={**submission(), "place_town": "dept:water"}, headers=flow.handler
    )
    assert place.json()["type"].endswith("unknown-organisation")
    assert await counts(svc) == before


async def test_idempotency_key_makes_a_retried_submission_one_review(
    svc: RunningService, flow: Flow
) -> None:
    headers = {**flow.handler, "Idempotency-Key": "k-123"}
    body = submission()
    first = await svc.client.post("/reviews", json=body, headers=headers)
    again = await svc.client.post("/reviews", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    before = await counts(svc)
    # The same key with another body is a client error, not a retry (IETF idempotency draft).
    other_body = await svc.client.post("/reviews", json=submission(), headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["type"].endswith("idempotency-key-reused")
    assert await counts(svc) == before
    other_town = {
        **svc.auth("town:jiangbei", "handler", user="x"),
        "Idempotency-Key": "k-123",
    }
    theirs = await svc.client.post(
        "/reviews", json={**submission(), "place_town": "town:jiangbei"}, headers=other_town
    )
    assert theirs.status_code == 201, theirs.text  # keys are per submitting town
    assert theirs.json()["id"] != first.json()["id"]


async def test_a_time_without_offset_or_a_department_submitting_changes_nothing(
    svc: RunningService, flow: Flow
) -> None:
    before = await counts(svc)
    naive = await svc.client.post(
        "/reviews", json={**submission(), "found_at": "2024-02-26T10:00:00"}, headers=flow.handler
    )
    assert naive.status_code == 422
    dept = svc.auth("dept:water", "handler", user="d")
    refused = await svc.client.post("/reviews", json=submission(), headers=dept)
    # A town submits (二(四)): the route's declaration refuses a department for its kind.
    assert refused.status_code == 403
    assert refused.json()["type"].endswith(":forbidden")
    assert refused.json()["allowed_org_kinds"] == ["town"]
    assert refused.json()["rule"] == "REV-04"
    assert await counts(svc) == before


async def test_rev_05_two_notices_at_once_still_make_one(svc: RunningService, flow: Flow) -> None:
    """The review row is locked while a notice is recorded, so a racing second one is refused."""
    review = await flow.submit()
    rid = review["id"]
    first, second = await asyncio.gather(
        *(
            svc.client.post(
                f"/reviews/{rid}/materials-notice", json={"items": [item]}, headers=flow.reviewer
            )
            for item in ("现场照片原件", "询问笔录")
        )
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    detail = (await svc.client.get(f"/reviews/{rid}", headers=flow.reviewer)).json()
    assert len(detail["current"]["materials_notice"]["items"]) == 1
    assert [d["rule"] for d in detail["due"]] == ["REV-05"]
