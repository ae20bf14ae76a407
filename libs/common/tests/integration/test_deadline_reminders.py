"""Issue 24: `deadline.approaching` from the periodic deadline sweep — once per lead time, never
for a deadline met or ended, moved when a holiday schedule is installed; the Spring Festival
and the calendar tests' made-up 2027 FIXTURE schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from backbone_support import harness
from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ, DeadlineRule, WorkingDayCalendar, install_schedule
from xietong_common.clock import FakeClock
from xietong_common.contracts.deadlines import DeadlineApproaching, DeadlineLifecycle
from xietong_common.db import Database
from xietong_common.jobs import deadline_sweep_job, run_job_once
from xietong_common.settings import ServiceSettings
from xietong_common.tables import deadlines as table
from xietong_common.tables import outbox
from xietong_devtools.testing import Servers, create_database

pytestmark = pytest.mark.integration

FIXTURE_2027 = Path(__file__).parents[1] / "unit" / "fixtures" / "FIXTURE-calendar-2027.yaml"
FIVE_DAYS = DeadlineRule.working_days(5, rule_id="REF-03")
SYSTEM = Principal.system("referral")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


class Ctx:
    """What the sweep job reads of a service's context."""

    def __init__(self, calendar: WorkingDayCalendar, clock: FakeClock) -> None:
        self.calendar = calendar
        self.clock = clock
        self.settings = ServiceSettings(service_name="referral")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(cst(2024, 2, 6, 9))


@pytest.fixture
async def db(servers: Servers, clock: FakeClock) -> AsyncIterator[Database]:
    url = await create_database(servers, "reminders")
    async for h in harness(url):
        database = Database(h.url, clock=clock, service_name="referral")
        yield database
        await database.dispose()


@pytest.fixture
def overrides(tmp_path: Path) -> Path:
    return tmp_path / "calendar"


@pytest.fixture
def sweep(db: Database, clock: FakeClock, overrides: Path) -> Any:
    calendar = WorkingDayCalendar.load(overrides)
    run = deadline_sweep_job("referral").job(Ctx(calendar, clock))  # type: ignore[arg-type]

    async def once() -> list[DeadlineApproaching]:
        async with db.session() as s:
            before = (await s.execute(sa.select(sa.func.max(outbox.c.id)))).scalar() or 0
        assert await run_job_once(db, "deadline-sweep", run)
        return [
            DeadlineApproaching.model_validate(e["data"])
            for e in await envelopes(db, "deadline.approaching", after=before)
        ]

    once.calendar = calendar  # type: ignore[attr-defined]
    return once


async def envelopes(db: Database, topic: str, *, after: int = 0) -> list[dict[str, Any]]:
    async with db.session() as s:
        rows = await s.execute(
            sa.select(outbox.c.envelope)
            .where(outbox.c.topic == topic, outbox.c.id > after)
            .order_by(outbox.c.id)
        )
        return [dict(r) for r in rows.scalars()]


async def start(db: Database, calendar: WorkingDayCalendar, subject: str, at: datetime) -> Any:
    async with db.uow(actor=SYSTEM) as uow:
        return await deadlines.start(
            uow,
            calendar=calendar,
            subject=subject,
            action="send",
            rule=FIVE_DAYS,
            organisation="town:lizhi",
            counterparty="dept:water",
            started_at=at,
            mechanism="referral",
        )


async def test_issue_24_approaching_once_per_lead_time_around_the_spring_festival(
    db: Database, clock: FakeClock, sweep: Any
) -> None:
    """Found Tue 2024-02-06 09:00, REF-03 due Mon 02-19 24:00: 2 working days before is 24:00
    on 除夕 (Fri 02-09), before the holiday; 4 hours before is 02-19 20:00."""
    cal = sweep.calendar
    tracked = await start(db, cal, "referral:1", clock.now())
    met = await start(db, cal, "referral:2", clock.now())
    ended = await start(db, cal, "referral:3", clock.now())
    assert await sweep() == []
    async with db.uow(actor=SYSTEM) as uow:
        await deadlines.satisfy(
            uow, subject="referral:2", action="send", at=uow.now, mechanism="referral"
        )
        await deadlines.close(
            uow, subject="referral:3", action="send", reason="draft-withdrawn", mechanism="referral"
        )
    clock.set(cst(2024, 2, 9, 23, 59))
    assert await sweep() == []
    clock.set(cst(2024, 2, 10, 0, 1))
    (two,) = await sweep()
    assert (two.deadline_id, two.lead, two.lead_unit, two.lead_amount) == (
        str(tracked.id),
        "2 working days",
        "working_days",
        2,
    )
    assert two.remind_at == cst(2024, 2, 10, 0)
    assert two.due_at == cst(2024, 2, 20, 0)
    assert two.working_days_left == 2  # Sun 02-18 (调休) and Mon 02-19
    assert (two.rule, two.organisation, two.counterparty, two.subject) == (
        "REF-03",
        "town:lizhi",
        "dept:water",
        "referral:1",
    )
    clock.set(cst(2024, 2, 15, 10))
    assert await sweep() == []  # once per lead time
    clock.set(cst(2024, 2, 19, 20, 1))
    (four,) = await sweep()
    assert (four.lead, four.working_days_left) == ("4 hours", 0)
    clock.set(cst(2024, 2, 19, 23))
    assert await sweep() == []
    clock.set(cst(2024, 2, 21, 9))
    assert await sweep() == []  # past due: the breach, not a reminder
    sent = await envelopes(db, "deadline.approaching")
    assert {e["data"]["deadline_id"] for e in sent} == {str(tracked.id)}  # not met, not ended
    assert str(met.id) != str(ended.id)
    async with db.session() as s:
        row = (await s.execute(sa.select(table).where(table.c.id == tracked.id))).mappings().one()
    assert sorted(row["reminded"]) == ["2 working days", "4 hours"]
    assert row["breached_at"] is not None


