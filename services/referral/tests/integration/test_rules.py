"""Each rule REF-01..REF-10 on the running service (real PostgreSQL and Kafka)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from referral.main import SPEC
from referral.settings import referral_settings
from xietong_common.calendar import install_schedule
from xietong_common.clock import FakeClock
from xietong_common.context import ServiceContext
from xietong_common.jobs import Job, run_job_once
from xietong_common.settings import project_root
from xietong_devtools.testing import (
    Servers,
    create_database,
    running_service,
    sample_codes,
    topic_reader,
)

pytestmark = pytest.mark.integration

PROBLEM = "urn:xietong:problem:"


def deadline_sweep(ctx: ServiceContext) -> Job:
    """The service's own deadline-sweep job (the shared one, SUP-02), as it runs."""
    (job,) = [j for j in SPEC.jobs if j.name == "deadline-sweep"]
    return job.job(ctx)


def due(referral: dict[str, Any], rule: str) -> str:
    return str(next(d["due_at"] for d in referral["deadlines"] if d["rule"] == rule))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def test_ref_02_receiver_without_jurisdiction_refused_unless_overridden_with_reason(
    case: Any,
) -> None:
    c = case.codes
    before = await case.counts()
    r = await case.svc.client.post(
        "/referrals",
        json={
            "matter_code": c.dept_matter,
            "place_town": c.town_a,
            "found_at": case.clock.now().isoformat(),
            "facts": "x",
            "receiver": c.town_b,
        },
        headers=case.sender,
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == PROBLEM + "referral-no-jurisdiction"
    assert r.json()["proposed_receiver"] == c.dept
    assert await case.counts() == before

    referral = await case.sent(
        receiver=c.town_b, jurisdiction_override_reason="污染源在白涛, 经协商由其先行处理"
    )
    assert referral["receiver"] == c.town_b
    assert referral["proposed_receiver"] == c.dept
    timeline = (
        await case.svc.client.get(f"/referrals/{referral['id']}/timeline", headers=case.sender)
    ).json()
    sent = next(e for e in timeline if e["action"] == "referral.sent")
    assert sent["detail"]["overridden"] is True
    assert sent["detail"]["override_reason"].startswith("污染源在白涛")


async def test_ref_02_routing_proposes_the_receiver(case: Any) -> None:
    c = case.codes
    r = await case.svc.client.get(
        "/referrals/routing",
        params={"matter_code": c.town_matter, "place_town": c.town_b},
        headers=case.sender,
    )
    assert r.json()["proposed_receiver"] == c.town_b
    referral = await case.draft(matter_code=c.town_matter, place_town=c.town_b)
    assert referral["receiver"] == c.town_b


async def test_ref_03_urgent_referral_due_in_24h(case: Any) -> None:
    referral = await case.draft(urgent=True)
    assert utc(due(referral, "REF-03")) == case.clock.now() + timedelta(hours=24)


async def test_ref_03_deadline_across_spring_festival_2024_counts_the_adjusted_sunday(
    case: Any,
) -> None:
    # Found Fri 9 Feb 2024 (除夕): 10–17 Feb are holidays, Sun 18 Feb is a working day.
    case.clock.set(datetime(2024, 2, 9, 2, 0, tzinfo=UTC))
    referral = await case.draft()
    assert utc(due(referral, "REF-03")) == datetime(
        2024, 2, 22, 16, 0, tzinfo=UTC
    )  # 22 Feb 24:00 CST


async def test_ref_03_deadline_across_national_day_2024_ends_on_the_adjusted_saturday(
    case: Any,
) -> None:
    # Found Mon 30 Sep 2024: 1–7 Oct are holidays; Sat 12 Oct is a working day (调休).
    case.clock.set(datetime(2024, 9, 30, 2, 0, tzinfo=UTC))
    referral = await case.draft()
    assert utc(due(referral, "REF-03")) == datetime(2024, 10, 12, 16, 0, tzinfo=UTC)


async def test_ref_03_late_referral_is_sent_and_the_breach_published(
    case: Any, kafka_bootstrap: str
) -> None:
    found = case.clock.now() - timedelta(days=10)
    async with topic_reader(kafka_bootstrap, "deadline.breached", "case.referred") as reader:
        referral = await case.sent(found_at=found.isoformat())
        events = await reader.collect(
            lambda evs: (
                {
                    e["type"]
                    for e in evs
                    if e["subject"] == f"referral:{referral['id']}"
                    or e["subject"] == referral["id"]
                }
                >= {"xietong.deadline.breached.v1", "xietong.case.referred.v1"}
            )
        )
    breach = next(
        e["data"]
        for e in events
        if e["type"] == "xietong.deadline.breached.v1"
        and e["data"]["subject"] == f"referral:{referral['id']}"
    )
    assert breach["rule"] == "REF-03"
    assert breach["kind"] == "late-action"
    assert breach["organisation"] == case.codes.town_a
    assert breach["actual_at"] is not None
    referred = next(
        e["data"]
        for e in events
        if e["type"] == "xietong.case.referred.v1" and e["subject"] == referral["id"]
    )
    assert referred["late"] is True


async def test_ref_03_sweep_records_a_deadline_passed_with_nothing_done_once(
    case: Any, kafka_bootstrap: str
) -> None:
    referral = await case.draft()
    subject = f"referral:{referral['id']}"
    case.clock.advance(timedelta(days=14))
    ctx = case.svc.ctx
    async with topic_reader(kafka_bootstrap, "deadline.breached") as reader:
        assert await run_job_once(ctx.db, "deadline-sweep", deadline_sweep(ctx))
        assert await run_job_once(ctx.db, "deadline-sweep", deadline_sweep(ctx))
        events = await reader.collect(lambda evs: any(e["subject"] == subject for e in evs))
    mine = [e["data"] for e in events if e["subject"] == subject]
    assert len(mine) == 1
    assert mine[0]["kind"] == "no-action"
    assert mine[0]["rule"] == "REF-03"
    r = await case.svc.client.get(
        "/referrals/outbox", params={"overdue": "true"}, headers=case.sender
    )
    assert [x["id"] for x in r.json()["items"]] == [referral["id"]]


async def test_ref_04_ongoing_violation_needs_the_stop_measure(case: Any) -> None:
    before = await case.counts()
    r = await case.svc.client.post(
        "/referrals",
        json={
            "matter_code": case.codes.dept_matter,
            "place_town": case.codes.town_a,
            "found_at": case.clock.now().isoformat(),
            "facts": "正在排污",
            "ongoing": True,
        },
        headers=case.sender,
    )
    assert r.status_code == 422
    assert r.json()["type"] == PROBLEM + "referral-stop-measure-missing"
    assert await case.counts() == before
    stopped = case.clock.now().isoformat()  # taken by now (REF-04: never dated ahead)
    referral = await case.sent(
        ongoing=True, stop_measure="当场责令停止排放", stop_measure_at=stopped
    )
    assert referral["stop_measure"] == "当场责令停止排放"


async def test_ref_05_without_uploads_the_letter_and_item_list_are_issued_at_sending(
    case: Any,
) -> None:
    """REF-05 without retyping (issue 23): a referral sent with no letter and no item list of
    the sender's own is sent with the 案件移送函 the platform issues from the record, its
    attachment the item list (test_documents.py reads it)."""
    referral = await case.draft()
    r = await case.svc.client.post(f"/referrals/{referral['id']}/send", headers=case.sender)
    assert r.status_code == 200, r.text
    [letter] = r.json()["documents"]
    assert letter["kind"] == "referral-letter"
    assert letter["number"].endswith("移〔2024〕1号")


async def test_ref_05_items_edited_on_the_draft_carry_their_proceeds_and_evidence(
    case: Any,
) -> None:
    """REF-05 the other way round: a draft made without a disposed item, then edited to hold
    one, cannot be sent without the disposal evidence, and the proceeds transferred are the
    edited items' — and edited away again, the total follows (the draft's items replaced)."""
    referral = await case.ready(items=[{"name": "运输车辆", "quantity": "1", "unit": "辆"}])
    assert referral["proceeds_transferred"] == "0"
    disposed = {
        "name": "冻肉",
        "quantity": "20",
        "unit": "箱",
        "disposed_in_advance": True,
        "disposal_method": "依法变卖",
        "proceeds": "300.25",
    }
    path = f"/referrals/{referral['id']}"
    r = await case.svc.client.patch(path, json={"items": [disposed]}, headers=case.sender)
    assert r.status_code == 200, r.text
    assert r.json()["proceeds_transferred"] == "300.25"
    r = await case.svc.client.post(f"{path}/send", headers=case.sender)
    assert r.status_code == 409
    assert r.json()["missing"] == ["disposal-evidence"]
    twice = [disposed, {**disposed, "name": "冻鱼", "proceeds": "99.75"}]
    r = await case.svc.client.patch(path, json={"items": twice}, headers=case.sender)
    assert r.status_code == 200, r.text
    assert r.json()["proceeds_transferred"] == "400.00"


async def test_ref_05_items_disposed_in_advance_travel_with_evidence_and_proceeds(
    case: Any,
) -> None:
    items = [
        {
            "name": "冻肉",
            "quantity": "20",
            "unit": "箱",
            "disposed_in_advance": True,
            "disposal_method": "依法变卖",
            "proceeds": "1200.50",
        },
        {"name": "运输车辆", "quantity": "1", "unit": "辆"},
    ]
    referral = await case.ready(items=items)
    r = await case.svc.client.post(f"/referrals/{referral['id']}/send", headers=case.sender)
    assert r.status_code == 409
    assert r.json()["missing"] == ["disposal-evidence"]
    assert (await case.upload(referral["id"], "disposal-evidence")).status_code == 201
    r = await case.svc.client.post(f"/referrals/{referral['id']}/send", headers=case.sender)
    assert r.status_code == 200, r.text
    assert r.json()["proceeds_transferred"] == "1200.50"
    assert {m["kind"] for m in r.json()["materials"]} == {
        "letter",
        "item-list",
        "disposal-evidence",
    }


async def test_ref_06_clerk_signs_a_numbered_service_receipt(case: Any) -> None:
    c = case.codes
    referral = await case.sent()
    r = await case.act(referral["id"], "receive", c.dept, "handler")
    assert r.status_code == 403
    r = await case.act(referral["id"], "receive", c.town_b, "clerk")
    assert r.status_code == 404
    first = await case.act(referral["id"], "receive", c.dept, "clerk", signer_name="王芳")
    assert first.status_code == 200
    assert first.json()["receipt_number"] == f"{c.dept}-2024-00001"
    assert first.json()["receipt_signed_by"] == "王芳"
    second = await case.received()
    assert second["receipt_number"] == f"{c.dept}-2024-00002"
    again = await case.act(referral["id"], "receive", c.dept, "clerk")
    assert again.status_code == 409
    assert again.json()["type"] == PROBLEM + "referral-invalid-transition"


async def test_ref_07_answer_due_5_working_days_after_receipt_and_late_answer_recorded(
    case: Any, kafka_bootstrap: str
) -> None:
    referral = await case.received()  # Fri 1 Mar 2024 10:00 CST
    assert utc(due(referral, "REF-07")) == datetime(2024, 3, 8, 16, 0, tzinfo=UTC)
    case.clock.advance(timedelta(days=10))
    async with topic_reader(kafka_bootstrap, "deadline.breached", "case.answered") as reader:
        r = await case.act(
            referral["id"], "answer", case.codes.dept, "handler", decision="accept", reasons="受理"
        )
        assert r.status_code == 200
        events = await reader.collect(
            lambda evs: len([e for e in evs if referral["id"] in (e["subject"] or "")]) >= 2
        )
    kinds = {
        (e["type"], e["data"].get("rule")) for e in events if referral["id"] in (e["subject"] or "")
    }
    assert ("xietong.deadline.breached.v1", "REF-07") in kinds
    answered = next(e for e in events if e["type"] == "xietong.case.answered.v1")
    assert answered["data"]["late"] is True


async def test_ref_07_answer_needs_written_reasons(case: Any) -> None:
    referral = await case.received()
    r = await case.act(
        referral["id"], "answer", case.codes.dept, "handler", decision="accept", reasons="  "
    )
    assert r.status_code == 422


async def test_ref_08_onward_referral_refused_and_dispute_goes_to_district_gov(case: Any) -> None:
    c = case.codes
    referral = await case.received()
    rid = referral["id"]
    r = await case.act(rid, "forward", c.dept, "handler", receiver=c.town_b)
    assert r.status_code == 409
    assert r.json()["type"] == PROBLEM + "referral-onward-referral-forbidden"
    assert r.json()["report_instead"] == f"/referrals/{rid}/answer"
    r = await case.svc.client.post(
        "/referrals",
        json={
            "matter_code": c.town_matter,
            "place_town": c.town_b,
            "found_at": case.clock.now().isoformat(),
            "facts": "x",
            "onward_of": rid,
        },
        headers=case.h(c.dept, "handler"),
    )
    assert r.status_code == 409
    assert r.json()["type"] == PROBLEM + "referral-onward-referral-forbidden"
    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    assert any(
        e["action"] == "referral.onward-referral-refused" and e["rule"] == "REF-08"
        for e in timeline
    )

    assert (await case.get(rid, "district-gov")).status_code == 404
    r = await case.act(
        rid,
        "answer",
        c.dept,
        "handler",
        decision="report-to-district-gov",
        reasons="该事项已赋权乡镇",
    )
    assert r.json()["state"]["label_zh"] == "报请区政府"
    inbox = await case.svc.client.get("/referrals/inbox", headers=case.h("district-gov", "leader"))
    assert [x["id"] for x in inbox.json()["items"]] == [rid]
    r = await case.act(rid, "assign", c.dept, "handler", assignee=c.town_b, reasons="x")
    assert r.status_code == 403
    r = await case.act(
        rid, "assign", "district-gov", "leader", assignee=c.town_b, reasons="属白涛管辖"
    )
    assert r.json()["state"]["value"] == "assigned"
    assert r.json()["assignee"] == c.town_b
    r = await case.act(rid, "file", c.dept, "handler", case_number="n-1")
    assert r.status_code == 403
    r = await case.act(rid, "file", c.town_b, "handler", case_number="白涛立〔2024〕1号")
    assert r.json()["state"]["value"] == "filed", r.text


async def test_ref_09_filing_promptly_is_a_setting_and_conclusion_has_its_time_limit(
    case: Any,
) -> None:
    case.svc.ctx.settings = referral_settings(case.svc.ctx).model_copy(
        update={"referral_filing_working_days": 3}
    )
    referral = await case.received()
    r = await case.act(
        referral["id"], "answer", case.codes.dept, "handler", decision="accept", reasons="受理"
    )
    # accepted Fri 1 Mar 2024: 3 working days → Wed 6 Mar 24:00 CST
    assert utc(due(r.json(), "REF-09")) == datetime(2024, 3, 6, 16, 0, tzinfo=UTC)
    r = await case.act(
        referral["id"], "file", case.codes.dept, "handler", case_number="涪环立〔2024〕9号"
    )
    filed = r.json()
    conclude = [d for d in filed["deadlines"] if d["action"] == "conclude"]
    # Filed Fri 1 Mar 2024 10:00 CST: 90 calendar days from 2 Mar end at 24:00 CST on
    # Thu 30 May 2024 — not 90 x 24 clock hours from the filing instant.
    assert utc(conclude[0]["due_at"]) == datetime(2024, 5, 30, 16, 0, tzinfo=UTC)
    assert conclude[0]["due_label_zh"] == "2024年5月30日24时前"
    r = await case.act(referral["id"], "conclude", case.codes.dept, "handler", outcome="不予处罚")
    assert r.status_code == 422, r.text  # REF-09: the outcome's kind is required
    r = await case.act(
        referral["id"],
        "conclude",
        case.codes.dept,
        "handler",
        outcome_kind="no-penalty",
        outcome="违法行为轻微并及时改正，不予处罚",
    )
    assert r.json()["state"]["label_zh"] == "已办结"
    assert r.json()["outcome_kind"] == "no-penalty"


async def test_ref_10_cooperation_is_requested_from_the_sender_and_answered(case: Any) -> None:
    c = case.codes
    referral = await case.received()
    rid = referral["id"]
    r = await case.act(rid, "cooperation-requests", c.dept, "handler", request="请协助")
    assert r.status_code == 409  # not yet accepted
    await case.act(rid, "answer", c.dept, "handler", decision="accept", reasons="受理")
    r = await case.act(rid, "cooperation-requests", c.dept, "handler", request="请派员协助现场勘验")
    assert r.status_code == 201
    request_id = r.json()["id"]
    assert r.json()["requested_org"] == c.town_a
    r = await case.act(
        rid, f"cooperation-requests/{request_id}/answer", c.town_b, "handler", answer="x"
    )
    assert r.status_code == 404
    r = await case.act(
        rid, f"cooperation-requests/{request_id}/answer", c.town_a, "handler", answer="已派员"
    )
    assert r.json()["answered_at"] is not None
    detail = (await case.get(rid)).json()
    assert detail["cooperation_requests"][0]["answer"] == "已派员"


async def test_ref_10_cooperation_not_given_is_recorded_once_and_published(
    case: Any, kafka_bootstrap: str
) -> None:
    """SUP-01: the sender must assist; the handling party records that it did not, with a
    reason, once, and oversight is told (case.cooperation-not-given), against the sender."""
    c = case.codes
    referral = await case.received()
    rid = referral["id"]
    await case.act(rid, "answer", c.dept, "handler", decision="accept", reasons="受理")
    r = await case.act(rid, "cooperation-requests", c.dept, "handler", request="请提供现场照片原件")
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    path = f"cooperation-requests/{request_id}/not-given"
    r = await case.act(rid, path, c.dept, "handler", reason="未提供")
    assert r.status_code == 422, r.text  # a reason of 8+ characters
    r = await case.act(
        rid, path, c.town_a, "handler", reason="多次电话催要现场照片原件，至今未提供"
    )
    assert r.status_code in (403, 404), r.text  # only the party that asked
    async with topic_reader(kafka_bootstrap, "case.cooperation-not-given") as reader:
        r = await case.act(
            rid, path, c.dept, "handler", reason="多次电话催要现场照片原件，至今未提供"
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda evs: any(e["subject"] == rid for e in evs))
    assert r.json()["not_given_at"] is not None
    [told] = [e["data"] for e in events if e["subject"] == rid]
    assert (told["requested_org"], told["requesting_org"], told["request_id"]) == (
        c.town_a,
        c.dept,
        request_id,
    )
    assert told["reason"] == "多次电话催要现场照片原件，至今未提供"
    again = await case.act(rid, path, c.dept, "handler", reason="再次记录未予协助的情况说明")
    assert again.status_code == 409, again.text
    answered = await case.act(
        rid, f"cooperation-requests/{request_id}/answer", c.town_a, "handler", answer="已补交"
    )
    assert answered.status_code == 200, answered.text  # late help is still help
    assert answered.json()["not_given_at"] is not None  # and the record stands
    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    assert any(
        e["action"] == "referral.cooperation-not-given" and e["rule"] == "REF-10" for e in timeline
    )


async def test_leader_approval_when_configured(case: Any) -> None:
    case.svc.ctx.settings = referral_settings(case.svc.ctx).model_copy(
        update={"referral_require_leader_approval": True}
    )
    referral = await case.ready()
    r = await case.svc.client.post(f"/referrals/{referral['id']}/send", headers=case.sender)
    assert r.status_code == 409
    assert r.json()["type"] == PROBLEM + "referral-approval-required"
    r = await case.act(referral["id"], "approve", case.codes.town_a, "leader")
    assert r.json()["approved_by"]
    r = await case.svc.client.post(f"/referrals/{referral['id']}/send", headers=case.sender)
    assert r.status_code == 200


async def test_ref_03_editing_the_urgency_of_a_draft_restarts_its_deadline(case: Any) -> None:
    referral = await case.draft()
    assert utc(due(referral, "REF-03")) == datetime(2024, 3, 8, 16, 0, tzinfo=UTC)
    r = await case.svc.client.patch(
        f"/referrals/{referral['id']}", json={"urgent": True}, headers=case.sender
    )
    assert r.status_code == 200, r.text
    assert [d["due_at"] for d in r.json()["deadlines"]] == [
        (case.clock.now() + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    ]
    sent = await case.sent()
    r = await case.svc.client.patch(
        f"/referrals/{sent['id']}", json={"urgent": True}, headers=case.sender
    )
    assert r.status_code == 409
    assert r.json()["type"] == PROBLEM + "referral-invalid-transition"


async def test_ref_03_the_finding_cannot_be_moved_after_the_draft_to_restart_the_clock(
    case: Any,
) -> None:
    """The dodge: a draft made the day of the finding, REF-03 due in 5 working days; the day
    before it is due the sender edits the finding date to today, and the deadline would
    restart (cancelled, no breach) — again and again. A finding after the draft that records
    it is refused, nothing changes; a correction up to the draft's making still restarts it."""
    found = case.clock.now() - timedelta(days=1)  # Thu 2024-02-29 10:00 CST
    referral = await case.draft(found_at=found.isoformat())
    first = due(referral, "REF-03")
    case.clock.advance(timedelta(days=6))  # Thu 2024-03-07 10:00: due tonight
    for later in (case.clock.now(), case.clock.now() - timedelta(days=5)):
        r = await case.svc.client.patch(
            f"/referrals/{referral['id']}",
            json={"found_at": later.isoformat()},
            headers=case.sender,
        )
        assert r.status_code == 422, r.text
        assert r.json()["type"] == PROBLEM + "referral-implausible-time"
        assert r.json()["rule"] == "REF-03"
    kept = (await case.get(referral["id"])).json()
    assert (kept["found_at"], due(kept, "REF-03")) == (referral["found_at"], first)
    # A correction to the day the draft was made (the finding's true day) is allowed, and
    # recorded; the clock still runs from the first finding stated (issue 20).
    r = await case.svc.client.patch(
        f"/referrals/{referral['id']}",
        json={"found_at": (found + timedelta(days=1)).isoformat()},
        headers=case.sender,
    )
    assert r.status_code == 200, r.text
    assert utc(due(r.json(), "REF-03")) == utc(first)


async def test_ref_03_deadline_in_an_unknown_year_is_provisional_until_its_schedule_is_loaded(
    case: Any, kafka_bootstrap: str
) -> None:
    from datetime import date

    from xietong_common.calendar import Holiday, YearSchedule

    # Found Tue 29 Dec 2026: the 5th working day falls in 2027, whose schedule nobody knows yet.
    case.clock.set(datetime(2026, 12, 29, 2, 0, tzinfo=UTC))
    referral = await case.draft()
    [deadline] = referral["deadlines"]
    assert deadline["provisional"] is True
    assert utc(deadline["due_at"]) == datetime(2027, 1, 5, 16, 0, tzinfo=UTC)  # weekends alone

    ctx = case.svc.ctx
    case.clock.advance(timedelta(days=30))
    assert await run_job_once(ctx.db, "deadline-sweep", deadline_sweep(ctx))
    r = await case.svc.client.get(
        "/referrals/outbox", params={"overdue": "true"}, headers=case.sender
    )
    assert r.json()["total"] == 0  # a provisional deadline is counted in no breach

    ctx.calendar.add_year(
        YearSchedule(year=2027, holidays=[Holiday(name="元旦", start=date(2027, 1, 1))])
    )
    subject = f"referral:{referral['id']}"
    async with topic_reader(kafka_bootstrap, "deadline.breached") as reader:
        assert await run_job_once(ctx.db, "deadline-sweep", deadline_sweep(ctx))
        events = await reader.collect(lambda evs: any(e["subject"] == subject for e in evs))
    [breach] = [e["data"] for e in events if e["subject"] == subject]
    assert breach["kind"] == "no-action"
    assert utc(breach["due_at"]) == datetime(2027, 1, 6, 16, 0, tzinfo=UTC)  # 1 Jan is a holiday
    detail = (await case.get(referral["id"])).json()
    assert detail["deadlines"][0]["provisional"] is False
    assert detail["overdue"] is True


async def test_ref_05_materials_are_stored_by_sha256_and_readable_by_the_parties(case: Any) -> None:
    import hashlib

    referral = await case.draft()
    upload = await case.upload(referral["id"], "letter")
    assert upload.status_code == 201, upload.text
    material = upload.json()
    assert material["kind_zh"] == "案件移送函"
    path = f"/referrals/{referral['id']}/materials/{material['id']}/content"
    content = await case.svc.client.get(path, headers=case.sender)
    assert content.status_code == 200
    assert hashlib.sha256(content.content).hexdigest() == material["sha256"]
    assert content.headers["content-type"] == "application/pdf"
    other = await case.svc.client.get(path, headers=case.h(case.codes.town_b, "handler"))
    assert other.status_code == 404


async def test_ref_03_schedule_installed_while_running_finalises_deadlines_and_records_breaches(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """SUP-02 through the service's own periodic sweep (no restart): `xietong calendar load`
    installs 2027 into the data directory the service reads; the provisional REF-03 deadline
    becomes final on the next sweep and, being past by then, is recorded as breached."""
    data = tmp_path / "data"
    shutil.copytree(project_root() / "data", data)
    for stale in (data / "calendar").glob("2027*"):
        stale.unlink()
    clock = FakeClock(datetime(2026, 12, 29, 2, 0, tzinfo=UTC))  # Tue 29 Dec 2026, 10:00 CST
    async with running_service(
        SPEC,
        database_url=await create_database(servers, "referral"),
        kafka_bootstrap=kafka_bootstrap,
        clock=clock,
        data_dir=data,
        blob_dir=tmp_path / "blobs",
        deadline_sweep_every_s=0.2,
        run_consumer=False,
    ) as svc:
        codes = sample_codes(svc.ctx)
        sender = svc.auth(codes["town_a"], "handler")
        created = await svc.client.post(
            "/referrals",
            json={
                "matter_code": codes["dept_matter"],
                "place_town": codes["town_a"],
                "found_at": clock.now().isoformat(),
                "facts": "年末发现的违法行为",
            },
            headers=sender,
        )
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        [deadline] = created.json()["deadlines"]
        assert deadline["provisional"] is True
        clock.advance(timedelta(days=30))
        await asyncio.sleep(0.6)  # sweeps run; a provisional deadline is counted in no breach
        detail = (await svc.client.get(f"/referrals/{rid}", headers=sender)).json()
        assert detail["deadlines"][0]["breached_at"] is None

        schedule = tmp_path / "2027.yaml"
        schedule.write_text(
            "year: 2027\nsource: test\nholidays:\n  - name: 元旦\n    start: 2027-01-01\n"
        )
        install_schedule(schedule, data / "calendar")
        for _ in range(50):
            detail = (await svc.client.get(f"/referrals/{rid}", headers=sender)).json()
            if detail["deadlines"][0]["breached_at"] is not None:
                break
            await asyncio.sleep(0.2)
        [final] = detail["deadlines"]
        assert final["provisional"] is False
        assert utc(final["due_at"]) == datetime(2027, 1, 6, 16, 0, tzinfo=UTC)  # 1 Jan off
        assert final["breached_at"] is not None
        assert detail["overdue"] is True


async def test_ref_09_other_procedure_states_its_time_limit_or_why_there_is_none(
    case: Any,
) -> None:
    """REF-09: an 'other' procedure without a limit would silently track nothing: it must
    state its limit (counted in calendar days) or say why the law sets none."""
    c = case.codes

    async def accepted() -> str:
        referral = await case.received()
        r = await case.act(
            referral["id"], "answer", c.dept, "handler", decision="accept", reasons="受理"
        )
        assert r.status_code == 200, r.text
        return str(referral["id"])

    rid = await accepted()
    before = await case.counts()
    r = await case.act(
        rid, "file", c.dept, "handler", case_number="涪环立〔2024〕10号", procedure="other"
    )
    assert r.status_code == 422, r.text
    assert r.json()["type"] == PROBLEM + "referral-time-limit-missing"
    assert r.json()["rule"] == "REF-09"
    assert await case.counts() == before
    assert (await case.get(rid, c.dept)).json()["state"]["value"] == "accepted"
    # a reason with a limit, or with the ordinary procedure, is refused too
    r = await case.act(
        rid,
        "file",
        c.dept,
        "handler",
        case_number="n-1",
        procedure="ordinary",
        no_time_limit_reason="x",
    )
    assert r.json()["type"] == PROBLEM + "referral-time-limit-missing"

    r = await case.act(
        rid,
        "file",
        c.dept,
        "handler",
        case_number="涪环立〔2024〕10号",
        procedure="other",
        time_limit_days=30,
    )
    assert r.status_code == 200, r.text
    [conclude] = [d for d in r.json()["deadlines"] if d["action"] == "conclude"]
    assert utc(conclude["due_at"]) == datetime(2024, 3, 31, 16, 0, tzinfo=UTC)  # 31 Mar 24:00

    rid = await accepted()
    r = await case.act(
        rid,
        "file",
        c.dept,
        "handler",
        case_number="涪环立〔2024〕11号",
        procedure="other",
        no_time_limit_reason="行政强制执行程序，法律未规定办结期限",
    )
    assert r.status_code == 200, r.text
    assert r.json()["no_time_limit_reason"].startswith("行政强制执行程序")
    assert r.json()["procedure_flag"] == "no-time-limit"  # REF-09: flagged for oversight
    assert [d for d in r.json()["deadlines"] if d["action"] == "conclude"] == []
    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    filed = next(e for e in timeline if e["action"] == "referral.filed")
    assert filed["detail"]["no_time_limit_reason"].startswith("行政强制执行程序")


async def test_ref_09_filings_that_stop_the_clock_are_flagged_and_need_a_real_reason(
    case: Any,
) -> None:
    """Filing as `summary`, or `other` with a one-word reason, used to stop the conclusion
    clock unnoticed: the summary filing of a referred case and `other` without a limit are
    flagged (oversight lists them), and `other` needs a reason of at least 8 characters."""
    c = case.codes

    async def accepted() -> str:
        referral = await case.received()
        r = await case.act(
            referral["id"], "answer", c.dept, "handler", decision="accept", reasons="受理"
        )
        assert r.status_code == 200, r.text
        return str(referral["id"])

    summary = await accepted()
    r = await case.act(summary, "file", c.dept, "handler", case_number="s-1", procedure="summary")
    assert r.status_code == 200, r.text
    assert r.json()["procedure_flag"] == "summary-procedure"

    other = await accepted()
    before = await case.counts()
    r = await case.act(
        other,
        "file",
        c.dept,
        "handler",
        case_number="o-1",
        procedure="other",
        no_time_limit_reason="无期限",
    )
    assert r.status_code == 422, r.text
    assert r.json()["type"] == PROBLEM + "referral-time-limit-missing"
    assert await case.counts() == before
    r = await case.act(
        other,
        "file",
        c.dept,
        "handler",
        case_number="o-1",
        procedure="other",
        no_time_limit_reason="行政强制执行程序，法律未规定办结期限",
    )
    assert r.status_code == 200, r.text

    ordinary = await accepted()
    r = await case.act(ordinary, "file", c.dept, "handler", case_number="n-1")
    assert r.json()["procedure_flag"] is None

    flagged = await case.svc.client.get(
        "/referrals",
        params={"procedure_flagged": "true"},
        headers=case.h("justice-bureau", "viewer"),
    )
    assert {x["id"] for x in flagged.json()["items"]} == {summary, other}
    timeline = (
        await case.svc.client.get(f"/referrals/{summary}/timeline", headers=case.sender)
    ).json()
    [flag] = [e for e in timeline if e["action"] == "referral.procedure-flagged"]
    assert (flag["rule"], flag["detail"]["flag"]) == ("REF-09", "summary-procedure")


async def test_ref_03_moving_the_finding_later_is_on_record_and_restarts_nothing(
    case: Any,
) -> None:
    """A draft whose clock is running cannot restart it by moving found_at forward (even to a
    moment before the draft was made): the clock runs from the first finding it stated, and
    the old value stays on record. Moving it earlier brings the deadline forward."""
    found = case.clock.now() - timedelta(days=2)
    draft = await case.draft(found_at=found.isoformat())
    rid = draft["id"]
    [send] = [d for d in draft["deadlines"] if d["rule"] == "REF-03"]
    later = (found + timedelta(days=1)).isoformat()
    r = await case.svc.client.patch(
        f"/referrals/{rid}", json={"found_at": later}, headers=case.sender
    )
    assert r.status_code == 200, r.text
    [moved] = [d for d in r.json()["deadlines"] if d["rule"] == "REF-03"]
    assert moved["due_at"] == send["due_at"]
    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    [changed] = [e for e in timeline if e["action"] == "referral.found-at-changed"]
    assert changed["rule"] == "REF-03"
    assert utc(changed["detail"]["old"]) == found.astimezone(UTC)
    earlier = (found - timedelta(days=1)).isoformat()
    r = await case.svc.client.patch(
        f"/referrals/{rid}", json={"found_at": earlier}, headers=case.sender
    )
    [sooner] = [d for d in r.json()["deadlines"] if d["rule"] == "REF-03"]
    assert utc(sooner["due_at"]) < utc(send["due_at"])
