"""The events reach Kafka through the outbox: the whole roster of a team on every change
(SEC-02/SEC-04), republished on demand for a new consumer, and SEC-05's guidance records."""

from __future__ import annotations

import pytest

from xietong_common.contracts.secondment import GuidanceRecorded, RosterChanged
from xietong_devtools.testing import topic_reader

from .conftest import BAITAO, HEADER, LIZHI, URBAN, WATER, Svc, officer_row, refused, xlsx

pytestmark = pytest.mark.integration
ROSTER = RosterChanged.spec.topic


async def test_sec_02_the_roster_event_reaches_kafka_with_the_whole_team(
    svc: Svc, kafka_bootstrap: str
) -> None:
    async with topic_reader(kafka_bootstrap, ROSTER) as reader:
        team = await svc.team(WATER)
        await svc.imported(
            WATER,
            xlsx(
                [
                    HEADER,
                    officer_row(1, "张三", "W0001"),
                    officer_row(2, "李四", "W0002", towns="荔枝街道"),
                    officer_row(3, "王五", "W0003", until="2024-12-31"),
                ]
            ),
        )
        events = await reader.collect(
            lambda es: sum(e.get("subject") == team["id"] for e in es) >= 2
        )
    records = [r for r in reader.records if r.key == team["id"].encode()]
    assert len(records) == 2  # keyed by the team: a compacted topic keeps its present
    last = RosterChanged.model_validate(
        [e for e in events if e["subject"] == team["id"]][-1]["data"]
    )
    assert (last.version, last.department, last.mode.value) == (2, WATER, "zone")
    assert last.effective_from.isoformat() == "2024-03-01"
    assert {o.name: o.towns for o in last.officers} == {
        "张三": sorted([LIZHI, BAITAO, "town:jiangbei"]),
        "李四": [LIZHI],
        "王五": sorted([LIZHI, BAITAO, "town:jiangbei"]),
    }
    assert {o.certificate_number for o in last.officers} == {"W0001", "W0002", "W0003"}


async def test_sec_04_every_teams_present_is_republished_on_demand(
    svc: Svc, kafka_bootstrap: str
) -> None:
    water = await svc.team(WATER)
    await svc.imported(WATER, xlsx([HEADER, officer_row(1, "张三", "W0001")]))
    urban = await svc.team(URBAN, "城管派驻荔枝组", [LIZHI])
    before = await svc.counts()
    problem = refused(
        await svc.client.post("/rosters/republish", headers=svc.admin(LIZHI)), 403, "forbidden"
    )
    assert problem["allowed_org_kinds"] == ["dept", "justice-bureau", "district-gov"]
    refused(
        await svc.client.post("/rosters/republish", headers=svc.h(WATER, "leader")),
        403,
        "forbidden",
    )
    assert await svc.counts() == before
    await svc.run.outbox_drained()  # the teams' own events are out before the reader opens
    ours = {water["id"], urban["id"]}
    async with topic_reader(kafka_bootstrap, ROSTER) as reader:
        r = await svc.client.post("/rosters/republish", headers=svc.admin(WATER))
        assert r.json() == {"teams": 1, "events": 1}
        r = await svc.client.post("/rosters/republish", headers=svc.admin("justice-bureau"))
        assert r.json() == {"teams": 2, "events": 2}
        events = await reader.collect(lambda es: sum(e["subject"] in ours for e in es) >= 3)
        await reader.poll(0.5)  # and nothing more of ours follows
        events = reader.events()
    seen = [(e["subject"], e["data"]["version"]) for e in events if e["subject"] in ours]
    assert sorted(seen) == sorted([(water["id"], 2), (water["id"], 2), (urban["id"], 1)])


async def test_sec_05_a_guidance_record_reaches_kafka(svc: Svc, kafka_bootstrap: str) -> None:
    async with topic_reader(kafka_bootstrap, GuidanceRecorded.spec.topic) as reader:
        r = await svc.client.post(
            "/guidance",
            json={
                "kind": "joint-drill",
                "title": "河道联合执法演练",
                "held_on": "2024-02-27",
                "towns": [LIZHI, BAITAO],
                "attendance": 35,
            },
            headers=svc.h(WATER, "handler"),
        )
        assert r.status_code == 201, r.text
        activity = r.json()["id"]
        events = await reader.collect(lambda es: any(e["subject"] == activity for e in es))
    event = GuidanceRecorded.model_validate(
        next(e for e in events if e["subject"] == activity)["data"]
    )
    assert (event.department, event.kind.value, event.attendance) == (WATER, "joint-drill", 35)
    assert event.towns == sorted([LIZHI, BAITAO])
