"""Each rule ASSIST-01..ASSIST-04 on the running service (real PostgreSQL and Kafka)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from xietong_devtools.testing import topic_reader

from .conftest import PDF, Assist, refused

pytestmark = pytest.mark.integration


def due(request: dict[str, object], action: str) -> str:
    return str(next(d["due_at"] for d in request["deadlines"] if d["action"] == action))  # type: ignore[attr-defined,index]


# ---- ASSIST-01 ---------------------------------------------------------------------------------


async def test_assist_01_only_a_town_asks_a_district_department(assist: Assist) -> None:
    before = await assist.counts()
    body = {
        "matter_code": assist.codes.matter,
        "ground": "technical-support",
        "needed": "请协助检测",
    }
    r = await assist.svc.client.post(
        "/assistance-requests", json=body, headers=assist.h(assist.codes.other_dept, "handler")
    )
    # a department is refused for its kind of organisation, before its request is read
    problem = await refused(assist, r, 403, "forbidden", before)
    assert (problem["rule"], problem["allowed_org_kinds"]) == ("ASSIST-01", ["town"])
    r = await assist.svc.client.post(
        "/assistance-requests",
        json={**body, "department": assist.codes.other_town},
        headers=assist.town,
    )
    await refused(assist, r, 422, "unknown-organisation", before)


async def test_assist_01_the_four_grounds_and_other_with_a_description(assist: Assist) -> None:
    for ground in ("own-investigation-insufficient", "held-by-another-agency", "technical-support"):
        assert (await assist.draft(ground=ground))["ground"]["value"] == ground
    before = await assist.counts()
    r = await assist.svc.client.post(
        "/assistance-requests",
        json={"matter_code": assist.codes.matter, "ground": "other", "needed": "请协助"},
        headers=assist.town,
    )
    await refused(assist, r, 422, "assistance-ground-not-described", before)
    r = await assist.svc.client.post(
        "/assistance-requests",
        json={"matter_code": assist.codes.matter, "ground": "fifth", "needed": "请协助"},
        headers=assist.town,
    )
    await refused(assist, r, 422, "invalid-input", before)
    other = await assist.draft(ground="other", ground_description="需要协助现场维持秩序并固定证据")
    assert other["ground"]["label_zh"] == "其他需要行政执法协助的情形"


async def test_assist_01_proposes_the_competent_department_and_warns_about_another(
    assist: Assist,
) -> None:
    c = assist.codes
    r = await assist.svc.client.get(
        "/assistance-requests/proposal",
        params={"matter_code": c.matter, "department": c.other_dept},
        headers=assist.town,
    )
    assert r.status_code == 200
    assert r.json()["proposed_department"] == c.dept
    assert r.json()["within_powers"] is False
    assert [w["code"] for w in r.json()["warnings"]] == ["department-not-competent"]

    request = await assist.draft(department=c.other_dept)
    assert request["department"] == c.other_dept
    assert request["proposed_department"] == c.dept
    assert request["within_powers"] is False
    assert request["warnings"][0]["code"] == "department-not-competent"
    assert request["warnings"][0]["zh"]

    dept_level = await assist.draft(matter_code=c.dept_level_matter)
    assert [w["code"] for w in dept_level["warnings"]] == ["matter-not-delegated"]


# ---- ASSIST-03 ---------------------------------------------------------------------------------


async def test_assist_03_refusal_without_a_legal_ground_or_a_reason_is_422_and_changes_nothing(
    assist: Assist,
) -> None:
    request = await assist.submitted()
    rid = request["id"]
    before = await assist.counts()
    for body, slug in (
        ({"reason": "所需材料依法不得提供给乡镇"}, "invalid-input"),  # no ground at all
        ({"ground": "forbidden-by-law"}, "invalid-input"),  # no reason at all
        ({"ground": "outside-powers", "reason": "   "}, "invalid-input"),  # a blank reason
        ({"ground": "outside-powers", "reason": "无。"}, "assistance-refusal-unfounded"),
        ({"ground": "no-staff", "reason": "本局人手紧张无法安排协助"}, "invalid-input"),
        (
            {"ground": "forbidden-by-law", "reason": "依法不得提供相关材料给乡镇"},
            "assistance-refusal-unfounded",  # no law, no article
        ),
        (
            {
                "ground": "forbidden-by-law",
                "law": "《中华人民共和国保守国家秘密法》",
                "article": "有关规定",
                "reason": "依法不得提供相关材料给乡镇",
            },
            "assistance-refusal-unfounded",  # an article that is not one
        ),
        (
            {
                "ground": "forbidden-by-law",
                "law": "有关规定",
                "article": "第1条",
                "reason": "依照有关规定不予协助",
            },
            "assistance-refusal-unfounded",  # the review's walk-around: no law is cited
        ),
    ):
        r = await assist.post(rid, "refuse", assist.dept, **body)
        problem = await refused(assist, r, 422, slug, before)
        if slug == "assistance-refusal-unfounded":
            assert problem["rule"] == "ASSIST-03"
            assert problem["missing"]
    assert (await assist.get(rid)).json()["state"]["value"] == "requested"


async def test_assist_03_outside_powers_refusal_of_a_catalogue_owned_matter_is_refused(
    assist: Assist,
) -> None:
    request = await assist.submitted()
    before = await assist.counts()
    r = await assist.post(
        request["id"],
        "refuse",
        assist.dept,
        ground="outside-powers",
        reason="该事项不属于本局职权范围，请另行联系",
    )
    problem = await refused(assist, r, 422, "assistance-within-powers", before)
    assert problem["rule"] == "ASSIST-03"
    assert "应当依法予以协助" in problem["detail"]


async def test_assist_03_refusals_are_events_for_oversight(
    assist: Assist, kafka_bootstrap: str
) -> None:
    c = assist.codes
    async with topic_reader(kafka_bootstrap, "assistance.refused") as reader:
        # Asked of a department whose powers do not cover the matter: it may say so.
        other = await assist.submitted(department=c.other_dept)
        r = await assist.post(
            other["id"],
            "refuse",
            assist.h(c.other_dept, "handler"),
            ground="outside-powers",
            reason="该事项属区生态环境局职权，不属于本局职权范围",
        )
        assert r.status_code == 200, r.text
        assert r.json()["refusal"]["ground_zh"] == "不属于本机关职权范围"
        # Within its powers, only a legal prohibition, with law and article.
        own = await assist.submitted()
        r = await assist.post(
            own["id"],
            "refuse",
            assist.dept,
            ground="forbidden-by-law",
            law="《中华人民共和国保守国家秘密法》",
            article="第二十八条",
            reason="所需监测数据已定密为秘密级，依法不得提供",
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"]["value"] == "refused"
        assert r.json()["next_due"] is None
        events = await reader.collect(
            lambda evs: {e["subject"] for e in evs} >= {other["id"], own["id"]}
        )
    by_id = {e["subject"]: e["data"] for e in events}
    assert by_id[other["id"]]["ground"] == "outside-powers"
    assert by_id[other["id"]]["proposed_department"] == c.dept
    assert by_id[own["id"]]["article"] == "第二十八条"
    assert by_id[own["id"]]["late"] is False


async def test_assist_03_after_accepting_only_a_legal_prohibition_ends_the_duty(
    assist: Assist,
) -> None:
    request = await assist.accepted()
    before = await assist.counts()
    r = await assist.post(
        request["id"],
        "refuse",
        assist.dept,
        ground="outside-powers",
        reason="经研究不属于本局职权范围",
    )
    await refused(assist, r, 422, "assistance-within-powers", before)
    r = await assist.post(
        request["id"],
        "refuse",
        assist.dept,
        ground="forbidden-by-law",
        law="《中华人民共和国保守国家秘密法》",
        article="第28条",
        reason="取样点位于军事管理区，数据依法不得提供",
    )
    assert r.status_code == 200, r.text
    assert r.json()["refusal"]["after_acceptance"] is True
    assert r.json()["next_due"] is None


# ---- ASSIST-04 ---------------------------------------------------------------------------------


async def test_assist_04_response_due_across_spring_festival_with_the_adjusted_sundays(
    assist: Assist,
) -> None:
    # 春节 2024: 10–17 Feb off; Sun 4 and Sun 18 Feb are working days (调休).
    assist.clock.set(datetime(2024, 2, 2, 2, 0, tzinfo=UTC))  # Fri 2 Feb, 10:00 CST
    before_holiday = await assist.submitted()
    assert due(before_holiday, "respond") == "2024-02-08T16:00:00Z"  # 4,5,6,7,8 Feb → 8 Feb 24:00
    assist.clock.set(datetime(2024, 2, 8, 2, 0, tzinfo=UTC))  # Thu 8 Feb
    across = await assist.submitted()
    assert due(across, "respond") == "2024-02-21T16:00:00Z"  # 9, 18, 19, 20, 21 Feb
    deadline = next(d for d in across["deadlines"] if d["action"] == "respond")
    assert deadline["due_label_zh"] == "2024年2月21日24时前"
    assert deadline["provisional"] is False


async def test_assist_04_urgent_requests_are_answered_within_hours(assist: Assist) -> None:
    request = await assist.submitted(urgent=True)
    assert due(request, "respond") == "2024-03-02T02:00:00Z"  # 24 hours, the weekend included


async def test_assist_04_a_breach_is_published_when_the_deadline_passes_with_nothing_done(
    assist: Assist, kafka_bootstrap: str
) -> None:
    request = await assist.submitted()
    rid = request["id"]
    subject = f"assistance:{rid}"
    assist.clock.advance(timedelta(days=14))
    async with topic_reader(kafka_bootstrap, "deadline.breached") as reader:
        await assist.run_sweep()
        await assist.run_sweep()  # once only
        events = await reader.collect(lambda evs: any(e["subject"] == subject for e in evs))
    mine = [e["data"] for e in events if e["subject"] == subject]
    assert len(mine) == 1
    assert mine[0]["kind"] == "no-action"
    assert mine[0]["rule"] == "ASSIST-04"
    assert mine[0]["organisation"] == assist.codes.dept
    assert mine[0]["action"] == "respond"
    assert mine[0]["mechanism"] == "assistance"
    overdue = await assist.svc.client.get(
        "/assistance-requests/inbox", params={"overdue": "true"}, headers=assist.dept
    )
    assert [x["id"] for x in overdue.json()["items"]] == [rid]
    timeline = (
        await assist.svc.client.get(f"/assistance-requests/{rid}/timeline", headers=assist.town)
    ).json()
    assert "deadline-breached" in {e["kind"] for e in timeline}


async def test_assist_04_a_late_answer_is_taken_and_the_breach_recorded(
    assist: Assist, kafka_bootstrap: str
) -> None:
    request = await assist.submitted()
    assist.clock.advance(timedelta(days=10))
    async with topic_reader(kafka_bootstrap, "deadline.breached", "assistance.accepted") as reader:
        r = await assist.post(
            request["id"],
            "accept",
            assist.dept,
            officers=[assist.own_officer()],
            agreed_completion_date="2024-03-15",
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(
            lambda evs: (
                {e["type"] for e in evs}
                >= {"xietong.deadline.breached.v1", "xietong.assistance.accepted.v1"}
            )
        )
    breach = next(e["data"] for e in events if e["type"] == "xietong.deadline.breached.v1")
    assert (breach["kind"], breach["action"]) == ("late-action", "respond")
    accepted = next(e["data"] for e in events if e["type"] == "xietong.assistance.accepted.v1")
    assert accepted["late"] is True


async def test_assist_04_accepting_and_never_completing_is_a_breach(
    assist: Assist, kafka_bootstrap: str
) -> None:
    request = await assist.accepted(completion=date(2024, 3, 4))
    subject = f"assistance:{request['id']}"
    assist.clock.set(datetime(2024, 3, 5, 2, 0, tzinfo=UTC))
    async with topic_reader(kafka_bootstrap, "deadline.breached") as reader:
        await assist.run_sweep()
        events = await reader.collect(lambda evs: any(e["subject"] == subject for e in evs))
    (breach,) = [e["data"] for e in events if e["subject"] == subject]
    assert (breach["action"], breach["kind"]) == ("complete", "no-action")
    assert breach["due_at"].startswith("2024-03-04T16:00:00")
    # Asking to move a date that has passed is refused; the breach stays.
    before = await assist.counts()
    r = await assist.post(
        request["id"],
        "extensions",
        assist.dept,
        proposed_date="2024-03-12",
        reason="检测机构排期，需顺延一周",
    )
    await refused(assist, r, 409, "assistance-extension-not-allowed", before)


async def test_assist_04_the_completion_date_is_bounded(assist: Assist) -> None:
    request = await assist.submitted()
    before = await assist.counts()
    for day in ("2024-02-29", "2099-01-01"):
        r = await assist.post(
            request["id"],
            "accept",
            assist.dept,
            officers=[assist.own_officer()],
            agreed_completion_date=day,
        )
        await refused(assist, r, 422, "assistance-completion-date-not-allowed", before)


async def test_assist_04_extensions_need_the_towns_agreement_and_are_bounded(
    assist: Assist, kafka_bootstrap: str
) -> None:
    request = await assist.accepted(completion=date(2024, 3, 8))
    rid = request["id"]
    dates = ["2024-03-12", "2024-03-15", "2024-03-19"]
    async with topic_reader(kafka_bootstrap, "assistance.extended") as reader:
        for n, day in enumerate(dates[:2], start=1):
            r = await assist.post(
                rid, "extensions", assist.dept, proposed_date=day, reason="检测机构排期，需顺延数日"
            )
            assert r.status_code == 201, r.text
            ext = r.json()
            # One at a time: a second request while the first waits is refused.
            again = await assist.post(
                rid, "extensions", assist.dept, proposed_date=dates[2], reason="再次申请延期数日"
            )
            assert again.status_code == 409
            # Only the town answers.
            assert (
                await assist.post(rid, f"extensions/{ext['id']}/decision", assist.dept, agree=True)
            ).status_code == 403
            r = await assist.post(rid, f"extensions/{ext['id']}/decision", assist.town, agree=True)
            assert r.status_code == 200, r.text
            assert r.json()["decision"] == "agreed"
            now = (await assist.get(rid)).json()
            assert now["agreed_completion_date"] == day
            assert now["extensions_agreed"] == n
            assert now["next_due"]["due_at"].startswith(
                (date.fromisoformat(day)).isoformat() + "T16:00:00"
            )
        events = await reader.collect(lambda evs: len([e for e in evs if e["subject"] == rid]) >= 2)
    assert [e["data"]["extension"] for e in events if e["subject"] == rid] == [1, 2]
    before = await assist.counts()
    r = await assist.post(
        rid, "extensions", assist.dept, proposed_date=dates[2], reason="第三次申请延期数日"
    )
    problem = await refused(assist, r, 409, "assistance-extension-not-allowed", before)
    assert problem["max_extensions"] == 2


async def test_assist_04_a_declined_extension_leaves_the_date(assist: Assist) -> None:
    request = await assist.accepted(completion=date(2024, 3, 8))
    rid = request["id"]
    r = await assist.post(
        rid, "extensions", assist.dept, proposed_date="2024-03-12", reason="检测机构排期，需顺延"
    )
    r = await assist.post(
        rid,
        f"extensions/{r.json()['id']}/decision",
        assist.town,
        agree=False,
        note="案件办理时限紧",
    )
    assert r.json()["decision"] == "declined"
    now = (await assist.get(rid)).json()
    assert now["agreed_completion_date"] == "2024-03-08"
    assert now["next_due"]["due_at"] == "2024-03-08T16:00:00Z"


async def test_assist_04_withdrawing_after_a_missed_deadline_keeps_the_breach(
    assist: Assist, kafka_bootstrap: str
) -> None:
    request = await assist.submitted()
    subject = f"assistance:{request['id']}"
    assist.clock.advance(timedelta(days=10))  # the response is overdue, not yet swept
    async with topic_reader(kafka_bootstrap, "deadline.breached", "assistance.withdrawn") as reader:
        r = await assist.post(
            request["id"], "withdraw", assist.town, reason="部门逾期未答复，已另行委托检测"
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"]["value"] == "withdrawn"
        events = await reader.collect(
            lambda evs: (
                {e["type"] for e in evs if e["subject"] in (subject, request["id"])}
                >= {"xietong.deadline.breached.v1", "xietong.assistance.withdrawn.v1"}
            )
        )
    breach = next(e["data"] for e in events if e["subject"] == subject)
    assert (breach["action"], breach["kind"]) == ("respond", "no-action")


# ---- ASSIST-02 ---------------------------------------------------------------------------------


async def test_assist_02_the_town_flags_shirking_for_oversight(
    assist: Assist, kafka_bootstrap: str
) -> None:
    request = await assist.submitted()
    rid = request["id"]
    before = await assist.counts()
    r = await assist.post(rid, "obstruction-flags", assist.town, kind="shirking", reason="。。")
    await refused(assist, r, 422, "assistance-reason-missing", before)
    async with topic_reader(kafka_bootstrap, "assistance.obstruction-flagged") as reader:
        headers = {**assist.town, "Idempotency-Key": "flag-1"}
        body = {"kind": "shirking", "reason": "三次电话催办均称无人手，拖延不予答复"}
        r = await assist.svc.client.post(
            f"/assistance-requests/{rid}/obstruction-flags", json=body, headers=headers
        )
        assert r.status_code == 201, r.text
        again = await assist.svc.client.post(
            f"/assistance-requests/{rid}/obstruction-flags", json=body, headers=headers
        )
        assert again.json()["id"] == r.json()["id"]  # a retry flags once
        events = await reader.collect(lambda evs: any(e["subject"] == rid for e in evs))
    (flag,) = [e["data"] for e in events if e["subject"] == rid]
    assert flag["kind"] == "shirking"
    assert flag["department"] == assist.codes.dept
    assert flag["state"] == "requested"
    detail = (await assist.get(rid)).json()
    assert detail["state"]["value"] == "requested"  # the flag changes nothing else
    assert [f["kind_zh"] for f in detail["flags"]] == ["推诿"]
    # The department may not flag, nor may it delete or hide one.
    r = await assist.post(
        rid, "obstruction-flags", assist.dept, kind="obstruction", reason="乡镇刁难本局工作人员"
    )
    assert r.status_code == 403


async def test_assist_02_materials_and_reports_are_delivered_as_files(assist: Assist) -> None:
    request = await assist.accepted()
    before = await assist.counts()
    r = await assist.post(
        request["id"], "deliver", assist.dept, result_kind="testing", summary="已检测"
    )
    await refused(assist, r, 409, "assistance-result-missing", before)
    assert (await assist.upload(request["id"], assist.dept, content=PDF + b"r")).status_code == 201


async def test_sup_02_figures_per_organisation_and_period(assist: Assist) -> None:
    c = assist.codes
    refused_one = await assist.submitted()
    r = await assist.post(
        refused_one["id"],
        "refuse",
        assist.dept,
        ground="forbidden-by-law",
        law="《中华人民共和国保守国家秘密法》",
        article="第二十八条",
        reason="所需监测数据已定密为秘密级，依法不得提供",
    )
    assert r.status_code == 200
    ignored = await assist.submitted()
    r = await assist.post(
        ignored["id"],
        "obstruction-flags",
        assist.town,
        kind="shirking",
        reason="多次催办均不予理睬",
    )
    assert r.status_code == 201
    assist.clock.advance(timedelta(days=14))
    await assist.run_sweep()
    bureau = assist.h("justice-bureau", "reader")
    r = await assist.svc.client.get(
        "/assistance-requests/oversight",
        params={"period": "month", "from": "2024-01-01", "to": "2024-12-31"},
        headers=bureau,
    )
    assert r.status_code == 200, r.text
    rows = {(x["organisation"], x["period"]): x for x in r.json()["items"]}
    dept = rows[(c.dept, "2024-03")]
    assert dept["received"] == 2
    assert dept["refused_forbidden_by_law"] == 1
    assert dept["responses_missed"] == 1
    assert dept["obstruction_flags_received"] == 1
    assert dept["period_start"] == "2024-03-01"
    assert dept["period_end"] == "2024-03-31"
    town = rows[(c.town, "2024-03")]
    assert (town["requested"], town["obstruction_flags_raised"]) == (2, 1)
    quarter = await assist.svc.client.get(
        "/assistance-requests/oversight",
        params={
            "period": "quarter",
            "from": "2024-01-01",
            "to": "2024-12-31",
            "organisation": c.dept,
        },
        headers=bureau,
    )
    assert [(x["period"], x["received"]) for x in quarter.json()["items"]] == [("2024-Q1", 2)]
    # A department reads its own figures, not another's.
    own = await assist.svc.client.get(
        "/assistance-requests/oversight", params={"to": "2024-12-31"}, headers=assist.dept
    )
    assert {x["organisation"] for x in own.json()["items"]} == {c.dept}
    other = await assist.svc.client.get(
        "/assistance-requests/oversight", params={"organisation": c.town}, headers=assist.dept
    )
    assert other.status_code == 403
