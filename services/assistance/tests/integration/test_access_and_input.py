"""Who sees and does what, and bad input: a clear 4xx problem+json that changes nothing."""

from __future__ import annotations

import pytest

from .conftest import PDF, Assist, refused

pytestmark = pytest.mark.integration


async def test_the_town_its_department_and_the_justice_bureau_see_a_request_others_get_404(
    assist: Assist,
) -> None:
    c = assist.codes
    request = await assist.submitted()
    rid = request["id"]
    for org, status in (
        (c.town, 200),
        (c.dept, 200),
        ("justice-bureau", 200),
        (c.other_town, 404),
        (c.other_dept, 404),
        ("district-gov", 404),
    ):
        r = await assist.get(rid, assist.h(org, "handler"))
        assert r.status_code == status, (org, r.text)
    r = await assist.svc.client.get(
        f"/assistance-requests/{rid}/timeline", headers=assist.h(c.other_town, "handler")
    )
    assert r.status_code == 404
    lists = await assist.svc.client.get(
        "/assistance-requests", headers=assist.h(c.other_dept, "handler")
    )
    assert lists.json()["total"] == 0
    everything = await assist.svc.client.get(
        "/assistance-requests", headers=assist.h("justice-bureau", "reader")
    )
    assert [x["id"] for x in everything.json()["items"]] == [rid]


async def test_each_side_takes_only_its_own_steps(assist: Assist) -> None:
    c = assist.codes
    request = await assist.submitted()
    rid = request["id"]
    before = await assist.counts()
    accept = {"officers": [assist.own_officer()], "agreed_completion_date": "2024-03-08"}
    await refused(
        assist, await assist.post(rid, "accept", assist.town, **accept), 403, "forbidden", before
    )
    await refused(
        assist,
        await assist.post(rid, "accept", assist.h(c.dept, "reader"), **accept),
        403,
        "forbidden",
        before,
    )
    await refused(
        assist,
        await assist.post(rid, "accept", assist.h(c.other_dept, "handler"), **accept),
        404,
        "not-found",
        before,
    )
    await refused(
        assist,
        await assist.post(rid, "accept", assist.h("justice-bureau", "handler"), **accept),
        403,
        "forbidden",
        before,
    )
    await refused(
        assist,
        await assist.post(rid, "withdraw", assist.dept, reason="部门不能撤回乡镇的请求"),
        403,
        "forbidden",
        before,
    )
    await refused(
        assist,
        await assist.post(rid, "submit", assist.town),
        409,
        "assistance-invalid-transition",
        before,
    )
    r = await assist.upload(rid, assist.h("justice-bureau", "handler"))
    await refused(assist, r, 403, "forbidden", before)


async def test_bad_input_changes_nothing(assist: Assist) -> None:
    before = await assist.counts()
    base = {
        "matter_code": assist.codes.matter,
        "ground": "technical-support",
        "needed": "请协助检测",
    }
    for body, slug in (
        ({**base, "needed": "含有\x00字符"}, "invalid-input"),
        ({**base, "needed": "x" * 20_001}, "invalid-input"),
        ({**base, "colour": "red"}, "invalid-input"),
        ({**base, "matter_code": "NOPE-999"}, "unknown-matter"),
        ({**base, "department": "dept:no-such"}, "unknown-organisation"),
        ({**base, "department": "not an org"}, "invalid-input"),
        ({**base, "needed_by": "9999-01-01"}, "invalid-input"),
        ({**base, "case": {"kind": "lawsuit", "id": "1"}}, "invalid-input"),
        ({**base, "case": {"kind": "referral", "id": "a\nb"}}, "invalid-input"),
    ):
        r = await assist.svc.client.post("/assistance-requests", json=body, headers=assist.town)
        await refused(assist, r, 422, slug, before)
    r = await assist.svc.client.post(
        "/assistance-requests",
        content=b"{not json",
        headers={**assist.town, "content-type": "application/json"},
    )
    await refused(assist, r, 422, "invalid-input", before)
    r = await assist.svc.client.post("/assistance-requests", json=base)
    await refused(assist, r, 401, "unauthorized", before)

    request = await assist.submitted()
    before = await assist.counts()
    for officers in (
        [],
        [{"name": "张三", "certificate_number": "1"}],
        [{"name": "张三\x00", "certificate_number": "50010220240001"}],
        [assist.own_officer()] * 21,
    ):
        r = await assist.post(
            request["id"],
            "accept",
            assist.dept,
            officers=officers,
            agreed_completion_date="2024-03-08",
        )
        await refused(assist, r, 422, "invalid-input", before)
    r = await assist.post(
        request["id"],
        "accept",
        assist.dept,
        officers=[assist.own_officer(), assist.own_officer()],
        agreed_completion_date="2024-03-08",
    )
    await refused(assist, r, 422, "assistance-officer-ineligible", before)
    r = await assist.svc.client.get("/assistance-requests/not-a-uuid", headers=assist.town)
    assert r.status_code == 404  # an id that is no UUID names nothing (paths match UUIDs only)
    r = await assist.svc.client.get(
        "/assistance-requests", params={"page_size": 100_000}, headers=assist.town
    )
    assert r.status_code == 422
    r = await assist.svc.client.get(
        "/assistance-requests/oversight",
        params={"from": "2024-12-01", "to": "2024-01-01"},
        headers=assist.h("justice-bureau", "reader"),
    )
    assert r.status_code == 422


