"""SUP-02, the calendar watch: from XIETONG_CALENDAR_WATCH_FROM (default 1 December) while
next year's holiday schedule is not installed, oversight raises an alarm (kept, published as
`oversight.calendar-alarm`, counted in `xietong_oversight_calendar_alarms_total`) at most
once per China day, from its periodic job (run here by hand under the job's advisory lock,
with an injected clock), and its /readyz warns without failing.

chinesecalendar (the shipped schedules) knows 2026 but not 2027; the service's calendar
directory here is empty, so nothing installed adds 2027."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from oversight.main import SPEC
from oversight.models import Alarm
from oversight.service.alarms import calendar_alarm, calendar_watch_job
from prometheus_client import REGISTRY

from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ
from xietong_common.clock import FakeClock
from xietong_common.events.kafka import ensure_topics
from xietong_common.jobs import run_job_once
from xietong_devtools.testing import (
    TEST_NAMESPACE,
    RunningService,
    TopicReader,
    create_database,
    running_service,
)

pytestmark = pytest.mark.integration

BUREAU = "justice-bureau"


def _data_dir(tmp_path: Path) -> Path:
    """The shipped reference data, with a calendar directory of the test's own (empty)."""
    from xietong_common.settings import project_root

    data = tmp_path / "data"
    data.mkdir()
    for name in ("organisations.yaml", "matters.yaml"):
        (data / name).symlink_to(project_root() / "data" / name)
    (data / "calendar").mkdir()
    return data


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 30, 12, 0, tzinfo=CHINA_TZ))


async def _service(
    servers: Any, kafka_bootstrap: str, clock: FakeClock, tmp_path: Path, **overrides: Any
) -> Any:
    url = await create_database(servers, "oversight_calendar")
    return running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=clock,
        run_jobs=False,
        run_consumer=False,
        service_name=f"oversight-calendar-{uuid.uuid4().hex[:8]}",
        data_dir=_data_dir(tmp_path),
        **overrides,
    )