async def test_issue_24_reminders_move_when_a_holiday_schedule_is_installed(
    db: Database, clock: FakeClock, sweep: Any, overrides: Path
) -> None:
    """A deadline into 2027 (unknown: weekends only) is first planned for 2027-01-01 24:00;
    once the (made-up) 2027 FIXTURE is installed the sweep makes the deadline final (due
    01-07 24:00) and plans its reminder again, for 01-05 24:00: nothing comes at the old
    time."""
    clock.set(cst(2026, 12, 29, 10))
    tracked = await start(db, sweep.calendar, "referral:9", clock.now())
    assert tracked.provisional
    assert await sweep() == []
    async with db.session() as s:
        planned = (
            await s.execute(sa.select(table.c.next_reminder_at).where(table.c.id == tracked.id))
        ).scalar_one()
    assert planned == cst(2027, 1, 2, 0)

    install_schedule(FIXTURE_2027, overrides)
    clock.set(cst(2026, 12, 30, 9))
    assert await sweep() == []
    facts = [
        DeadlineLifecycle.model_validate(e["data"])
        for e in await envelopes(db, "deadline.lifecycle")
    ]
    assert [f.kind.value for f in facts] == ["started", "made-final"]
    assert facts[-1].due_at == cst(2027, 1, 8, 0)
    clock.set(cst(2027, 1, 2, 9))
    assert await sweep() == []  # the provisional moment no longer holds
    clock.set(cst(2027, 1, 6, 0, 1))
    (two,) = await sweep()
    assert (two.lead, two.provisional, two.remind_at) == (
        "2 working days",
        False,
        cst(2027, 1, 6, 0),
    )
    assert two.due_at == cst(2027, 1, 8, 0)


def reminders_counted(lead: str) -> float:
    found = REGISTRY.get_sample_value(
        "xietong_deadline_reminders_total", {"service": "referral", "lead": lead}
    )
    return found or 0.0


async def test_issue_24_a_reminder_rolled_back_and_sent_again_is_counted_once(
    db: Database, clock: FakeClock, sweep: Any
) -> None:
    """`xietong_deadline_reminders_total` moves with the reminder's commit: a sweep that
    fails after queuing one (rolled back: no event) and runs again counts one."""
    await start(db, sweep.calendar, "referral:1", clock.now())
    assert await sweep() == []
    clock.set(cst(2024, 2, 10, 0, 1))  # 2 working days before the due date
    before = reminders_counted("2 working days")
    run = deadline_sweep_job("referral").job(Ctx(sweep.calendar, clock))  # type: ignore[arg-type]

    async def failing_turn() -> None:
        async with db.uow(actor=SYSTEM) as uow:
            await run(uow)
            assert [e.type for e in uow.published] == [DeadlineApproaching.spec.type]
            raise RuntimeError("the sweep fails after queuing the reminder")

    with pytest.raises(RuntimeError, match="after queuing the reminder"):
        await failing_turn()
    assert reminders_counted("2 working days") == before
    (two,) = await sweep()  # the next turn
    assert two.lead == "2 working days"
    assert reminders_counted("2 working days") == before + 1


async def test_a_pass_plans_its_deadlines_in_one_statement_and_one_on_its_own_if_it_fails(
    db: Database, clock: FakeClock, sweep: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22: a pass writes every deadline's reminder state in one statement (500 were
    1,500 round trips and ~0.9 ms of CPU a deadline). Where that statement fails, each
    deadline is written on its own as before, and one whose plan cannot be worked out is
    logged, counted and skipped — the others' reminders still go (one bad row never stops
    the job)."""
    from xietong_common.deadlines import reminders
    from xietong_devtools.testing import every_statement

    cal = sweep.calendar
    good = [await start(db, cal, f"referral:{n}", clock.now()) for n in range(3)]
    broken = await start(db, cal, "referral:broken", cst(2024, 2, 6, 10))
    with every_statement(db) as seen:
        assert await sweep() == []
    assert sum(s.lstrip().startswith("UPDATE deadlines AS d") for s in seen) == 1
    async with db.session() as s:
        planned = (await s.execute(sa.select(table.c.next_reminder_at))).scalars().all()
    assert len(planned) == 4
    assert all(at is not None and at > clock.now() for at in planned)

    real_plan = reminders.plan

    def plan(**kwargs: Any) -> Any:
        if kwargs["started_at"] == broken.started_at:
            raise ValueError("a plan that cannot be worked out")
        return real_plan(**kwargs)

    monkeypatch.setattr(reminders, "plan", plan)
    monkeypatch.setattr(reminders, "_PLANNED", sa.text("SELECT CAST(:ids AS uuid[])[0] / 0"))
    failures = REGISTRY.get_sample_value(
        "xietong_job_row_failures_total", {"service": "referral", "job_name": reminders.REMIND}
    )
    clock.set(cst(2024, 2, 10, 0, 1))
    sent = await sweep()
    assert sorted(a.deadline_id for a in sent) == sorted(str(d.id) for d in good)
    after = REGISTRY.get_sample_value(
        "xietong_job_row_failures_total", {"service": "referral", "job_name": reminders.REMIND}
    )
    assert (after or 0) == (failures or 0) + 1
    async with db.session() as s:
        rows = (await s.execute(sa.select(table.c.subject, table.c.reminded))).all()
    assert {subject: list(reminded) for subject, reminded in rows} == {
        **{f"referral:{n}": ["2 working days"] for n in range(3)},
        "referral:broken": [],
    }
