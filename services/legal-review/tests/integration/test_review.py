"""The review body's and the head's side through the REST API: REV-02, REV-03, REV-06..REV-09."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from legal_review.main import SPEC
from xietong_common.auth import Principal
from xietong_common.clock import FakeClock
from xietong_common.settings import project_root
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import RunningService, Servers, create_database, running_service

from .conftest import TOWN, Flow, counts

pytestmark = pytest.mark.integration


async def test_rev_02_the_same_person_may_not_handle_and_review(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    both = svc.auth(TOWN, "handler", "reviewer", user="li.handler")  # whatever roles they hold
    before = await counts(svc)
    r = await svc.client.post(f"/reviews/{review['id']}/take", headers=both)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:xietong:problem:review-separation-of-duties"
    assert r.json()["person"] == "li.handler"
    assert await counts(svc) == before


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


async def test_rev_02_the_handler_may_not_decide(svc: RunningService, flow: Flow) -> None:
    rid = await flow.reviewed("agree")
    handler_as_head = svc.auth(TOWN, "handler", "head", user="li.handler")
    r = await svc.client.post(
        f"/reviews/{rid}/decision",
        json={"outcome": "decided-as-proposed"},
        headers=handler_as_head,
    )
    assert r.status_code == 403
    assert r.json()["type"].endswith("review-separation-of-duties")


async def test_rev_02_a_round_1_handler_may_not_review_round_2(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed("correct-and-resubmit", {"documents": "x"}, flaws=["补正"])
    other_handler = svc.auth(TOWN, "handler", user="liu.handler")
    r = await svc.client.post(
        f"/reviews/{rid}/resubmit",
        json={
            "decision": {"fine": "40000"},
            "proposal": "拟罚款40000元",
            "correction_note": "补正",
        },
        headers=other_handler,
    )
    assert r.status_code == 200, r.text
    first_handler_as_reviewer = svc.auth(TOWN, "reviewer", user="li.handler")
    taken = await svc.client.post(f"/reviews/{rid}/take", headers=first_handler_as_reviewer)
    assert taken.status_code == 403
    assert taken.json()["type"].endswith("review-separation-of-duties")


async def test_rev_03_dual_review_a_department_gives_a_parallel_opinion(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    r = await svc.client.post(
        f"/reviews/{rid}/joint",
        json={"mode": "dual-review", "departments": ["dept:urban-management"]},
        headers=flow.reviewer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["joint_mode"] == "dual-review"
    dept = svc.auth("dept:urban-management", "reviewer", user="chen.dept")
    assert (await svc.client.get(f"/reviews/{rid}", headers=dept)).status_code == 200
    parallel = await svc.client.post(
        f"/reviews/{rid}/joint-opinions",
        json={"opinion": "agree", "reasons": "部门同意"},
        headers=dept,
    )
    assert parallel.status_code == 201, parallel.text
    assert parallel.json()["org"] == "dept:urban-management"
    assert parallel.json()["mode"] == "dual-review"
    other_dept = svc.auth("dept:water", "reviewer", user="x")
    assert (
        await svc.client.post(
            f"/reviews/{rid}/joint-opinions",
            json={"opinion": "agree", "reasons": "x"},
            headers=other_dept,
        )
    ).status_code == 404
    unknown = await svc.client.post(
        f"/reviews/{rid}/joint",
        json={"mode": "dual-review", "departments": ["justice-bureau"]},
        headers=flow.reviewer,
    )
    assert unknown.status_code == 422


async def test_rev_03_joint_meeting_records_participants_minutes_and_opinion(
    svc: RunningService, flow: Flow
) -> None:
    meeting = await flow.submit()
    mid = meeting["id"]
    no_mode = await svc.client.post(
        f"/reviews/{mid}/joint-opinions",
        json={"opinion": "agree", "reasons": "x"},
        headers=flow.reviewer,
    )
    assert no_mode.json()["type"].endswith("review-joint-mode")
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
    assert detail["joint_opinions"][0]["participants"] == ["王", "陈"]


async def test_rev_06_an_opinion_without_its_nine_points_is_refused_and_changes_nothing(
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
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:xietong:problem:review-points-unanswered"
    assert len(r.json()["unanswered"]) == 8
    assert await counts(svc) == before
    detail = (await svc.client.get(f"/reviews/{rid}", headers=flow.reviewer)).json()
    assert detail["state"]["value"] == "under-review"
    findings = detail["current"]["findings"]
    assert len(findings) == 9
    assert [f["passed"] for f in findings].count(None) == 8
    unknown_point = await svc.client.put(
        f"/reviews/{rid}/points/vibes", json={"passed": True}, headers=flow.reviewer
    )
    assert unknown_point.status_code == 422


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
    assert detail["responsibility"]["opinion"] == "wang.reviewer"
    if opinion == "transfer-to-judicial-organs":
        assert detail["current"]["judicial_organ"] == "涪陵区公安分局"
    if opinion == "transfer-to-competent-agency":
        assert detail["current"]["transfer_to"] == "dept:water"


async def test_rev_07_opinions_that_do_not_fit_are_refused(svc: RunningService, flow: Flow) -> None:
    review = await flow.submit()
    rid = review["id"]
    await flow.take(rid)
    await flow.points(rid, jurisdiction="不属本机关权限", **{"no-crime": "涉嫌犯罪"})
    before = await counts(svc)
    for extra in (
        {"opinion": "agree"},
        {"opinion": "transfer-to-competent-agency"},
        {"opinion": "transfer-to-competent-agency", "transfer_to": "justice-bureau"},
        {"opinion": "transfer-to-competent-agency", "transfer_to": TOWN},
        {"opinion": "transfer-to-judicial-organs"},
        {"opinion": "no-such-opinion"},
    ):
        r = await svc.client.post(
            f"/reviews/{rid}/opinion", json={"reasons": "x", **extra}, headers=flow.reviewer
        )
        assert r.status_code == 422, (extra, r.text)
    assert await counts(svc) == before


async def test_rev_07_do_not_decide_needs_a_point_found_lacking(
    svc: RunningService, flow: Flow
) -> None:
    """Every point passed is opinion (1)'s case; (3) says which point fails."""
    review = await flow.submit()
    rid = review["id"]
    await flow.take(rid)
    await flow.points(rid)
    before = await counts(svc)
    r = await flow.opinion(rid, "do-not-decide")
    assert r.status_code == 422
    assert r.json()["type"].endswith("review-inconsistent-opinion")
    assert await counts(svc) == before


