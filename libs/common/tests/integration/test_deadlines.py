"""Tracked deadlines: late actions and silent expiries are breaches; provisional ones wait."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from backbone_support import Harness, harness
from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ, DeadlineRule, WorkingDayCalendar, install_schedule
from xietong_common.clock import FakeClock
from xietong_common.contracts.deadlines import DeadlineBreached, DeadlineLifecycle
from xietong_common.tables import deadlines as deadline_rows
from xietong_common.uow import UnitOfWork
from xietong_devtools.testing import Servers, create_database, every_statement

pytestmark = pytest.mark.integration

ANSWER = DeadlineRule.working_days(5, rule_id="REF-07")
SYSTEM = Principal.system("test")


@pytest.fixture
async def h(servers: Servers) -> AsyncIterator[Harness]:
    url = await create_database(servers, "deadlines")
    async for value in harness(url):
        yield value


def breaches(uow: object) -> list[DeadlineBreached]:
    return [
        DeadlineBreached.model_validate(e.data)
        for e in uow.published  # type: ignore[attr-defined]
        if e.type == DeadlineBreached.spec.type
    ]


async def test_late_action_is_a_recorded_breach(h: Harness, tmp_path: Path) -> None:
    cal = WorkingDayCalendar.load(tmp_path)
    received = datetime(2024, 9, 27, 9, 0, tzinfo=CHINA_TZ)  # before National Day 2024
    async with h.db.uow(actor=SYSTEM) as uow:
        tracked = await deadlines.start(
            uow,
            calendar=cal,
            subject="referral:1",
            action="answer",
            rule=ANSWER,
            organisation="dept:water",
            counterparty="town:baitao",
            mechanism="referral",
            started_at=received,
        )
    assert tracked.due_at == datetime(2024, 10, 10, 16, 0, tzinfo=UTC)
    on_time = datetime(2024, 10, 10, 15, 0, tzinfo=UTC)
    async with h.db.uow(actor=SYSTEM) as uow:
        await deadlines.satisfy(
            uow, subject="referral:1", action="answer", at=on_time, mechanism="referral"
        )
        assert breaches(uow) == []

    async with h.db.uow(actor=SYSTEM) as uow:
        await deadlines.start(
            uow,
            calendar=cal,
            subject="referral:2",
            action="answer",
            rule=ANSWER,
            organisation="dept:water",
            counterparty="town:baitao",
            mechanism="referral",
            started_at=received,
        )
    late = datetime(2024, 10, 11, 1, 0, tzinfo=UTC)
    async with h.db.uow(actor=SYSTEM) as uow:
        await deadlines.satisfy(
            uow, subject="referral:2", action="answer", at=late, mechanism="referral"
        )
        (breach,) = breaches(uow)
    assert breach.kind == "late-action"
    assert breach.organisation == "dept:water"
    assert breach.rule == "REF-07"
    assert breach.actual_at == late


async def test_sweep_flags_deadlines_that_passed_with_nothing_done_once(
    h: Harness, tmp_path: Path
) -> None:
    cal = WorkingDayCalendar.load(tmp_path)
    clock = FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))
    async with h.db.uow(actor=SYSTEM) as uow:
        await deadlines.start(
            uow,
            calendar=cal,
            subject="review:9",
            action="supply-materials",
            rule=ANSWER,
            organisation="town:lizhi",
            counterparty="town:baitao",
            mechanism="referral",
            started_at=clock.now(),
        )
    async with h.db.uow(actor=SYSTEM) as uow:
        assert (
            await deadlines.sweep(uow, now=datetime(2024, 3, 8, 15, 59, tzinfo=UTC), mechanism="x")
            == 0
        )
    async with h.db.uow(actor=SYSTEM) as uow:
        assert (
            await deadlines.sweep(uow, now=datetime(2024, 3, 8, 16, 1, tzinfo=UTC), mechanism="x")
            == 1
        )
        (breach,) = breaches(uow)
        assert breach.kind == "no-action"
    async with h.db.uow(actor=SYSTEM) as uow:
        assert await deadlines.sweep(uow, now=datetime(2024, 4, 1, tzinfo=UTC), mechanism="x") == 0


async def test_provisional_deadline_counts_no_breach_until_the_year_is_loaded(
    h: Harness, tmp_path: Path
) -> None:
    overrides = tmp_path / "calendar"
    cal = WorkingDayCalendar.load(overrides)
    found = datetime(2026, 12, 29, 10, 0, tzinfo=CHINA_TZ)
    async with h.db.uow(actor=SYSTEM) as uow:
        tracked = await deadlines.start(
            uow,
            calendar=cal,
            subject="referral:3",
            action="send",
            rule=ANSWER,
            organisation="town:lizhi",
            counterparty="town:baitao",
            mechanism="referral",
            started_at=found,
        )
    assert tracked.provisional
    async with h.db.uow(actor=SYSTEM) as uow:
        assert await deadlines.sweep(uow, now=datetime(2027, 3, 1, tzinfo=UTC), mechanism="x") == 0
        await deadlines.satisfy(
            uow,
            subject="referral:3",
            action="send",
            at=datetime(2027, 1, 7, 12, 0, tzinfo=CHINA_TZ),
            mechanism="referral",
        )
        assert breaches(uow) == []  # provisional: no breach counted yet

    fixture = tmp_path / "fixture-2027.yaml"  # TEST FIXTURE, not the real 2027 schedule
    fixture.write_text(
        "year: 2027\nholidays:\n  - {name: test-holiday, start: 2027-01-01, end: 2027-01-04}\n",
        encoding="utf-8",
    )
    install_schedule(fixture, overrides)
    cal.reload_if_changed()
    async with h.db.uow(actor=SYSTEM) as uow:
        assert await deadlines.recompute_provisional(uow, calendar=cal, mechanism="referral") == 1
        assert breaches(uow) == []  # final due: 2027-01-07 24:00 CST; sent on the 7th at noon
        (final,) = await deadlines.for_subject(uow, "referral:3")
    assert not final.provisional
    assert final.due_at == datetime(2027, 1, 8, 0, 0, tzinfo=CHINA_TZ)


async def test_sup_02_one_broken_row_does_not_stop_the_sweep(h: Harness, tmp_path: Path) -> None:
    """SUP-02: a deadline whose start is -infinity (what a year-1 input once stored) made every
    sweep fail (`event_time must be timezone-aware`), so no deadline of any case was swept.
    Each row is handled on its own: the broken one is logged, counted and skipped (not tried
    again at once), the others are swept."""
    import uuid

    import sqlalchemy as sa
    from prometheus_client import REGISTRY

    from xietong_common.clock import SystemClock
    from xietong_common.jobs import deadline_sweep_job, run_job_once
    from xietong_common.settings import ServiceSettings
    from xietong_common.tables import deadlines as table

    mechanism = f"m{uuid.uuid4().hex[:6]}"  # a fresh quarantine and metric labels
    cal = WorkingDayCalendar.load(tmp_path)
    async with h.db.uow(actor=SYSTEM) as uow:
        good = await deadlines.start(
            uow,
            calendar=cal,
            subject="referral:good",
            action="answer",
            rule=ANSWER,
            organisation="dept:water",
            counterparty="town:baitao",
            mechanism="referral",
            started_at=datetime(2024, 3, 1, 2, tzinfo=UTC),
        )
        for subject, provisional in (("referral:broken", True), ("referral:broken-2", False)):
            await uow.session.execute(
                sa.text(
                    "INSERT INTO deadlines (id, subject, action, rule, organisation, unit, amount,"
                    " started_at, due_at, provisional) VALUES (:id, :subject, 'send', 'REF-03',"
                    " 'town:lizhi', 'working_days', 5, '-infinity', CAST(CAST(:due AS text) AS timestamptz),"
                    " :provisional)"
                ),
                {
                    "id": uuid.uuid4(),
                    "subject": subject,
                    "due": "-infinity" if not provisional else "2027-01-05T16:00:00Z",
                    "provisional": provisional,
                },
            )

    def failures(job: str) -> float:
        value = REGISTRY.get_sample_value(
            "xietong_job_row_failures_total", {"service": mechanism, "job_name": job}
        )
        return value or 0.0

    class Ctx:  # what the sweep job reads of the context
        calendar = cal
        clock = SystemClock()
        settings = ServiceSettings(service_name=mechanism)

    run = deadline_sweep_job(mechanism).job(Ctx())  # type: ignore[arg-type]
    assert await run_job_once(h.db, "deadline-sweep", run)
    async with h.db.session() as s:
        rows = {
            r.subject: r.breached_at
            for r in (await s.execute(sa.select(table.c.subject, table.c.breached_at))).all()
        }
    assert rows["referral:good"] is not None  # swept although the others are broken
    assert rows["referral:broken"] is None
    recompute_failures = failures("deadline-recompute")
    assert recompute_failures == 1
    # The broken rows are skipped on the next run, not retried in a tight loop.
    assert await run_job_once(h.db, "deadline-sweep", run)
    assert failures("deadline-recompute") == recompute_failures
    assert good.id is not None


async def test_sup_02_a_periodic_job_records_its_failures_and_last_success(h: Harness) -> None:
    """A failed run is counted and tried again at the next interval; a finished run sets
    xietong_job_last_success_timestamp_seconds (what an operator alerts on)."""
    import asyncio
    import contextlib
    import time

    from prometheus_client import REGISTRY

    from xietong_common.jobs import run_periodically

    runs = 0

    async def job(uow: object) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("the first run fails")

    name = f"job-{time.monotonic_ns()}"
    task = asyncio.create_task(run_periodically(h.db, name, job, every_s=0.05))
    # Bounded generously: each run is a transaction, slow on a busy box (5 s was too short).
    waited_until = time.monotonic() + 120
    while runs < 2 and time.monotonic() < waited_until:
        await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    labels = {"service": h.db.service_name, "job_name": name}
    assert REGISTRY.get_sample_value("xietong_job_failures_total", labels) == 1
    last = REGISTRY.get_sample_value("xietong_job_last_success_timestamp_seconds", labels)
    assert last is not None
    assert abs(last - time.time()) < 60


async def test_an_agreed_date_is_a_final_deadline_and_closing_never_erases_a_miss(
    h: Harness,
) -> None:
    """ASSIST-02/04: a completion date agreed as a moment; a case that ends another way closes
    what was owed, recording first a deadline that had already passed unmet."""
    now = datetime.now(UTC)
    started = now - timedelta(days=10)
    coming, passed = now + timedelta(days=7), now - timedelta(days=1)
    async with h.db.uow(actor=SYSTEM) as uow:
        tracked = await deadlines.start_until(
            uow,
            subject="assistance:1",
            action="complete",
            rule_id="ASSIST-04",
            organisation="dept:water",
            counterparty="town:baitao",
            mechanism="referral",
            started_at=started,
            due_at=coming,
        )
        await deadlines.start_until(
            uow,
            subject="assistance:2",
            action="complete",
            rule_id="ASSIST-04",
            organisation="dept:water",
            counterparty="town:baitao",
            mechanism="referral",
            started_at=started,
            due_at=passed,
        )
    assert (tracked.due_at, tracked.provisional) == (coming, False)
    async with h.db.uow(actor=SYSTEM) as uow:
        await deadlines.close(
            uow,
            subject="assistance:1",
            action="complete",
            reason="request-withdrawn",
            mechanism="assistance",
        )
        assert breaches(uow) == []
        assert await deadlines.find_open(uow, subject="assistance:1", action="complete") is None
    async with h.db.uow(actor=SYSTEM) as uow:
        await deadlines.close(
            uow,
            subject="assistance:2",
            action="complete",
            reason="request-withdrawn",
            mechanism="assistance",
        )
        (breach,) = breaches(uow)
    assert (breach.kind, breach.rule, breach.action) == ("no-action", "ASSIST-04", "complete")
    async with h.db.uow(actor=SYSTEM) as uow:  # closed: the sweep finds nothing more
        assert await deadlines.sweep(uow, now=datetime.now(UTC), mechanism="assistance") == 0


async def test_a_started_deadline_is_written_before_the_next_statement_or_at_commit(
    h: Harness, tmp_path: Path
) -> None:
    """Issue 22: a new deadline's row is written later — before the unit of work's next
    statement, which so reads it, or at commit in one statement with the outbox rows (its
    fact) and the audit rows, the last — and not at all when the savepoint it was started in
    fails; its fact is the one it had when the row was read back from its INSERT."""
    cal = WorkingDayCalendar.load(tmp_path)
    started_at = datetime(2024, 3, 4, 9, 0, tzinfo=CHINA_TZ)

    async def start(uow: UnitOfWork, subject: str) -> deadlines.TrackedDeadline:
        return await deadlines.start(
            uow,
            calendar=cal,
            subject=subject,
            action="answer",
            rule=ANSWER,
            organisation="dept:water",
            counterparty="town:baitao",
            mechanism="referral",
            started_at=started_at,
        )

    async def failing(uow: UnitOfWork) -> None:
        async with uow.savepoint():
            await start(uow, "referral:3")
            raise RuntimeError("this row only")

    clerk = Principal(org="town:baitao", user="li.si", roles=frozenset({"clerk"}))
    with every_statement(h.db) as seen:
        async with h.db.uow(actor=clerk) as uow:
            first = await start(uow, "referral:1")
            assert seen == []
            found = await deadlines.find_open(uow, subject="referral:1", action="answer")
            assert found == first
            assert len(seen) == 2, seen  # the row, then the statement that reads it
            await start(uow, "referral:2")
            with pytest.raises(RuntimeError, match="this row only"):
                await failing(uow)
            last = await start(uow, "referral:4")
            uow.audit(action="deadline-started", subject="referral:4", rule="REF-07")
            facts = [DeadlineLifecycle.model_validate(e.data) for e in uow.published]
            seen.clear()
    (commit,) = seen
    assert "INSERT INTO deadlines" in commit
    assert "INSERT INTO outbox" in commit
    assert "audit_head" in commit
    assert [f.subject for f in facts] == ["referral:1", "referral:2", "referral:4"]
    assert facts[-1].started_at == started_at
    assert facts[-1].started_at.utcoffset() == timedelta(0)
    assert facts[-1].due_at == last.due_at
    async with h.db.session() as s:
        rows = (
            await s.execute(
                sa.select(deadline_rows.c.subject, deadline_rows.c.due_at).order_by(
                    deadline_rows.c.subject
                )
            )
        ).all()
    assert [r.subject for r in rows] == ["referral:1", "referral:2", "referral:4"]
    assert rows[-1].due_at == last.due_at