async def test_idempotency_key_replays_the_first_draft_and_refuses_another_body(
    assist: Assist,
) -> None:
    headers = {**assist.town, "Idempotency-Key": "req-1"}
    body = {
        "matter_code": assist.codes.matter,
        "ground": "technical-support",
        "needed": "请协助检测",
    }
    first = await assist.svc.client.post("/assistance-requests", json=body, headers=headers)
    again = await assist.svc.client.post("/assistance-requests", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    before = await assist.counts()
    r = await assist.svc.client.post(
        "/assistance-requests", json={**body, "needed": "另一个请求"}, headers=headers
    )
    await refused(assist, r, 422, "idempotency-key-reused", before)


async def test_a_draft_is_edited_and_the_department_proposed_again(assist: Assist) -> None:
    c = assist.codes
    request = await assist.draft()
    r = await assist.svc.client.patch(
        f"/assistance-requests/{request['id']}",
        json={"department": c.other_dept},
        headers=assist.town,
    )
    assert r.status_code == 200, r.text
    assert r.json()["within_powers"] is False
    r = await assist.svc.client.patch(
        f"/assistance-requests/{request['id']}",
        json={"department": None, "urgent": True},
        headers=assist.town,
    )
    assert (r.json()["department"], r.json()["urgent"]) == (c.dept, True)
    before = await assist.counts()
    r = await assist.svc.client.patch(
        f"/assistance-requests/{request['id']}", json={"needed": None}, headers=assist.town
    )
    await refused(assist, r, 422, "invalid-input", before)
    await assist.post(request["id"], "submit", assist.town)
    r = await assist.svc.client.patch(
        f"/assistance-requests/{request['id']}", json={"urgent": False}, headers=assist.town
    )
    await refused(assist, r, 409, "assistance-invalid-transition", await assist.counts())


async def test_problems_in_chinese_by_default_and_english_on_request(assist: Assist) -> None:
    request = await assist.submitted()
    body = {"ground": "outside-powers", "reason": "该事项不属于本局职权范围内"}
    zh = await assist.post(request["id"], "refuse", assist.dept, **body)
    assert zh.json()["title"] == "该事项属于本机关职权范围，应当依法予以协助"
    en = await assist.svc.client.post(
        f"/assistance-requests/{request['id']}/refuse",
        json=body,
        headers={**assist.dept, "Accept-Language": "en"},
    )
    assert en.json()["title"] == "The matter is within the department's powers: it must assist"


async def test_a_retried_upload_with_its_key_is_recorded_once(assist: Assist) -> None:
    request = await assist.draft()
    rid = request["id"]
    headers = {**assist.town, "Idempotency-Key": "upload-1"}
    first = await assist.upload(rid, headers, content=PDF + b"once")
    again = await assist.upload(rid, headers, content=PDF + b"once")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    before = await assist.counts()
    other = await assist.upload(rid, headers, content=PDF + b"another file")
    await refused(assist, other, 422, "idempotency-key-reused", before)
    assert len((await assist.get(rid)).json()["materials"]) == 1
