"""ASSIST-03: a refusal of a matter the catalogue assigns to the refusing department is counted
apart, ruled on by the justice bureau and contestable by the town; ASSIST-02: on ground 2 the
named holder of the materials is within its powers (real PostgreSQL and Kafka)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from xietong_common.tables import audit_log, outbox
from xietong_devtools.testing import topic_reader

from .conftest import Assist, refused

pytestmark = pytest.mark.integration

QUEUE = "/assistance-requests/owned-refusals"
FORBIDDEN = {
    "ground": "forbidden-by-law",
    "law": "《中华人民共和国保守国家秘密法》",
    "article": "第二十八条",
    "reason": "所需监测数据已定密为秘密级，依法不得提供",
}


def bureau(assist: Assist) -> dict[str, str]:
    return assist.h("justice-bureau", "handler")


async def read(assist: Assist, rid: str) -> dict[str, str]:
    """The justice bureau's headers with the request's ETag as read, for `If-Match`."""
    r = await assist.svc.client.get(f"/assistance-requests/{rid}", headers=bureau(assist))
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'"{r.json()["version"]}"'
    return {**bureau(assist), "If-Match": r.headers["ETag"]}


async def owned_refusal(assist: Assist) -> dict[str, Any]:
    request = await assist.submitted()
    r = await assist.post(request["id"], "refuse", assist.dept, **FORBIDDEN)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def rules_of(assist: Assist, action: str) -> list[str | None]:
    async with assist.svc.ctx.db.session() as s:
        rows = await s.execute(
            sa.select(audit_log.c.rule).where(audit_log.c.action == f"assistance.{action}")
        )
        return [row[0] for row in rows]


async def test_assist_03_a_refusal_of_an_owned_matter_is_counted_apart_and_ruled_on(
    assist: Assist, kafka_bootstrap: str
) -> None:
    c = assist.codes
    own = await owned_refusal(assist)
    assert own["refusal"]["owned_matter"] is True
    other = await assist.submitted(department=c.other_dept)
    r = await assist.post(
        other["id"],
        "refuse",
        assist.h(c.other_dept, "handler"),
        ground="outside-powers",
        reason="该事项属区生态环境局职权，不属于本局职权范围",
    )
    assert r.status_code == 200, r.text
    assert r.json()["refusal"]["owned_matter"] is False
    # Counted apart in the figures.
    r = await assist.svc.client.get(
        "/assistance-requests/oversight",
        params={"period": "month", "from": "2024-01-01", "to": "2024-12-31"},
        headers=bureau(assist),
    )
    assert r.status_code == 200, r.text
    rows = {(x["organisation"], x["period"]): x for x in r.json()["items"]}
    assert rows[(c.dept, "2024-03")]["refused_owned_matter"] == 1
    assert rows[(c.other_dept, "2024-03")]["refused_owned_matter"] == 0
    # Queued for the justice bureau's ruling; nobody else reads the queue.
    r = await assist.svc.client.get(QUEUE, params={"ruling": "pending"}, headers=bureau(assist))
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["items"]] == [own["id"]]
    assert r.json()["items"][0]["ruling"] is None
    assert (await assist.svc.client.get(QUEUE, headers=assist.dept)).status_code == 403
    # A ruling needs a real reason, and only the justice bureau gives it.
    before = await assist.counts()
    r = await assist.post(
        own["id"], "ruling", await read(assist, own["id"]), decision="not-upheld", reason="不行"
    )
    await refused(assist, r, 422, "assistance-reason-missing", before)
    r = await assist.post(
        own["id"], "ruling", assist.dept, decision="upheld", reason="本局认为拒绝理由充分成立"
    )
    assert r.status_code == 403, r.text
    async with topic_reader(kafka_bootstrap, "assistance.refusal-ruled") as reader:
        r = await assist.post(
            own["id"],
            "ruling",
            await read(assist, own["id"]),
            decision="not-upheld",
            reason="所引条款规定的是定密程序，并不禁止向执法机关提供监测数据",
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda evs: any(e["subject"] == own["id"] for e in evs))
    ruling = r.json()["refusal"]["ruling"]
    assert ruling["decision"] == "not-upheld"
    assert ruling["ruled_by"]
    (event,) = [e["data"] for e in events if e["subject"] == own["id"]]
    assert event["decision"] == "not-upheld"
    assert event["department"] == c.dept
    assert await rules_of(assist, "rule-refusal") == ["ASSIST-03"]
    # Once ruled, it leaves the pending queue, and is ruled only once.
    r = await assist.svc.client.get(QUEUE, params={"ruling": "pending"}, headers=bureau(assist))
    assert r.json()["items"] == []
    r = await assist.svc.client.get(QUEUE, params={"ruling": "not-upheld"}, headers=bureau(assist))
    assert [x["id"] for x in r.json()["items"]] == [own["id"]]
    before = await assist.counts()
    r = await assist.post(
        own["id"],
        "ruling",
        await read(assist, own["id"]),
        decision="upheld",
        reason="复查后认为拒绝理由成立",
    )
    await refused(assist, r, 409, "assistance-refusal-not-open-to-ruling", before)
    # A refusal of a matter the department does not own is not for the bureau to rule on.
    r = await assist.post(
        other["id"],
        "ruling",
        await read(assist, other["id"]),
        decision="upheld",
        reason="该事项确非该局职权范围",
    )
    await refused(assist, r, 409, "assistance-refusal-not-open-to-ruling", before)


async def test_assist_03_the_town_contests_a_refusal_and_the_justice_bureau_sees_it(
    assist: Assist, kafka_bootstrap: str
) -> None:
    c = assist.codes
    own = await owned_refusal(assist)
    before = await assist.counts()
    # A non-party learns nothing.
    r = await assist.post(
        own["id"],
        "contest",
        assist.h(c.other_town, "handler"),
        reason="该局拒绝协助没有法律依据",
    )
    await refused(assist, r, 404, "not-found", before)
    r = await assist.post(own["id"], "contest", assist.town, reason="不服")
    await refused(assist, r, 422, "assistance-reason-missing", before)
    r = await assist.post(own["id"], "contest", assist.dept, reason="该局拒绝协助没有法律依据")
    assert r.status_code == 403, r.text
    async with topic_reader(kafka_bootstrap, "assistance.refusal-contested") as reader:
        r = await assist.post(
            own["id"],
            "contest",
            assist.town,
            reason="所引条款不禁止提供监测数据，该局拒绝协助没有法律依据",
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda evs: any(e["subject"] == own["id"] for e in evs))
    contest = r.json()["refusal"]["contest"]
    assert contest["reason"].startswith("所引条款")
    (event,) = [e["data"] for e in events if e["subject"] == own["id"]]
    assert (event["town"], event["department"]) == (c.town, c.dept)
    assert await rules_of(assist, "contest-refusal") == ["ASSIST-03"]
    r = await assist.svc.client.get(QUEUE, params={"contested": "true"}, headers=bureau(assist))
    assert [x["id"] for x in r.json()["items"]] == [own["id"]]
    assert r.json()["items"][0]["contest"]["reason"].startswith("所引条款")
    # Contested once.
    before = await assist.counts()
    r = await assist.post(own["id"], "contest", assist.town, reason="再次提出异议，请司法局裁决")
    await refused(assist, r, 409, "assistance-refusal-not-open-to-ruling", before)


async def test_assist_03_the_ruling_names_the_version_it_read(assist: Assist) -> None:
    """Like every state change read before it is made, the justice bureau's ruling carries
    the ETag it read as `If-Match`: none → 428; a contest the town made meanwhile → 412, so
    no ruling is given on a refusal as it no longer stands."""
    own = await owned_refusal(assist)
    seen = await read(assist, own["id"])
    r = await assist.svc.client.get(QUEUE, params={"ruling": "pending"}, headers=bureau(assist))
    [queued] = r.json()["items"]
    assert f'"{queued["version"]}"' == seen["If-Match"]
    ruling = {"decision": "upheld", "reason": "所引法律条款确实禁止提供该项数据"}
    before = await assist.counts()
    r = await assist.post(own["id"], "ruling", bureau(assist), **ruling)
    problem = await refused(assist, r, 428, "assistance-if-match-required", before)
    assert problem["rule"] == "ASSIST-03"
    r = await assist.post(
        own["id"], "contest", assist.town, reason="所引条款不禁止提供监测数据，拒绝没有依据"
    )
    assert r.status_code == 200, r.text
    # the contest's answer shows the version it made, the one a ruling now names
    now = await read(assist, own["id"])
    assert f'"{r.json()["version"]}"' == now["If-Match"] != seen["If-Match"]
    before = await assist.counts()
    r = await assist.post(own["id"], "ruling", seen, **ruling)
    problem = await refused(assist, r, 412, "assistance-request-changed", before)
    assert f'"{problem["version"]}"' != seen["If-Match"]
    r = await assist.post(own["id"], "ruling", {**seen, "If-Match": "*"}, **ruling)
    await refused(assist, r, 412, "assistance-request-changed", before)
    r = await assist.post(own["id"], "ruling", await read(assist, own["id"]), **ruling)
    assert r.status_code == 200, r.text
    assert r.json()["refusal"]["ruling"]["decision"] == "upheld"


async def test_assist_02_the_request_event_names_the_holder_of_the_materials(
    assist: Assist,
) -> None:
    """ASSIST-02: oversight judges a holder's refusal by what was asked of whom, so
    `assistance.requested` carries the named holder (none on the other grounds)."""
    c = assist.codes
    asked = await assist.submitted(
        department=c.other_dept,
        ground="held-by-another-agency",
        needed="调取涉案车辆登记信息",
        materials_holder=c.other_dept,
    )
    plain = await assist.submitted()
    async with assist.svc.ctx.db.session() as s:
        rows = (
            await s.execute(
                sa.select(outbox.c.key, outbox.c.envelope).where(
                    outbox.c.topic == "assistance.requested"
                )
            )
        ).all()
    data = {key: envelope["data"] for key, envelope in rows}
    assert data[asked["id"]]["materials_holder"] == c.other_dept
    assert data[plain["id"]]["materials_holder"] is None


async def test_assist_02_the_named_holder_of_the_materials_may_not_refuse_as_outside_powers(
    assist: Assist,
) -> None:
    c = assist.codes
    third = next(
        d.code
        for d in assist.svc.ctx.directory.departments()
        if d.code not in (c.dept, c.other_dept)
    )
    holder = assist.h(c.other_dept, "handler")
    asked = await assist.draft(
        department=c.other_dept,
        ground="held-by-another-agency",
        needed="调取涉案车辆登记信息",
        materials_holder=c.other_dept,
    )
    assert asked["within_powers"] is True
    assert asked["materials_holder"] == c.other_dept
    r = await assist.post(asked["id"], "submit", assist.town)
    assert r.status_code == 200, r.text
    before = await assist.counts()
    r = await assist.post(
        asked["id"], "refuse", holder, ground="outside-powers", reason="车辆信息不属本局协助范围"
    )
    problem = await refused(assist, r, 422, "assistance-within-powers", before)
    assert problem["rule"] == "ASSIST-03"
    # A department that neither owns the matter nor holds the materials may say so.
    elsewhere = await assist.draft(
        department=third,
        ground="held-by-another-agency",
        needed="调取涉案车辆登记信息",
        materials_holder=c.other_dept,
    )
    assert elsewhere["within_powers"] is False
    r = await assist.post(elsewhere["id"], "submit", assist.town)
    assert r.status_code == 200, r.text
    r = await assist.post(
        elsewhere["id"],
        "refuse",
        assist.h(third, "handler"),
        ground="outside-powers",
        reason="车辆登记信息由区公安交警部门掌握，不属本局职权范围",
    )
    assert r.status_code == 200, r.text
    assert r.json()["refusal"]["owned_matter"] is False
    # The holder is an organisation of the directory, named on ground 2 only.
    r = await assist.svc.client.post(
        "/assistance-requests",
        json={
            "matter_code": c.matter,
            "ground": "held-by-another-agency",
            "needed": "调取涉案车辆登记信息",
            "materials_holder": "dept:no-such-agency",
        },
        headers=assist.town,
    )
    assert r.status_code == 422, r.text
    r = await assist.svc.client.post(
        "/assistance-requests",
        json={
            "matter_code": c.matter,
            "ground": "technical-support",
            "needed": "请协助取样检测",
            "materials_holder": c.other_dept,
        },
        headers=assist.town,
    )
    assert r.status_code == 422, r.text
