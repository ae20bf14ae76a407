"""SEC-04 through the roster projection other mechanisms keep
(xietong_common.mechanisms.roster)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from backbone_support import Harness, harness
from xietong_common.auth import Principal
from xietong_common.contracts.secondment import RosterChanged, RosterOfficer, RosterVersion
from xietong_common.mechanisms.roster import _DDL, eligibility
from xietong_common.reference import SecondmentMode, load_catalogue, load_directory
from xietong_devtools.testing import Servers, create_database

pytestmark = pytest.mark.integration
SYSTEM = Principal.system("test")
CATALOGUE = load_catalogue(None, load_directory())


@pytest.fixture
async def h(servers: Servers) -> AsyncIterator[Harness]:
    url = await create_database(servers, "roster")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for statement in _DDL:
            await conn.exec_driver_sql(statement)
    await engine.dispose()
    async for value in harness(url):
        yield value


def roster(version: int, *, towns: list[str], effective: date, until: date) -> RosterChanged:
    return RosterChanged(
        team_id="team-water-1",
        version=version,
        department="dept:water",
        mode=SecondmentMode.ZONE,
        name="区水利局第一片区指导队",
        towns=["town:lizhi", "town:baitao"],
        valid_from=date(2024, 1, 1),
        valid_until=None,
        effective_from=effective,
        officers=[
            RosterOfficer(
                officer_id="off-1",
                name="张三",
                certificate_number="50010220240001",
                certificate_valid_until=until,
                towns=towns,
            )
        ],
        changed_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


async def apply(h: Harness, event: RosterChanged) -> bool:
    from xietong_common.mechanisms.roster import apply_roster

    async with h.db.uow(actor=SYSTEM) as uow:
        return await apply_roster(uow, event)


async def check(h: Harness, town: str, at: datetime, matter: str = "WAT-001") -> list[str]:
    async with h.db.session() as s:
        answer = await eligibility(
            s, catalogue=CATALOGUE, officer_id="off-1", matter_code=matter, town=town, at=at
        )
    return [] if answer.eligible else answer.reasons_en


async def test_sec_04_the_same_roster_twice_and_out_of_order_keeps_the_newer(h: Harness) -> None:
    newer = roster(2, towns=["town:baitao"], effective=date(2024, 1, 1), until=date(2026, 12, 31))
    older = roster(1, towns=["town:lizhi"], effective=date(2024, 1, 1), until=date(2026, 12, 31))
    assert await apply(h, newer) is True
    assert await apply(h, newer) is False  # redelivered: kept once
    assert await apply(h, older) is True  # arrives late, but version 2 is in effect
    at = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    assert await check(h, "town:baitao", at) == []
    assert await check(h, "town:lizhi", at) == ["he does not serve town:lizhi"]


async def test_sec_04_a_version_takes_effect_on_its_day(h: Harness) -> None:
    await apply(
        h, roster(1, towns=["town:lizhi"], effective=date(2024, 1, 1), until=date(2030, 1, 1))
    )
    await apply(
        h, roster(2, towns=["town:baitao"], effective=date(2024, 6, 1), until=date(2030, 1, 1))
    )
    may = datetime(2024, 5, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 May in China
    june = datetime(2024, 5, 31, 16, 0, tzinfo=UTC)  # 00:00 on 1 June in China
    assert await check(h, "town:lizhi", may) == []
    assert await check(h, "town:lizhi", june) == ["he does not serve town:lizhi"]


async def test_sec_04_certificate_valid_to_the_end_of_its_day_in_china_time(h: Harness) -> None:
    await apply(
        h, roster(1, towns=["town:lizhi"], effective=date(2024, 1, 1), until=date(2024, 3, 1))
    )
    last_minute = datetime(2024, 3, 1, 15, 59, 59, tzinfo=UTC)  # 23:59:59 CST on 1 March
    next_day = datetime(2024, 3, 1, 16, 0, tzinfo=UTC)  # 00:00 CST on 2 March
    assert await check(h, "town:lizhi", last_minute) == []
    reasons = await check(h, "town:lizhi", next_day)
    assert reasons
    assert "certificate is not valid" in reasons[0]


async def test_sec_04_only_his_departments_matters_delegated_to_towns(h: Harness) -> None:
    await apply(
        h, roster(1, towns=["town:lizhi"], effective=date(2024, 1, 1), until=date(2030, 1, 1))
    )
    at = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    other_department = next(m for m in CATALOGUE.all() if m.owner != "dept:water")
    reasons = await check(h, "town:lizhi", at, matter=other_department.code)
    assert reasons == [f"the matter {other_department.code} is not his department's (dept:water)"]
    assert await check(h, "town:lizhi", at, matter="NOPE") == [
        "the matter NOPE is not in the catalogue"
    ]
    unknown = await eligibility_of_stranger(h, at)
    assert unknown.startswith("not on the roster")


async def eligibility_of_stranger(h: Harness, at: datetime) -> str:
    async with h.db.session() as s:
        answer = await eligibility(
            s,
            catalogue=CATALOGUE,
            officer_id="nobody",
            matter_code="WAT-001",
            town="town:lizhi",
            at=at,
        )
    assert not answer.eligible
    return answer.reasons_en[0]


async def test_sec_04_a_certificate_names_the_roster_officer_in_effect(h: Harness) -> None:
    from xietong_common.mechanisms.roster import officers_with_certificate

    await apply(
        h, roster(1, towns=["town:lizhi"], effective=date(2024, 1, 1), until=date(2026, 1, 1))
    )
    async with h.db.session() as s:
        assert await officers_with_certificate(s, "50010220240001", date(2024, 3, 1)) == ["off-1"]
        assert await officers_with_certificate(s, "50010220240001", date(2023, 12, 31)) == []
        assert await officers_with_certificate(s, "50010220249999", date(2024, 3, 1)) == []


async def test_sec_04_a_future_version_carries_the_one_in_effect(h: Harness) -> None:
    """Compaction keeps a team's last event: one published before it takes effect carries the
    version in effect (`preceding`), so a consumer starting from that event alone is right."""
    today = roster(1, towns=["town:lizhi"], effective=date(2024, 1, 1), until=date(2030, 1, 1))
    later = roster(2, towns=["town:baitao"], effective=date(2024, 6, 1), until=date(2030, 1, 1))
    carried = RosterVersion.model_validate(
        today.model_dump(exclude={"team_id", "department", "mode"})
    )
    assert await apply(h, later.model_copy(update={"preceding": [carried]})) is True
    assert await check(h, "town:lizhi", datetime(2024, 3, 1, 2, 0, tzinfo=UTC)) == []
    assert await check(h, "town:baitao", datetime(2024, 6, 1, 2, 0, tzinfo=UTC)) == []
    assert await apply(h, today) is False  # already kept from `preceding`
