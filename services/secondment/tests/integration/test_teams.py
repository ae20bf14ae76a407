"""SEC-01/SEC-02 through the REST API: teams in the department's mode, their versions, who
sees them."""

from __future__ import annotations

import pytest

from .conftest import (
    BAITAO,
    CHONGYI,
    ECOLOGY,
    HEADER,
    JIANGBEI,
    LIZHI,
    URBAN,
    WATER,
    Svc,
    officer_row,
    refused,
    xlsx,
)

pytestmark = pytest.mark.integration


async def test_sec_02_a_department_creates_a_team_in_its_mode(svc: Svc) -> None:
    zone = await svc.team(WATER, zone_name="第一片区", leader="王建国", contact="023-72220000")
    assert zone["mode"]["value"] == "zone"
    assert zone["mode"]["label_zh"] == "划片"
    assert (zone["version"], zone["roster_version"], zone["status"]["value"]) == (1, 1, "active")
    assert zone["towns"] == sorted([LIZHI, BAITAO, JIANGBEI])
    stationed = await svc.team(URBAN, "区城市管理局派驻荔枝街道指导组", [LIZHI])
    assert stationed["mode"]["label_zh"] == "派驻"
    versions = (await svc.client.get("/rosters", headers=svc.admin(WATER))).json()
    assert [(v["number"], v["kind"]["value"]) for v in versions["items"]] == [(1, "team-created")]


async def test_sec_02_a_team_of_the_wrong_mode_is_refused(svc: Svc) -> None:
    before = await svc.counts()
    cases = [
        (WATER, {"mode": "stationed", "towns": [LIZHI]}, 422, "secondment-wrong-mode"),
        (URBAN, {"mode": "zone"}, 422, "secondment-wrong-mode"),
        (URBAN, {"towns": [LIZHI, BAITAO]}, 422, "secondment-towns-do-not-fit-mode"),
        (WATER, {"towns": [LIZHI]}, 422, "secondment-towns-do-not-fit-mode"),
        (WATER, {"towns": [LIZHI, "town:atlantis"]}, 422, "unknown-organisation"),
        (WATER, {"towns": [LIZHI, WATER]}, 422, "unknown-organisation"),
    ]
    for department, change, status, slug in cases:
        body = {"name": "某队", "towns": [LIZHI, BAITAO], "valid_from": "2024-01-05", **change}
        r = await svc.client.post("/teams", json=body, headers=svc.admin(department))
        problem = refused(r, status, slug)
        if slug == "secondment-wrong-mode":
            assert problem["rule"] == "SEC-02"
    body = {"name": "某队", "towns": [LIZHI, BAITAO], "valid_from": "2024-01-05"}
    r = await svc.client.post("/teams", json=body, headers=svc.admin(LIZHI))
    assert refused(r, 403, "forbidden")["rule"] == "SEC-02"  # refused for its kind
    r = await svc.client.post("/teams", json=body, headers=svc.admin("justice-bureau"))
    assert refused(r, 403, "forbidden")["allowed_org_kinds"] == ["dept"]
    r = await svc.client.post("/teams", json=body, headers=svc.h(WATER, "handler"))
    refused(r, 403, "forbidden")
    assert await svc.counts() == before


async def test_sec_02_team_names_are_distinct_within_a_department(svc: Svc) -> None:
    await svc.team(WATER, "第一片区指导队")
    before = await svc.counts()
    r = await svc.client.post(
        "/teams",
        json={"name": "第一片区指导队", "towns": [LIZHI, CHONGYI], "valid_from": "2024-01-05"},
        headers=svc.admin(WATER),
    )
    refused(r, 409, "secondment-duplicate-team-name")
    assert await svc.counts() == before
    await svc.team(ECOLOGY, "第一片区指导队", [LIZHI, CHONGYI])  # another department's list


