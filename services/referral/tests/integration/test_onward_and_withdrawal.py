"""REF-08 cannot be walked around by drafting a received case afresh; drafts are withdrawn
with a reason (no REF-03 breach); REF-04 informs the party with jurisdiction at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from xietong_common.jobs import run_job_once
from xietong_common.reference import DISTRICT_GOV
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import topic_reader

pytestmark = pytest.mark.integration

PROBLEM = "urn:xietong:problem:"
CREDIT_CODE = "91500102MA5U7YBX2G"
FACTS = "巡查发现某某化工有限公司通过暗管向麻溪河直排生产废水，现场水体明显发黑"


async def dept_holds_a_case(case: Any, **overrides: Any) -> dict[str, Any]:
    """town_a referred a case to the department, which signed for it and has not finished."""
    return dict(
        await case.received(
            facts=FACTS,
            party={"name": "某某化工有限公司", "kind": "legal-person", "id_number": CREDIT_CODE},
            **overrides,
        )
    )


async def new_referral(case: Any, org: str, **fields: Any) -> Any:
    c = case.codes
    data = {
        "matter_code": c.town_matter,
        "place_town": c.town_b,
        "found_at": case.clock.now().isoformat(),
        "facts": "另案：某餐馆占道经营",
    }
    data.update(fields)
    return await case.svc.client.post("/referrals", json=data, headers=case.h(org, "handler"))


async def test_ref_08_a_received_case_drafted_afresh_is_refused_however_it_is_disguised(
    case: Any,
) -> None:
    c = case.codes
    held = await dept_holds_a_case(case)
    before = await case.counts()
    disguises = {
        # another matter code and place, the party's credit code in lower case, other facts
        "same-party": {
            "party": {"name": "化工厂", "kind": "legal-person", "id_number": CREDIT_CODE.lower()}
        },
        # the party left out, a character of the facts changed, re-punctuated, padded
        "similar-facts": {
            "facts": "巡查发现：某某化工有限公司通过暗管向麻溪河直排生产废液；现场水体明显发黑。"
            "另查明该公司无排污许可证。"
        },
        # the party left out and the facts told again in other words (the review's example)
        "paraphrased": {"facts": "某某化工公司利用隐蔽管道将生产废水排入麻溪河，致河水变黑"},
        # another matter code, the same town within the window, unrelated-looking facts
        "same-place-and-time": {"place_town": c.town_a, "facts": "另案：某餐馆占道经营"},
        # a one-word reason is no reason
        "thin-reason": {"facts": FACTS, "distinct_case_reason": "不同案件"},
    }
    expected = {"paraphrased": "similar-facts", "thin-reason": "similar-facts"}
    for ground, fields in disguises.items():
        r = await new_referral(case, c.dept, **fields)
        assert r.status_code == 409, (ground, r.text)
        problem = r.json()
        assert problem["type"] == PROBLEM + "referral-onward-referral-forbidden"
        assert problem["rule"] == "REF-08"
        assert problem["state_reason_in"] == "distinct_case_reason"
        assert problem["reason_min_characters"] == 8
        [similar] = problem["similar_to"]
        assert similar["referral_id"] == held["id"]
        assert expected.get(ground, ground) in similar["grounds"]
        assert "不得再行移送" in problem["detail"]
        assert await case.counts() == before

    # Every refused attempt is on record on the case it resembled, where its sender sees it.
    original = (await case.get(held["id"], c.town_a)).json()
    assert [s["held"] for s in original["onward_suspicions"]] == [False] * len(disguises)
    timeline = (
        await case.svc.client.get(f"/referrals/{held['id']}/timeline", headers=case.sender)
    ).json()
    refused = [e for e in timeline if e["action"] == "referral.onward-referral-attempt-refused"]
    assert len(refused) == len(disguises)
    assert {e["rule"] for e in refused} == {"REF-08"}

    # A different case by every measure goes through, unflagged.
    r = await new_referral(case, c.dept)
    assert r.status_code == 201, r.text
    assert r.json()["possible_onward"] is False


async def test_ref_08_same_place_within_the_window_whatever_the_matter(case: Any) -> None:
    c = case.codes
    # The department received a town-level matter of town_b (sent to it with an override).
    held = await case.received(
        matter_code=c.town_matter,
        place_town=c.town_b,
        receiver=c.dept,
        jurisdiction_override_reason="经协商由部门先行处理",
        facts="占道经营",
    )
    case.clock.advance(timedelta(days=10))
    r = await new_referral(case, c.dept, facts="有商户在人行道上摆摊设点，影响通行")
    assert r.status_code == 409, r.text
    assert r.json()["similar_to"][0]["grounds"] == ["same-place-and-time"]
    assert r.json()["similar_to"][0]["referral_id"] == held["id"]
    # switching the matter code is no disguise (another matter delegated to towns)
    other = next(
        m for m in case.svc.ctx.catalogue.all() if m.town_level and m.code != c.town_matter
    )
    r = await new_referral(case, c.dept, matter_code=other.code, facts="有商户在人行道上摆摊")
    assert r.status_code == 409, r.text
    assert r.json()["similar_to"][0]["grounds"] == ["same-place-and-time"]
    case.clock.advance(timedelta(days=25))  # now past the 30-day window from the finding
    r = await new_referral(case, c.dept, facts="有商户在人行道上摆摊设点，影响通行")
    assert r.status_code == 201, r.text


async def test_ref_08_a_stated_reason_holds_the_referral_for_the_district_government(
    case: Any, kafka_bootstrap: str
) -> None:
    """With a reason, a resembling referral is not delivered: the district government rules on
    it first, the sender of the received case is told, oversight sees it all."""
    c = case.codes
    held = await dept_holds_a_case(case)
    reason = "该公司另一处厂区的油烟污染，与已受理的废水案件系不同违法行为"
    r = await new_referral(
        case,
        c.dept,
        party={"name": "某某化工有限公司", "kind": "legal-person", "id_number": CREDIT_CODE},
        distinct_case_reason=reason,
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["possible_onward"] is True
    assert r.json()["distinct_case_reason"] == reason
    oversight = await case.svc.client.get(
        "/referrals", params={"possible_onward": "true"}, headers=case.h("justice-bureau", "viewer")
    )
    assert [x["id"] for x in oversight.json()["items"]] == [rid]
    timeline = (
        await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.h(c.dept, "handler"))
    ).json()
    flagged = next(e for e in timeline if e["action"] == "referral.possible-onward-referral")
    assert flagged["rule"] == "REF-08"
    assert flagged["detail"]["grounds"] == ["same-party"]

    dept = case.h(c.dept, "handler")
    for kind in ("letter", "item-list"):
        assert (await case.upload(rid, kind, headers=dept)).status_code == 201
    async with topic_reader(kafka_bootstrap, "case.onward-referral-suspected") as reader:
        sent = await case.svc.client.post(f"/referrals/{rid}/send", headers=dept)
        assert sent.status_code == 200, sent.text
        events = await reader.collect(lambda evs: any(e["subject"] == rid for e in evs))
    [suspected] = [e["data"] for e in events if e["subject"] == rid]
    assert suspected["resembles"] == [held["id"]]
    assert suspected["distinct_case_reason"] == reason
    assert suspected["grounds"] == ["same-party"]

    # Held, not delivered: its receiver sees nothing; the district government has it to rule on.
    body = sent.json()
    assert body["state"]["value"] == "held"
    assert body["held_at"] is not None
    receiver = body["receiver"]
    assert (await case.get(rid, receiver)).status_code == 404
    district = case.h(DISTRICT_GOV, "handler")
    inbox = await case.svc.client.get("/referrals/inbox", headers=district)
    assert rid in [x["id"] for x in inbox.json()["items"]], inbox.text
    # The sender of the received case is told, on its own case.
    original = (await case.get(held["id"], c.town_a)).json()
    assert [(s["referral_id"], s["held"]) for s in original["onward_suspicions"]] == [(rid, True)]

    # Only the district government rules, and with a reason others can read.
    r = await case.act(rid, "onward-decision", c.dept, "leader", decision="release", reason="准予")
    assert r.status_code in (403, 404, 422), r.text
    r = await case.act(
        rid, "onward-decision", DISTRICT_GOV, "handler", decision="release", reason="准予"
    )
    assert r.status_code == 422, r.text
    assert (await case.get(rid, c.dept)).json()["state"]["value"] == "held"
    async with topic_reader(kafka_bootstrap, "case.onward-referral-decided") as reader:
        r = await case.act(
            rid,
            "onward-decision",
            DISTRICT_GOV,
            "handler",
            decision="bar",
            reason="经核查系同一违法行为，不得再行移送，由原受移送单位依法处理",
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda evs: any(e["subject"] == rid for e in evs))
    # SUP-01: the decision is published for oversight, counted against the sender.
    [decided] = [e["data"] for e in events if e["subject"] == rid]
    assert (decided["sender"], decided["receiver"], decided["decision"]) == (
        c.dept,
        receiver,
        "barred",
    )
    assert decided["decided_by"] == f"{DISTRICT_GOV}/handler"
    assert decided["held_at"] is not None
    assert r.json()["state"]["value"] == "barred"
    assert r.json()["onward_decision"]["decision"] == "bar"
    assert (await case.get(rid, receiver)).status_code == 404
    again = await case.act(
        rid,
        "onward-decision",
        DISTRICT_GOV,
        "handler",
        decision="release",
        reason="改为准予移送的理由",
    )
    assert again.status_code == 409, again.text


async def test_ref_08_a_held_referral_released_is_delivered_then(case: Any) -> None:
    c = case.codes
    await dept_holds_a_case(case)
    dept = case.h(c.dept, "handler")
    r = await new_referral(
        case,
        c.dept,
        party={"name": "某某化工有限公司", "kind": "legal-person", "id_number": CREDIT_CODE},
        distinct_case_reason="该公司另一处厂区的油烟污染，系不同违法行为",
    )
    rid = r.json()["id"]
    for kind in ("letter", "item-list"):
        assert (await case.upload(rid, kind, headers=dept)).status_code == 201
    sent = await case.svc.client.post(f"/referrals/{rid}/send", headers=dept)
    assert sent.json()["state"]["value"] == "held"
    receiver = sent.json()["receiver"]
    r = await case.act(
        rid,
        "onward-decision",
        DISTRICT_GOV,
        "leader",
        decision="release",
        reason="经核查，系该公司另一厂区的不同违法行为，准予移送",
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"]["value"] == "sent"
    seen = await case.get(rid, receiver)
    assert seen.status_code == 200, seen.text
    r = await case.svc.client.post(
        f"/referrals/{rid}/receive", json={"signer_name": "王芳"}, headers=case.h(receiver, "clerk")
    )
    assert r.status_code == 200, r.text


async def test_ref_08_checked_again_when_editing_and_sending(case: Any) -> None:
    """A draft made before the case came in, or edited to look like it, is refused at sending."""
    c = case.codes
    dept = case.h(c.dept, "handler")
    r = await new_referral(case, c.dept, facts=FACTS)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    for kind in ("letter", "item-list"):
        assert (await case.upload(rid, kind, headers=dept)).status_code == 201
    await dept_holds_a_case(case)  # now the department holds the same case, received
    before = await case.counts()
    sent = await case.svc.client.post(f"/referrals/{rid}/send", headers=dept)
    assert sent.status_code == 409, sent.text
    assert sent.json()["type"] == PROBLEM + "referral-onward-referral-forbidden"
    assert await case.counts() == before
    assert (await case.get(rid, c.dept)).json()["state"]["value"] == "draft"
    edited = await case.svc.client.patch(
        f"/referrals/{rid}", json={"facts": FACTS + "。"}, headers=dept
    )
    assert edited.status_code == 409
    edited = await case.svc.client.patch(
        f"/referrals/{rid}", json={"distinct_case_reason": "系上游另一排污口"}, headers=dept
    )
    assert edited.status_code == 200, edited.text
    sent = await case.svc.client.post(f"/referrals/{rid}/send", headers=dept)
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"]["value"] == "held"  # for the district government to rule on


async def test_ref_08_a_concluded_case_may_not_be_referred_on_either(case: Any) -> None:
    """Accept, file, conclude, then refer it on: a case received is received for good."""
    c = case.codes
    held = await dept_holds_a_case(case)
    for step, body in (
        ("answer", {"decision": "accept", "reasons": "受理"}),
        ("file", {"case_number": "涪环立〔2024〕1号"}),
        ("conclude", {"outcome_kind": "penalty", "outcome": "罚款"}),
    ):
        r = await case.act(held["id"], step, c.dept, "handler", **body)
        assert r.status_code == 200, r.text
    r = await new_referral(case, c.dept, facts=FACTS)
    assert r.status_code == 409, r.text
    assert r.json()["similar_to"][0]["referral_id"] == held["id"]


async def test_ref_03_a_withdrawn_draft_stops_its_clock_and_is_never_a_breach(
    case: Any, kafka_bootstrap: str
) -> None:
    from referral.main import SPEC

    draft = await case.draft()
    rid = draft["id"]
    before = await case.counts()
    r = await case.act(rid, "withdraw", case.codes.town_a, "handler", reason="  ")
    assert r.status_code == 422
    r = await case.act(rid, "withdraw", case.codes.dept, "handler", reason="x")
    assert r.status_code == 404  # a draft is the sender's own
    assert await case.counts() == before
    async with topic_reader(kafka_bootstrap, "case.draft-withdrawn") as reader:
        r = await case.act(
            rid, "withdraw", case.codes.town_a, "handler", reason="经核实不属违法行为，不再移送"
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda evs: any(e["subject"] == rid for e in evs))
    assert r.json()["state"] == {
        "value": "withdrawn",
        "label_zh": "已撤回",
        "label_en": "withdrawn (a draft never sent)",
    }
    assert r.json()["withdrawal_reason"] == "经核实不属违法行为，不再移送"
    assert r.json()["deadlines"] == []
    assert r.json()["next_due"] is None
    [withdrawn] = [e["data"] for e in events if e["subject"] == rid]
    assert withdrawn["reason"] == "经核实不属违法行为，不再移送"

    case.clock.advance(timedelta(days=30))
    (job,) = [j for j in SPEC.jobs if j.name == "deadline-sweep"]
    ctx = case.svc.ctx
    async with topic_reader(kafka_bootstrap, "deadline.breached") as reader:
        assert await run_job_once(ctx.db, "deadline-sweep", job.job(ctx))
        await reader.poll(1.5)
    seen = reader.events()
    assert [e for e in seen if e["subject"] == f"referral:{rid}"] == []
    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    assert any(e["action"] == "referral.withdrawn" and e["rule"] == "REF-03" for e in timeline)
    for step in ("withdraw", "send"):
        r = await case.act(rid, step, case.codes.town_a, "handler", reason="again")
        assert r.status_code == 409
        assert r.json()["type"] == PROBLEM + "referral-invalid-transition"
    sent = await case.sent()
    r = await case.act(sent["id"], "withdraw", case.codes.town_a, "handler", reason="x")
    assert r.status_code == 409


async def test_ref_04_an_ongoing_violation_is_reported_to_the_receiver_at_once(
    case: Any, kafka_bootstrap: str
) -> None:
    c = case.codes
    stopped = case.clock.now().isoformat()  # REF-04: taken by now, never dated ahead
    async with topic_reader(
        kafka_bootstrap, "case.ongoing-violation-notified", "deadline.breached"
    ) as reader:
        draft = await case.draft(
            ongoing=True, stop_measure="当场责令停止排放并封堵排污口", stop_measure_at=stopped
        )
        late = await case.draft(
            ongoing=True,
            found_at=(case.clock.now() - timedelta(days=2)).isoformat(),
            stop_measure="责令停止",
            stop_measure_at=(case.clock.now() - timedelta(days=2)).isoformat(),
        )
        events = await reader.collect(
            lambda evs: {e["subject"] for e in evs} >= {draft["id"], f"referral:{late['id']}"}
        )
    [notified] = [
        e["data"]
        for e in events
        if e["subject"] == draft["id"] and e["type"].endswith("ongoing-violation-notified.v1")
    ]
    assert notified["receiver"] == c.dept
    assert notified["stop_measure"] == "当场责令停止排放并封堵排污口"
    assert notified["late"] is False
    assert draft["ongoing_notified_at"] is not None
    assert [d["rule"] for d in draft["deadlines"] if d["satisfied_at"]] == ["REF-04"]
    [breach] = [e["data"] for e in events if e["subject"] == f"referral:{late['id']}"]
    assert (breach["rule"], breach["kind"]) == ("REF-04", "late-action")
    # the receiver hears of it before any referral is sent; the draft is still the sender's
    assert (await case.get(draft["id"], c.dept)).status_code == 404


async def test_ref_04_the_party_informed_reads_and_acknowledges_the_notice(case: Any) -> None:
    """ "Informed" is more than an event: the party with jurisdiction has the notice to read
    through the API and acknowledges it; nobody else reads it; a measure dated ahead of now is
    refused."""
    c = case.codes
    now = case.clock.now()
    r = await case.svc.client.post(
        "/referrals",
        json={
            "matter_code": c.dept_matter,
            "place_town": c.town_a,
            "found_at": now.isoformat(),
            "facts": "巡查发现企业向河道直排污水",
            "ongoing": True,
            "stop_measure": "责令停止",
            "stop_measure_at": (now + timedelta(days=1)).isoformat(),
        },
        headers=case.sender,
    )
    assert r.status_code == 422, r.text
    assert r.json()["missing"] == ["stop_measure_at"]
    draft = await case.draft(
        ongoing=True, stop_measure="当场责令停止排放并封堵排污口", stop_measure_at=now.isoformat()
    )
    rid = draft["id"]
    dept = case.h(c.dept, "clerk")
    listed = await case.svc.client.get(
        "/referrals/ongoing-notices", params={"acknowledged": "false"}, headers=dept
    )
    assert listed.status_code == 200, listed.text
    [notice] = listed.json()["items"]
    assert notice["id"] == rid
    assert notice["stop_measure"] == "当场责令停止排放并封堵排污口"
    assert notice["facts"] == "巡查发现企业向河道直排污水"
    assert notice["ongoing_acknowledged_at"] is None
    # another town, another department: 404, and nothing listed
    other_dept = next(d for d in ("dept:urban-management", "dept:agriculture") if d != c.dept)
    for stranger in (case.h(c.town_b, "handler"), case.h(other_dept, "handler")):
        assert (
            await case.svc.client.get(f"/referrals/{rid}/ongoing-notice", headers=stranger)
        ).status_code == 404
        assert (
            await case.svc.client.post(
                f"/referrals/{rid}/ongoing-notice/acknowledge", headers=stranger
            )
        ).status_code == 404
        seen = await case.svc.client.get("/referrals/ongoing-notices", headers=stranger)
        assert seen.json()["items"] == []
    # the sender reads it but cannot acknowledge for the receiver
    assert (
        await case.svc.client.get(f"/referrals/{rid}/ongoing-notice", headers=case.sender)
    ).status_code == 200
    r = await case.svc.client.post(
        f"/referrals/{rid}/ongoing-notice/acknowledge", headers=case.sender
    )
    assert r.status_code in (403, 404), r.text
    case.clock.advance(timedelta(minutes=30))
    ack = await case.svc.client.post(f"/referrals/{rid}/ongoing-notice/acknowledge", headers=dept)
    assert ack.status_code == 200, ack.text
    first = ack.json()["ongoing_acknowledged_at"]
    assert first is not None
    again = await case.svc.client.post(f"/referrals/{rid}/ongoing-notice/acknowledge", headers=dept)
    assert again.json()["ongoing_acknowledged_at"] == first  # once
    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    acks = [e for e in timeline if e["action"] == "referral.ongoing-violation-notice-acknowledged"]
    assert [e["rule"] for e in acks] == ["REF-04"]
    # a draft that informed nobody has no notice
    plain = await case.draft()
    assert (
        await case.svc.client.get(f"/referrals/{plain['id']}/ongoing-notice", headers=dept)
    ).status_code == 404


async def test_creates_are_idempotent_materials_and_cooperation_requests(case: Any) -> None:
    c = case.codes
    draft = await case.draft()
    headers = {**case.sender, "Idempotency-Key": "letter-1"}
    first = await case.upload(draft["id"], "letter", content=pdf_bytes("same"), headers=headers)
    # the helper appends random bytes, so send the same bytes by hand
    files = {"file": ("letter.pdf", pdf_bytes("same"), "application/pdf")}
    a = await case.svc.client.post(
        f"/referrals/{draft['id']}/materials", data={"kind": "letter"}, files=files, headers=headers
    )
    b = await case.svc.client.post(
        f"/referrals/{draft['id']}/materials", data={"kind": "letter"}, files=files, headers=headers
    )
    assert first.status_code == 201
    assert a.status_code == 422  # the first upload with this key had other bytes
    headers2 = {**case.sender, "Idempotency-Key": "letter-2"}
    a = await case.svc.client.post(
        f"/referrals/{draft['id']}/materials",
        data={"kind": "letter"},
        files=files,
        headers=headers2,
    )
    b = await case.svc.client.post(
        f"/referrals/{draft['id']}/materials",
        data={"kind": "letter"},
        files=files,
        headers=headers2,
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]
    assert len((await case.get(draft["id"])).json()["materials"]) == 2

    referral = await case.received()
    await case.act(referral["id"], "answer", c.dept, "handler", decision="accept", reasons="受理")
    dept = {**case.h(c.dept, "handler"), "Idempotency-Key": "coop-1"}
    path = f"/referrals/{referral['id']}/cooperation-requests"
    a = await case.svc.client.post(path, json={"request": "请协助"}, headers=dept)
    b = await case.svc.client.post(path, json={"request": "请协助"}, headers=dept)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]
    other = await case.svc.client.post(path, json={"request": "另一请求"}, headers=dept)
    assert other.status_code == 422
    assert other.json()["type"] == PROBLEM + "idempotency-key-reused"
    assert len((await case.get(referral["id"])).json()["cooperation_requests"]) == 1


async def test_deadlines_are_shown_in_china_time_with_a_chinese_label(case: Any) -> None:
    from datetime import UTC, datetime

    draft = await case.draft()  # found Fri 1 Mar 2024 10:00 CST
    [send] = draft["deadlines"]
    assert send["due_at"] == "2024-03-08T16:00:00Z"
    assert send["due_at_local"] == "2024-03-09T00:00:00+08:00"
    assert send["due_label_zh"] == "2024年3月8日24时前"
    assert send["due_label_en"] == "by 24:00 on 2024-03-08 (China time)"
    assert send["provisional"] is False
    assert draft["next_due"]["due_label_zh"] == "2024年3月8日24时前"
    case.clock.set(datetime(2026, 12, 29, 2, 0, tzinfo=UTC))  # the 5th working day is in 2027
    [provisional] = (await case.draft())["deadlines"]
    assert provisional["provisional"] is True
    assert provisional["due_label_zh"] == "2027年1月5日24时前（临时(2027年假期未公布)）"
