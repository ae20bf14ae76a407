"""ASSIST-02 with SEC-04: the officers a department names on accepting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from xietong_devtools.testing import topic_reader

from .conftest import Assist, refused, roster_event

pytestmark = pytest.mark.integration

SECONDED = {
    "name": "赵六",
    "certificate_number": "50010220249042",
    "seconded": True,
    "officer_id": "off-0042",
}


async def accept(
    assist: Assist, rid: str, *officers: dict[str, Any], org: str | None = None
) -> Any:
    return await assist.post(
        rid,
        "accept",
        assist.h(org or assist.codes.dept, "handler"),
        officers=list(officers),
        agreed_completion_date="2024-03-08",
    )


async def test_assist_02_sec_04_an_eligible_seconded_officer_is_named(assist: Assist) -> None:
    await assist.roster()
    request = await assist.submitted()
    r = await accept(assist, request["id"], SECONDED, assist.own_officer())
    assert r.status_code == 200, r.text
    seconded = r.json()["officers"][0]
    assert seconded["seconded"] is True
    assert seconded["team_id"] == "team-1"
    assert seconded["eligibility"]["eligible"] is True


async def test_assist_02_sec_04_an_ineligible_officer_is_refused_and_nothing_changes(
    assist: Assist,
) -> None:
    # His certificate ran out before the acceptance (Fri 1 Mar 2024).
    await assist.roster(certificate_valid_until=date(2024, 2, 29))
    request = await assist.submitted()
    before = await assist.counts()
    problem = await refused(
        assist,
        await accept(assist, request["id"], SECONDED),
        422,
        "assistance-officer-ineligible",
        before,
    )
    assert problem["rule"] == "SEC-04"
    (officer,) = problem["officers"]
    assert officer["officer_id"] == "off-0042"
    assert any("执法证" in reason for reason in officer["reasons_zh"])


async def test_assist_02_sec_04_an_officer_serving_other_towns_is_refused(assist: Assist) -> None:
    await assist.roster(towns=[assist.codes.other_town])
    request = await assist.submitted()
    before = await assist.counts()
    problem = await refused(
        assist,
        await accept(assist, request["id"], SECONDED),
        422,
        "assistance-officer-ineligible",
        before,
    )
    assert any(assist.codes.town in r for r in problem["officers"][0]["reasons_en"])


async def test_assist_02_sec_04_an_officer_not_on_any_roster_cannot_be_named_as_seconded(
    assist: Assist,
) -> None:
    request = await assist.submitted()
    before = await assist.counts()
    problem = await refused(
        assist,
        await accept(assist, request["id"], SECONDED),
        422,
        "assistance-officer-ineligible",
        before,
    )
    assert "roster" in problem["officers"][0]["reasons_en"][0]


async def test_assist_02_sec_04_a_seconded_officer_cannot_be_passed_off_as_own_staff(
    assist: Assist,
) -> None:
    # The certificate is on the roster of another department: not this department's officer,
    # whatever `seconded` says.
    await assist.roster(department=assist.codes.other_dept)
    request = await assist.submitted()
    before = await assist.counts()
    disguised = {"name": "赵六", "certificate_number": "50010220249042"}
    problem = await refused(
        assist,
        await accept(assist, request["id"], disguised),
        422,
        "assistance-officer-ineligible",
        before,
    )
    assert any(assist.codes.other_dept in r for r in problem["officers"][0]["reasons_en"])


async def test_assist_02_sec_04_own_seconded_officer_on_a_matter_not_delegated_to_towns_is_refused(
    assist: Assist,
) -> None:
    await assist.roster()
    request = await assist.submitted(matter_code=assist.codes.dept_level_matter)
    before = await assist.counts()
    await refused(
        assist,
        await accept(assist, request["id"], SECONDED),
        422,
        "assistance-officer-ineligible",
        before,
    )
    # The department's own staff may do it.
    assert (await accept(assist, request["id"], assist.own_officer())).status_code == 200


async def test_assist_02_sec_04_the_roster_arrives_from_the_secondment_service_only(
    assist: Assist, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    # Unique names: other services' tests publish rosters on the same broker.
    tag = uuid.uuid4().hex[:8]
    officer = {
        **SECONDED,
        "officer_id": f"off-{tag}",
        "certificate_number": f"5001029{int(tag, 16) % 10**7:07d}",
    }
    request = await assist.submitted()
    forged = roster_event(
        officer_id=officer["officer_id"],
        certificate=officer["certificate_number"],
        department=assist.codes.dept,
        towns=[assist.codes.town],
        certificate_valid_until=date(2026, 12, 31),
        team_id=f"team-forged-{tag}",
        version=1,
    )
    async with topic_reader(kafka_bootstrap, "secondment.roster-changed.dlq") as dlq:
        event_id = await publish(forged, key=forged.team_id, source="/xietong/assistance")
        await dlq.collect(lambda evs: any(e.get("id") == event_id for e in evs))
    assert forged.team_id not in await teams(assist)
    before = await assist.counts()
    await refused(
        assist,
        await accept(assist, request["id"], officer),
        422,
        "assistance-officer-ineligible",
        before,
    )
    real = forged.model_copy(update={"team_id": f"team-real-{tag}"})
    await publish(real, key=real.team_id, source="/xietong/secondment")
    for _ in range(100):
        if real.team_id in await teams(assist):
            break
        await asyncio.sleep(0.1)
    r = await accept(assist, request["id"], officer)
    assert r.status_code == 200, r.text
    assert r.json()["officers"][0]["team_id"] == real.team_id
    assert forged.team_id not in await teams(assist)


async def teams(assist: Assist) -> list[str]:
    async with assist.svc.ctx.db.session() as s:
        return list((await s.execute(sa.text("SELECT team_id FROM roster_versions"))).scalars())