async def test_sec_02_a_team_changes_by_versions_and_ends_dissolved(svc: Svc) -> None:
    team = await svc.team(WATER)
    sheet = xlsx(
        [
            HEADER,
            officer_row(1, "张三", "A0001"),
            officer_row(2, "李四", "A0002", towns="荔枝街道"),
        ]
    )
    await svc.imported(WATER, sheet)
    tid = team["id"]
    r = await svc.client.patch(
        f"/teams/{tid}",
        json={"towns": [LIZHI, CHONGYI], "leader": "王建国", "reason": "片区调整"},
        headers=svc.admin(WATER),
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert (edited["version"], edited["towns"], edited["reason"]) == (
        3,
        [CHONGYI, LIZHI],
        "片区调整",
    )
    towns = {o["name"]: o["towns"] for o in edited["officers"]}
    assert towns == {"张三": [CHONGYI, LIZHI], "李四": [LIZHI]}  # the whole-team one follows
    # nothing changed: no new version
    r = await svc.client.patch(f"/teams/{tid}", json={"leader": "王建国"}, headers=svc.admin(WATER))
    assert r.json()["version"] == 3
    # an officer would serve no town: refused
    before = await svc.counts()
    r = await svc.client.patch(
        f"/teams/{tid}", json={"towns": [CHONGYI, BAITAO]}, headers=svc.admin(WATER)
    )
    body = refused(r, 409, "secondment-officers-would-serve-no-town")
    assert "李四" in body["detail"]
    assert await svc.counts() == before
    r = await svc.client.post(
        f"/teams/{tid}/dissolve", json={"reason": "机构调整"}, headers=svc.admin(WATER)
    )
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["status"]["value"]) == (4, "dissolved")
    before = await svc.counts()
    for attempt in (
        svc.client.patch(f"/teams/{tid}", json={"leader": "x"}, headers=svc.admin(WATER)),
        svc.client.post(f"/teams/{tid}/dissolve", json={"reason": "x"}, headers=svc.admin(WATER)),
    ):
        refused(await attempt, 409, "secondment-invalid-transition")
    assert await svc.counts() == before
    versions = (await svc.client.get(f"/teams/{tid}/versions", headers=svc.admin(WATER))).json()
    assert [v["version"] for v in versions["items"]] == [4, 3, 2, 1]
    assert [v["officer_count"] for v in versions["items"]] == [2, 2, 2, 0]
    first = (await svc.client.get(f"/teams/{tid}/versions/2", headers=svc.admin(WATER))).json()
    assert first["towns"] == sorted([LIZHI, BAITAO, JIANGBEI])  # earlier versions stay readable
    timeline = (await svc.client.get(f"/teams/{tid}/timeline", headers=svc.admin(WATER))).json()
    assert [e["action"] for e in timeline] == [
        "secondment.team.created",
        "secondment.team.roster-imported",
        "secondment.team.edited",
        "secondment.team.dissolved",
    ]
    assert {e["rule"] for e in timeline} == {"SEC-02"}
    listed = (await svc.client.get("/teams", headers=svc.admin(WATER))).json()
    assert listed["total"] == 0  # dissolved teams are left out unless asked for
    listed = (
        await svc.client.get(
            "/teams", params={"include_dissolved": "true"}, headers=svc.admin(WATER)
        )
    ).json()
    assert listed["total"] == 1


async def test_sec_01_who_sees_a_team_and_who_changes_it(svc: Svc) -> None:
    team = await svc.team(WATER)
    tid = team["id"]
    for org in (LIZHI, BAITAO, "justice-bureau", "district-gov", WATER):
        r = await svc.client.get(f"/teams/{tid}", headers=svc.h(org, "handler"))
        assert r.status_code == 200, (org, r.text)
    for org in (CHONGYI, ECOLOGY, "justice-office:lizhi"):
        refused(
            await svc.client.get(f"/teams/{tid}", headers=svc.h(org, "handler")), 404, "not-found"
        )
        listed = (await svc.client.get("/teams", headers=svc.h(org, "handler"))).json()
        assert listed["total"] == 0
    before = await svc.counts()
    r = await svc.client.patch(f"/teams/{tid}", json={"leader": "x"}, headers=svc.admin(LIZHI))
    refused(r, 403, "forbidden")
    r = await svc.client.patch(f"/teams/{tid}", json={"leader": "x"}, headers=svc.admin(ECOLOGY))
    refused(r, 404, "not-found")
    assert await svc.counts() == before
    await svc.team(URBAN, "派驻荔枝组", [LIZHI])
    seen = (await svc.client.get("/teams", headers=svc.h(LIZHI, "handler"))).json()
    assert {t["department"] for t in seen["items"]} == {WATER, URBAN}
    stationed = (
        await svc.client.get("/teams", params={"mode": "stationed"}, headers=svc.h("district-gov"))
    ).json()
    assert [t["department"] for t in stationed["items"]] == [URBAN]
    # a team whose version starts later is not yet in effect today; `latest` shows it
    await svc.team(ECOLOGY, "未来片区", [BAITAO, CHONGYI], effective_from="2024-04-01")
    today = (await svc.client.get("/teams", headers=svc.h(ECOLOGY))).json()
    latest = (
        await svc.client.get("/teams", params={"latest": "true"}, headers=svc.h(ECOLOGY))
    ).json()
    assert (today["total"], latest["total"]) == (0, 1)