@pytest.fixture
async def svc(
    servers: Any, kafka_bootstrap: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[RunningService]:
    async with await _service(servers, kafka_bootstrap, clock, tmp_path) as s:
        yield s


async def watch(svc: RunningService) -> bool:
    """One turn of the calendar watch's periodic job, as a replica runs it (advisory lock)."""
    job = calendar_watch_job()
    return await run_job_once(svc.ctx.db, job.name, job.job(svc.ctx))


async def alarms(svc: RunningService) -> list[Alarm]:
    async with svc.ctx.db.session() as session:
        rows = await session.execute(
            sa.select(Alarm).where(Alarm.source == "calendar").order_by(Alarm.raised_at)
        )
        return list(rows.scalars())


def counted(year: int) -> float:
    found = REGISTRY.get_sample_value(
        "xietong_oversight_calendar_alarms_total", {"year": str(year)}
    )
    return found or 0.0


async def test_sup_02_the_calendar_watch_raises_an_alarm_once_a_day_from_1_december(
    svc: RunningService, clock: FakeClock, kafka_bootstrap: str
) -> None:
    await ensure_topics(kafka_bootstrap, ["oversight.calendar-alarm"], namespace=TEST_NAMESPACE)
    reader = TopicReader(kafka_bootstrap, ["oversight.calendar-alarm"])
    await reader.start()
    try:
        before = counted(2027)
        # 30 November (China time): not yet watched.
        assert await watch(svc)
        assert await alarms(svc) == []
        r = await svc.client.get("/readyz")
        assert r.status_code == 200
        assert r.json()["warnings"] == []

        # 1 December, 00:30 China time (still 30 November in UTC): the alarm, once.
        clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=CHINA_TZ))
        assert await watch(svc)
        assert await watch(svc)  # the same day again: nothing more
        clock.set(datetime(2026, 12, 1, 23, 0, tzinfo=CHINA_TZ))
        assert await watch(svc)
        (first,) = await alarms(svc)
        assert (first.kind, first.facts) == (
            "holiday-schedule-missing",
            {"year": 2027, "day": "2026-12-01", "watch_from": "12-01"},
        )
        assert "2027年节假日安排尚未导入" in first.detail_zh
        assert counted(2027) == before + 1
        # The readiness probe warns and stays ready.
        r = await svc.client.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ready"
        (warning,) = r.json()["warnings"]
        assert (warning["code"], warning["year"]) == ("holiday-schedule-missing", 2027)

        # The next day: the day's alarm.
        clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=CHINA_TZ))
        assert await watch(svc)
        assert [a.facts["day"] for a in await alarms(svc)] == ["2026-12-01", "2026-12-02"]
        assert counted(2027) == before + 2

        # Published through the outbox, one event per alarm.
        await svc.outbox_drained()
        events = await reader.collect(lambda es: len(es) >= 2, timeout_s=60)
        assert [(e["data"]["year"], e["data"]["day"]) for e in events] == [
            (2027, "2026-12-01"),
            (2027, "2026-12-02"),
        ]
        assert {e["type"] for e in events} == {"xietong.oversight.calendar-alarm.v1"}

        # The overseers see them beside the outsider's; a town may not.
        r = await svc.client.get(
            "/alarms", params={"source": "calendar"}, headers=svc.auth(BUREAU, "handler")
        )
        assert r.status_code == 200, r.text
        assert [a["facts"]["day"] for a in r.json()["items"]] == ["2026-12-02", "2026-12-01"]
        r = await svc.client.get("/alarms", headers=svc.auth("town:lizhi", "handler"))
        assert r.status_code == 403

        # A year whose next is known (2025 → 2026) is never an alarm.
        clock.set(datetime(2025, 12, 20, tzinfo=CHINA_TZ))
        assert await watch(svc)
        assert len(await alarms(svc)) == 2
    finally:
        await reader.stop()


async def test_sup_02_the_calendar_watch_starts_on_its_configured_date(
    servers: Any, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """XIETONG_CALENDAR_WATCH_FROM moves the watch's first day (here 15 November)."""
    clock = FakeClock(datetime(2026, 11, 14, 12, 0, tzinfo=CHINA_TZ))
    async with await _service(
        servers, kafka_bootstrap, clock, tmp_path, calendar_watch_from="11-15"
    ) as s:
        assert await watch(s)
        assert await alarms(s) == []
        clock.set(datetime(2026, 11, 15, 8, 0, tzinfo=CHINA_TZ))
        assert await watch(s)
        assert [(a.facts["day"], a.facts["watch_from"]) for a in await alarms(s)] == [
            ("2026-11-15", "11-15")
        ]
        assert (await s.client.get("/readyz")).json()["warnings"][0]["year"] == 2027


async def test_sup_02_a_calendar_alarm_rolled_back_and_retried_is_counted_once(
    svc: RunningService, clock: FakeClock
) -> None:
    """The alarm's counter moves with its commit: a job turn that fails after raising the
    day's alarm (rolled back: no alarm, no event) and is run again counts one alarm."""
    clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=CHINA_TZ))
    before = counted(2027)

    async def turn(*, fail: bool) -> None:
        db = svc.ctx.db
        async with db.uow(actor=Principal.system(db.service_name)) as uow:
            raised = await calendar_alarm(uow, year=2027, day=date(2026, 12, 3), watch_from="12-01")
            assert raised is not None
            if fail:
                raise RuntimeError("the turn fails after raising the alarm")

    with pytest.raises(RuntimeError, match="fails after raising"):
        await turn(fail=True)
    assert await alarms(svc) == []
    assert counted(2027) == before
    await turn(fail=False)  # the retry
    assert [a.facts["day"] for a in await alarms(svc)] == ["2026-12-03"]
    assert counted(2027) == before + 1
