"""SEC-04: an officer acts only on his own department's empowered matters, in the towns his
team serves, while team and certificate are valid — answered by GET /eligibility, and the
same answer from a consumer's projection fed the events this service put on Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from xietong_common.auth import Principal
from xietong_common.backbone import create_backbone_schema
from xietong_common.clock import SystemClock
from xietong_common.contracts.secondment import RosterChanged
from xietong_common.db import Database
from xietong_common.mechanisms.roster import apply_roster, eligibility, roster_metadata
from xietong_devtools.testing import Servers, create_database, topic_reader

from .conftest import BAITAO, CHONGYI, ECOLOGY, HEADER, Svc, officer_row, refused, xlsx

pytestmark = pytest.mark.integration
TOPIC = RosterChanged.spec.topic
TEAM = "生态第一片区"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def ask(svc: Svc, officer: str, matter: str, town: str, at: datetime) -> dict[str, Any]:
    r = await svc.client.get(
        "/eligibility",
        params={"officer": officer, "matter": matter, "town": town, "at": at.isoformat()},
        headers=svc.h(town, "handler"),
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def roster(svc: Svc) -> tuple[str, str, str]:
    """An ecology zone team (白涛, 崇义) valid through 2024; 甲's certificate ends today
    (2024-03-01), 乙 serves 崇义 only."""
    team = await svc.team(ECOLOGY, TEAM, [BAITAO, CHONGYI], valid_until="2024-12-31")
    await svc.imported(
        ECOLOGY,
        xlsx(
            [
                HEADER,
                officer_row(1, "甲", "E0001", TEAM, until=date(2024, 3, 1)),
                officer_row(2, "乙", "E0002", TEAM, towns="崇义街道"),
            ]
        ),
    )
    return (
        team["id"],
        await svc.officer_id(ECOLOGY, "E0001"),
        await svc.officer_id(ECOLOGY, "E0002"),
    )


async def test_sec_04_a_certificate_is_valid_to_the_end_of_its_day_in_china_time(svc: Svc) -> None:
    _, jia, _ = await roster(svc)
    last_second = await ask(svc, jia, "ENV-002", BAITAO, utc(2024, 3, 1, 15, 59, 59))
    assert last_second["eligible"] is True, last_second
    assert last_second["day"] == "2024-03-01"
    next_day = await ask(svc, jia, "ENV-002", BAITAO, utc(2024, 3, 1, 16, 0))
    assert next_day["eligible"] is False
    assert next_day["day"] == "2024-03-02"
    assert "certificate is not valid" in next_day["reasons_en"][0]
    assert "执法证不在有效期内" in next_day["reasons_zh"][0]
    assert next_day["rule"] == "SEC-04"


async def test_sec_04_only_his_departments_matters_delegated_to_towns_in_his_towns(
    svc: Svc,
) -> None:
    _, _, yi = await roster(svc)
    at = utc(2024, 3, 1, 2, 0)
    assert (await ask(svc, yi, "ENV-002", CHONGYI, at))["eligible"] is True
    wrong_department = await ask(svc, yi, "WAT-001", CHONGYI, at)
    assert wrong_department["reasons_en"] == [
        "the matter WAT-001 is not his department's (dept:ecology-environment)"
    ]
    not_delegated = await ask(svc, yi, "ENV-001", CHONGYI, at)
    assert not_delegated["reasons_en"] == ["the matter ENV-001 is not one delegated to towns"]
    elsewhere = await ask(svc, yi, "ENV-002", BAITAO, at)
    assert elsewhere["reasons_en"] == [f"he does not serve {BAITAO}"]
    assert (await ask(svc, yi, "NOPE-1", CHONGYI, at))["eligible"] is False
    for stranger in ("00000000-0000-0000-0000-000000000000", "not-an-id"):
        answer = await ask(svc, stranger, "ENV-002", CHONGYI, at)
        assert answer["reasons_en"][0].startswith("not on the roster")
    r = await svc.client.get(
        "/eligibility",
        params={"officer": "x y", "matter": "ENV-002", "town": CHONGYI},
        headers=svc.h(CHONGYI),
    )
    refused(r, 422, "invalid-input")


@pytest.fixture
async def projection(servers: Servers) -> AsyncIterator[Database]:
    """A consumer's own database with the roster projection (as joint inspection keeps it)."""
    url = await create_database(servers, "projection")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(create_backbone_schema)
        await conn.run_sync(roster_metadata.create_all)
    await engine.dispose()
    db = Database(url, clock=SystemClock(), service_name="projection")
    yield db
    await db.dispose()


async def test_sec_04_the_projection_fed_from_kafka_answers_as_the_service(
    svc: Svc, kafka_bootstrap: str, projection: Database, servers: Servers
) -> None:
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        team_id, jia, yi = await roster(svc)
        # a later version, published now: from 1 April 乙 serves 白涛 instead of 崇义
        await svc.imported(
            ECOLOGY,
            xlsx(
                [
                    HEADER,
                    officer_row(1, "甲", "E0001", TEAM, until=date(2024, 3, 1)),
                    officer_row(2, "乙", "E0002", TEAM, towns="白涛街道"),
                ]
            ),
            effective_from="2024-04-01",
        )
        r = await svc.client.post(
            f"/teams/{team_id}/dissolve",
            json={"reason": "片区调整", "effective_from": "2024-05-01"},
            headers=svc.admin(ECOLOGY),
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda es: sum(e.get("subject") == team_id for e in es) >= 4)
    mine = [e for e in events if e.get("subject") == team_id]
    assert all(e["source"] == "/xietong/secondment" for e in mine)
    payloads = [RosterChanged.model_validate(e["data"]) for e in mine]
    assert [p.version for p in payloads] == [1, 2, 3, 4]
    assert [len(p.officers) for p in payloads] == [0, 2, 2, 2]  # the whole team, every time
    assert [[q.version for q in p.preceding] for p in payloads] == [[], [], [2], [2, 3]]

    async def apply(events: list[RosterChanged]) -> None:
        for event in events:
            async with projection.uow(actor=Principal.system("projection")) as uow:
                await apply_roster(uow, event)

    grid = [
        (who, matter, town, at)
        for who in (jia, yi, "nobody")
        for matter in ("ENV-002", "ENV-001", "WAT-001")
        for town in (BAITAO, CHONGYI)
        for at in (
            utc(2024, 3, 1, 15, 59, 59),
            utc(2024, 3, 1, 16, 0),
            utc(2024, 3, 31, 15, 59),
            utc(2024, 3, 31, 16, 0),
            utc(2024, 4, 30, 15, 59),
            utc(2024, 4, 30, 16, 0),
        )
    ]

    async def compare() -> int:
        agreed = 0
        for who, matter, town, at in grid:
            service = await ask(svc, who, matter, town, at)
            async with projection.session() as s:
                local = await eligibility(
                    s,
                    catalogue=svc.run.ctx.catalogue,
                    officer_id=who,
                    matter_code=matter,
                    town=town,
                    at=at,
                )
            assert (local.eligible, local.reasons_en) == (
                service["eligible"],
                service["reasons_en"],
            ), (who, matter, town, at)
            agreed += local.eligible
        return agreed

    # a consumer that joins later reads only the last event of the team (compaction): it
    # carries the versions still needed, so the answers are the same
    await apply(payloads[-1:])
    # 甲 in both towns on 1 March; 乙 in 崇义 in March, in 白涛 in April, nowhere from May
    assert await compare() == 7
    await apply(payloads)  # every event, again and out of order: kept once, same answers
    await apply(payloads[::-1])
    assert await compare() == 7