async def test_rev_07_opinion_2_corrected_resubmission_is_a_new_round(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed("correct-and-resubmit", {"documents": "x"}, flaws=["补正"])
    refused = await flow.decide(rid, "decided-as-proposed")
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
    rounds = (await svc.client.get(f"/reviews/{rid}/rounds", headers=flow.handler)).json()
    assert [x["number"] for x in rounds] == [1, 2]
    assert rounds[0]["opinion"]["value"] == "correct-and-resubmit"
    assert rounds[0]["flaws"] == ["补正"]
    assert rounds[1]["correction_note"] == "补正了告知书"
    assert rounds[1]["opinion"] is None
    # The new round is reviewed on its own: all nine points again.
    await flow.take(rid)
    assert (await flow.opinion(rid, "agree")).status_code == 422
    await flow.points(rid)
    assert (await flow.opinion(rid, "agree")).status_code == 200
    decided = await flow.decide(rid, "decided-as-proposed")
    assert decided.status_code == 200, decided.text
    assert decided.json()["round"] == 2


async def test_rev_07_opinion_5_records_the_transfer_to_the_judicial_organs(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed(
        "transfer-to-judicial-organs",
        {"no-crime": "涉嫌污染环境罪"},
        judicial_organ="涪陵区公安分局",
    )
    r = await flow.decide(rid, "transferred-to-judicial-organs")
    assert r.status_code == 200, r.text
    assert r.json()["decision"]["outcome"] == "transferred-to-judicial-organs"
    assert r.json()["decision"]["against_opinion"] is False
    timeline = (await svc.client.get(f"/reviews/{rid}/timeline", headers=flow.head)).json()
    opinion = next(e for e in timeline if e["action"] == "review.opinion-given")
    assert opinion["detail"]["judicial_organ"] == "涪陵区公安分局"


async def test_rev_08_decision_against_the_opinion_needs_a_reason_and_records_who_answers(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed("do-not-decide", {"facts-and-evidence": "证据不足"})
    before = await counts(svc)
    against = await flow.decide(rid, "decided-as-proposed")
    assert against.status_code == 422
    assert "书面说明理由" in against.json()["detail"]  # Chinese by default
    english = await svc.client.post(
        f"/reviews/{rid}/decision",
        json={"outcome": "decided-as-proposed"},
        headers={**flow.head, "Accept-Language": "en"},
    )
    assert "written reason" in english.json()["detail"]
    assert english.json()["type"] == against.json()["type"]
    assert await counts(svc) == before
    r = await flow.decide(
        rid,
        "decided-as-proposed",
        reason="补充调查后证据充分",
        decision_number="涪荔罚〔2024〕1号",
        execution="当事人已缴纳罚款",
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"]["value"] == "decided"
    assert body["responsibility"] == {
        "materials": "li.handler",
        "opinion": "wang.reviewer",
        "decision": "zhao.head",
    }
    assert body["decision"]["against_opinion"] is True
    assert body["decision"]["reason"] == "补充调查后证据充分"
    again = await flow.decide(rid, "not-decided")
    assert again.status_code == 409


async def test_rev_09_justice_office_sees_its_towns_reviews_and_advises_once_added(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    office = svc.auth("justice-office:lizhi", "adviser", user="sfs.lizhi")
    assert (await svc.client.get(f"/reviews/{rid}", headers=office)).status_code == 200
    queue = (await svc.client.get("/reviews", headers=office)).json()
    assert [i["id"] for i in queue["items"]] == [rid]
    early = await svc.client.post(f"/reviews/{rid}/advice", json={"note": "建议"}, headers=office)
    assert early.status_code == 403  # it sees the review, but acts only once added
    added = await svc.client.post(f"/reviews/{rid}/justice-office", headers=flow.reviewer)
    assert added.status_code == 200, added.text
    assert added.json()["justice_office"] == "justice-office:lizhi"
    other_office = svc.auth("justice-office:jiangbei", "adviser", user="sfs.jiangbei")
    assert (await svc.client.get(f"/reviews/{rid}", headers=other_office)).status_code == 404
    assert (await svc.client.get("/reviews", headers=other_office)).json()["items"] == []
    advice = await svc.client.post(
        f"/reviews/{rid}/advice",
        json={"note": "法律顾问意见：程序合法", "advisers": ["王律师"]},
        headers=office,
    )
    assert advice.status_code == 201
    assert advice.json()["advisers"] == ["王律师"]
    detail = (await svc.client.get(f"/reviews/{rid}", headers=flow.reviewer)).json()
    assert detail["advice"][0]["note"] == "法律顾问意见：程序合法"


async def test_rev_09_the_directory_names_the_justice_office_serving_the_town(
    servers: Servers, kafka_bootstrap: str, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """The 司法所 is the one the directory says serves the town, whatever its code."""
    data = tmp_path / "data"
    shutil.copytree(project_root() / "data", data)
    orgs = data / "organisations.yaml"
    listed = "  - code: justice-office:lizhi\n"
    assert listed in orgs.read_text()
    orgs.write_text(orgs.read_text().replace(listed, "  - code: justice-office:lizhi-centre\n"))
    async with running_service(
        SPEC,
        database_url=await create_database(servers, "review"),
        kafka_bootstrap=kafka_bootstrap,
        clock=fake_clock,
        blob_dir=tmp_path / "blobs",
        data_dir=data,
        run_jobs=False,
        run_consumer=False,
    ) as svc:
        flow = Flow(svc)
        rid = (await flow.submit())["id"]
        centre = svc.auth("justice-office:lizhi-centre", "adviser", user="sfs.centre")
        by_slug = svc.auth("justice-office:lizhi", "adviser", user="sfs.slug")
        other = svc.auth("justice-office:baitao", "adviser", user="sfs.baitao")
        seen = await svc.client.get(f"/reviews/{rid}", headers=centre)
        assert seen.status_code == 200
        assert seen.json()["town_justice_office"] == "justice-office:lizhi-centre"
        assert [
            i["id"] for i in (await svc.client.get("/reviews", headers=centre)).json()["items"]
        ] == [rid]
        # The town's slug is no longer a listed 司法所: its token acts for nobody.
        assert (await svc.client.get(f"/reviews/{rid}", headers=by_slug)).status_code == 403
        assert (await svc.client.get("/reviews", headers=by_slug)).status_code == 403
        # A listed 司法所 serving another town does not see the review.
        assert (await svc.client.get(f"/reviews/{rid}", headers=other)).status_code == 404
        assert (await svc.client.get("/reviews", headers=other)).json()["items"] == []
        added = await svc.client.post(f"/reviews/{rid}/justice-office", headers=flow.reviewer)
        assert added.json()["justice_office"] == "justice-office:lizhi-centre"
        advice = await svc.client.post(
            f"/reviews/{rid}/advice", json={"note": "程序合法"}, headers=centre
        )
        assert advice.status_code == 201, advice.text


async def test_rev_04_no_take_up_nor_point_3_passed_while_a_required_material_is_missing(
    svc: RunningService, flow: Flow
) -> None:
    """REV-04 is a gate: an 'agree' could be given with nothing uploaded. The review is taken
    up only when the materials are in; REV-05's one notice is the way to ask for them."""
    import sqlalchemy as sa

    review = await flow.submit(fine="50000.00", hearing=True)
    rid = review["id"]
    for kind in ("investigation-report", "proposed-decision"):
        assert (await flow.upload(rid, kind)).status_code == 201
    before = await counts(svc)
    r = await svc.client.post(f"/reviews/{rid}/take", headers=flow.reviewer)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == "urn:xietong:problem:review-materials-incomplete"
    assert problem["missing"] == ["evidence", "hearing-record"]
    assert problem["rule"] == "REV-04"
    assert "相关证据资料" in problem["detail"]
    assert problem["notify_at"] == f"/reviews/{rid}/materials-notice"
    assert await counts(svc) == before
    # the way forward: one notice, the brigade supplies, the review resumes
    r = await svc.client.post(f"/reviews/{rid}/materials-notice", json={}, headers=flow.reviewer)
    assert r.status_code == 200, r.text
    for kind in ("evidence", "hearing-record"):
        assert (await flow.upload(rid, kind)).status_code == 201
    r = await svc.client.post(f"/reviews/{rid}/materials-supplied", headers=flow.handler)
    assert r.json()["state"]["value"] == "under-review"

    # A review taken before the gate existed, its evidence missing: point (3) cannot pass.
    async with svc.ctx.db.uow(actor=Principal.system("test")) as uow:
        await uow.session.execute(
            sa.text("DELETE FROM review_materials WHERE review_id = :id AND kind = 'evidence'"),
            {"id": rid},
        )
    put = f"/reviews/{rid}/points/facts-and-evidence"
    r = await svc.client.put(put, json={"passed": True}, headers=flow.reviewer)
    assert r.status_code == 409
    assert r.json()["missing"] == ["evidence"]
    r = await svc.client.put(put, json={"passed": False, "note": "证据缺失"}, headers=flow.reviewer)
    assert r.status_code == 200


async def test_rev_07_opinions_2_and_3_must_fit_the_findings_through_the_api(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    await flow.take(rid)
    await flow.points(rid)  # all nine passed
    before = await counts(svc)
    for opinion, extra in (("correct-and-resubmit", {"flaws": ["补正"]}), ("do-not-decide", {})):
        r = await flow.opinion(rid, opinion, **extra)
        assert r.status_code == 422, r.text
        assert r.json()["type"] == "urn:xietong:problem:review-inconsistent-opinion"
        assert r.json()["rule"] == "REV-07"
    assert await counts(svc) == before
    await flow.points(rid, documents="文书不规范")
    r = await flow.opinion(rid, "do-not-decide")
    assert r.status_code == 422  # a documents flaw is for opinion (2), not (3)
    r = await flow.opinion(rid, "correct-and-resubmit", flaws=["补正送达回证"])
    assert r.status_code == 200, r.text


async def test_rev_04_one_placeholder_under_every_required_kind_does_not_pass_the_gate(
    svc: RunningService, flow: Flow
) -> None:
    """The review's walk-around: one placeholder file uploaded as the investigation report, the
    proposed decision and the evidence passed the REV-04 gate. The same bytes under two
    required kinds are one material: the review is not taken up."""
    review = await flow.submit()
    rid = review["id"]
    placeholder = pdf_bytes("placeholder")
    for kind in ("investigation-report", "proposed-decision", "evidence"):
        assert (await flow.upload(rid, kind, content=placeholder)).status_code == 201
    before = await counts(svc)
    r = await svc.client.post(f"/reviews/{rid}/take", headers=flow.reviewer)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["rule"] == "REV-04"
    assert problem["same_file_under"] == ["proposed-decision", "evidence"]
    assert await counts(svc) == before
    for kind in ("proposed-decision", "evidence"):
        assert (await flow.upload(rid, kind)).status_code == 201  # the real documents
    r = await svc.client.post(f"/reviews/{rid}/take", headers=flow.reviewer)
    assert r.status_code == 200, r.text


async def test_rev_08_a_one_character_reason_is_no_reason(svc: RunningService, flow: Flow) -> None:
    rid = await flow.reviewed("do-not-decide", {"facts-and-evidence": "证据不足"})
    before = await counts(svc)
    for reason in ("x", "同上", "。。。。。。。。。"):
        r = await flow.decide(rid, "decided-as-proposed", reason=reason)
        assert r.status_code == 422, r.text
        assert r.json()["rule"] == "REV-08"
    assert await counts(svc) == before


async def test_rev_02_a_second_review_of_the_same_case_is_refused_and_duties_carry_over(
    svc: RunningService, flow: Flow
) -> None:
    """The review's walk-around: separation of duties was checked per review, so a second
    review of the same case started with no duties and sidestepped opinions (2) and (3)."""
    from .conftest import submission

    rid = await flow.reviewed("do-not-decide", {"facts-and-evidence": "证据不足"})
    first = (await svc.client.get(f"/reviews/{rid}", headers=flow.handler)).json()
    before = await counts(svc)
    again = submission()
    again["case_number"] = first["case_number"]
    r = await svc.client.post("/reviews", json=again, headers=flow.handler)
    assert r.status_code == 409, r.text
    assert r.json()["type"] == "urn:xietong:problem:review-case-already-under-review"
    assert (r.json()["review_id"], r.json()["rule"]) == (rid, "REV-02")
    assert await counts(svc) == before

    # the case number left out: the same matter and party are the same case
    party = {"name": "某建材公司", "kind": "legal-person", "id_number": "91500102MA5U7YBX2G"}
    opened = submission()
    opened["party"] = party
    r = await svc.client.post("/reviews", json=opened, headers=flow.handler)
    assert r.status_code == 201, r.text
    unnumbered = submission()
    unnumbered.pop("case_number")
    unnumbered["party"] = {**party, "id_number": party["id_number"].lower()}
    r = await svc.client.post("/reviews", json=unnumbered, headers=flow.handler)
    assert r.status_code == 409, r.text

    # a case decided after opinion (1) may be reviewed again, with its duties: who handled
    # the first review cannot review the second
    done = await flow.reviewed("agree")
    assert (await flow.decide(done, "decided-as-proposed")).status_code == 200
    decided = (await svc.client.get(f"/reviews/{done}", headers=flow.handler)).json()
    second = submission()
    second["case_number"] = decided["case_number"]
    r = await svc.client.post(
        "/reviews", json=second, headers=svc.auth(TOWN, "handler", user="sun.handler")
    )
    assert r.status_code == 201, r.text
    new = r.json()["id"]
    await flow.complete(new)
    crossed = svc.auth(TOWN, "reviewer", user="li.handler")  # handled the first review
    taken = await svc.client.post(f"/reviews/{new}/take", headers=crossed)
    assert taken.status_code in (403, 409), taken.text
    assert taken.json()["type"].endswith("review-separation-of-duties")
