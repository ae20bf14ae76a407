"""Every deadline tells what happened to it (SUP-01/SUP-02, issue 19): started, met (on time or
late), breached once, cancelled or closed with a reason, made final; each carrying who owes
what to whom, on which record, under which rule."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from backbone_support import Harness, harness
from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ, DeadlineRule, WorkingDayCalendar, install_schedule
from xietong_common.clock import FakeClock
from xietong_common.contracts.deadlines import DeadlineBreached, DeadlineLifecycle
from xietong_common.db import Database
from xietong_common.tables import deadlines as table
from xietong_devtools.testing import Servers, create_database

pytestmark = pytest.mark.integration

ANSWER = DeadlineRule.working_days(5, rule_id="REF-07")
SYSTEM = Principal.system("referral")
RECEIVER = Principal(org="dept:water", user="liaison-7", roles=frozenset({"handler"}))
# Thu 2024-03-07 10:00 CST: received; 5 working days → due Thu 2024-03-14 24:00 CST.
RECEIVED = datetime(2024, 3, 7, 10, tzinfo=CHINA_TZ)
DUE = datetime(2024, 3, 14, 16, tzinfo=UTC)


@pytest.fixture
async def h(servers: Servers) -> AsyncIterator[Harness]:
    url = await create_database(servers, "facts")
    async for value in harness(url):
        yield value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(RECEIVED)


@pytest.fixture
async def db(h: Harness, clock: FakeClock) -> AsyncIterator[Database]:
    database = Database(h.url, clock=clock, service_name="referral", source="/xietong/referral")
    yield database
    await database.dispose()


class Seen:
    """The deadline events the units of work of a test published, in order."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def add(self, uow: Any) -> None:
        self.events += list(uow.published)

    def facts(self, deadline_id: object = None) -> list[DeadlineLifecycle]:
        found = [
            DeadlineLifecycle.model_validate(e.data)
            for e in self.events
            if e.type == DeadlineLifecycle.spec.type
        ]
        return [f for f in found if deadline_id is None or f.deadline_id == str(deadline_id)]

    def kinds(self, deadline_id: object) -> list[str]:
        return [f.kind.value for f in self.facts(deadline_id)]

    def breaches(self) -> list[DeadlineBreached]:
        return [
            DeadlineBreached.model_validate(e.data)
            for e in self.events
            if e.type == DeadlineBreached.spec.type
        ]


async def start_answer(
    db: Database, seen: Seen, cal: WorkingDayCalendar, subject: str, **extra: Any
) -> deadlines.TrackedDeadline:
    async with db.uow(actor=RECEIVER) as uow:
        tracked = await deadlines.start(
            uow,
            calendar=cal,
            subject=subject,
            action="answer",
            rule=ANSWER,
            organisation="dept:water",
            counterparty="town:lizhi",
            started_at=extra.pop("started_at", RECEIVED),
            mechanism="referral",
            reference="涪移回〔2024〕12号",
            **extra,
        )
        seen.add(uow)
    return tracked


async def test_sup_02_one_missed_deadline_is_one_breach_when_the_sweep_came_before_the_late_action(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    """SUP-02: the sweep finds REF-07 missed (no-action); the receiver answers a week later.
    Before, the late answer published a second `deadline.breached` with the same id (and
    overwrote the breach); now it is the deadline's `met` fact, late, and the breach stays
    the one the sweep recorded."""
    cal, seen = WorkingDayCalendar.load(tmp_path), Seen()
    tracked = await start_answer(db, seen, cal, "referral:1")
    clock.set(DUE + timedelta(minutes=1))
    async with db.uow(actor=SYSTEM) as uow:
        assert await deadlines.sweep(uow, now=uow.now, mechanism="referral") == 1
        seen.add(uow)
    clock.set(DUE + timedelta(days=7))
    async with db.uow(actor=RECEIVER) as uow:
        met = await deadlines.satisfy(
            uow, subject="referral:1", action="answer", at=uow.now, mechanism="referral"
        )
        seen.add(uow)
    assert met is not None
    assert met.overdue_at_satisfaction
    (breach,) = seen.breaches()  # one missed deadline, one breach
    assert breach.deadline_id == str(tracked.id)
    assert breach.kind == "no-action"
    assert (breach.organisation, breach.counterparty) == ("dept:water", "town:lizhi")
    assert (breach.subject, breach.reference, breach.rule) == (
        "referral:1",
        "涪移回〔2024〕12号",
        "REF-07",
    )
    assert seen.kinds(tracked.id) == ["started", "breached", "met"]
    last = seen.facts(tracked.id)[-1]
    assert last.late is True
    assert last.satisfied_at == DUE + timedelta(days=7)
    assert (last.actor, last.actor_org) == ("liaison-7", "dept:water")
    async with db.session() as s:
        kind = (await s.execute(sa.select(table.c.breach_kind))).scalar_one()
    assert kind == "no-action"  # not overwritten by the late action


async def test_sup_02_a_late_action_before_the_sweep_is_the_one_breach_and_the_sweep_adds_none(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    cal, seen = WorkingDayCalendar.load(tmp_path), Seen()
    tracked = await start_answer(db, seen, cal, "referral:2")
    clock.set(DUE + timedelta(hours=2))
    async with db.uow(actor=RECEIVER) as uow:
        await deadlines.satisfy(
            uow, subject="referral:2", action="answer", at=uow.now, mechanism="referral"
        )
        seen.add(uow)
    async with db.uow(actor=SYSTEM) as uow:
        assert await deadlines.sweep(uow, now=uow.now, mechanism="referral") == 0
        seen.add(uow)
    (breach,) = seen.breaches()
    assert (breach.kind, breach.actual_at) == ("late-action", DUE + timedelta(hours=2))
    assert seen.kinds(tracked.id) == ["started", "breached", "met"]


async def test_sup_02_started_and_met_on_time_carry_the_record_and_the_parties(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    """The denominator: every deadline says it started, and whether it was met on time."""
    cal, seen = WorkingDayCalendar.load(tmp_path), Seen()
    tracked = await start_answer(db, seen, cal, "referral:3", assignee="liaison-7")
    clock.set(DUE - timedelta(hours=1))
    async with db.uow(actor=RECEIVER) as uow:
        await deadlines.satisfy(
            uow, subject="referral:3", action="answer", at=uow.now, mechanism="referral"
        )
        seen.add(uow)
    started, met = seen.facts(tracked.id)
    assert started.kind == "started"
    assert met.kind == "met"
    for fact in (started, met):
        assert fact.deadline_id == str(tracked.id)
        assert (fact.mechanism, fact.rule, fact.action) == ("referral", "REF-07", "answer")
        assert (fact.organisation, fact.counterparty) == ("dept:water", "town:lizhi")
        assert (fact.subject, fact.reference, fact.assignee) == (
            "referral:3",
            "涪移回〔2024〕12号",
            "liaison-7",
        )
        assert (fact.unit, fact.amount, fact.provisional) == ("working_days", 5, False)
        assert (fact.started_at, fact.due_at) == (RECEIVED, DUE)
    assert started.recorded_at == RECEIVED
    assert met.late is False
    assert seen.breaches() == []
    # Keyed by the deadline: one deadline's facts stay in order on one partition.
    keys = {e.subject for e in seen.events}
    assert keys == {"referral:3"}


@pytest.mark.parametrize("end", ["cancel", "close"])
async def test_sup_02_ending_a_deadline_says_why_and_never_erases_a_miss(
    db: Database, clock: FakeClock, tmp_path: Path, end: str
) -> None:
    """A deadline ended before its date is `cancelled` or `closed` with a reason, and never a
    breach; one ended after its date passed unmet, before the sweep reached it (REF-03: a
    withdrawn draft, a moved finding date), is recorded as missed first."""
    cal, seen = WorkingDayCalendar.load(tmp_path), Seen()
    early = await start_answer(db, seen, cal, "referral:4")
    late = await start_answer(db, seen, cal, "referral:5")
    ending = deadlines.cancel if end == "cancel" else deadlines.close
    async with db.uow(actor=RECEIVER) as uow:
        await ending(
            uow,
            subject="referral:4",
            action="answer",
            reason="draft-withdrawn",
            mechanism="referral",
        )
        seen.add(uow)
    clock.set(DUE + timedelta(minutes=5))
    async with db.uow(actor=RECEIVER) as uow:
        await ending(
            uow,
            subject="referral:5",
            action="answer",
            reason="draft-withdrawn",
            mechanism="referral",
        )
        seen.add(uow)
    kind = "cancelled" if end == "cancel" else "closed"
    assert seen.kinds(early.id) == ["started", kind]
    assert seen.kinds(late.id) == ["started", "breached", kind]
    ended = seen.facts(early.id)[-1]
    assert (ended.reason, ended.actor) == ("draft-withdrawn", "liaison-7")
    (breach,) = seen.breaches()
    assert (breach.deadline_id, breach.kind) == (str(late.id), "no-action")
    async with db.uow(actor=SYSTEM) as uow:  # nothing left for the sweep
        assert await deadlines.sweep(uow, now=uow.now, mechanism="referral") == 0
    async with db.uow(actor=RECEIVER) as uow:  # and nothing left to end
        assert (
            await ending(
                uow, subject="referral:5", action="answer", reason="x", mechanism="referral"
            )
            is None
        )


async def test_sup_02_a_provisional_deadline_is_started_met_and_made_final_then_judged(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    """RULES.md "Working days": a deadline reaching into a year nobody knows is provisional and
    counted in no breach, but it still says it started and was met; once the year is
    installed it is `made-final`, and a late action is its breach then."""
    overrides = tmp_path / "calendar"
    cal, seen = WorkingDayCalendar.load(overrides), Seen()
    found = datetime(2026, 12, 29, 10, tzinfo=CHINA_TZ)
    clock.set(found)
    tracked = await start_answer(db, seen, cal, "referral:6", started_at=found)
    assert tracked.provisional
    # Weekends alone: 30, 31 Dec, then 1, 4, 5 Jan 2027.
    assert tracked.due_at == datetime(2027, 1, 5, 16, tzinfo=UTC)
    clock.set(datetime(2027, 1, 6, 12, tzinfo=CHINA_TZ))
    async with db.uow(actor=RECEIVER) as uow:
        await deadlines.satisfy(
            uow, subject="referral:6", action="answer", at=uow.now, mechanism="referral"
        )
        seen.add(uow)
    started, met = seen.facts(tracked.id)
    assert started.provisional
    assert met.provisional
    assert met.late is None  # decided once the date is final
    assert seen.breaches() == []

    fixture = tmp_path / "FIXTURE-2027.yaml"  # TEST FIXTURE, not the real 2027 schedule
    fixture.write_text(
        "year: 2027\nholidays:\n  - {name: test-holiday, start: 2027-01-01, end: 2027-01-05}\n",
        encoding="utf-8",
    )
    install_schedule(fixture, overrides)
    assert cal.reload_if_changed()
    async with db.uow(actor=SYSTEM) as uow:
        assert await deadlines.recompute_provisional(uow, calendar=cal, mechanism="referral") == 1
        seen.add(uow)
    # 30, 31 Dec, then 6, 7, 8 Jan: due Fri 2027-01-08 24:00; answered on the 6th: on time.
    final = seen.facts(tracked.id)[-1]
    assert final.kind == "made-final"
    assert final.previous_due_at == datetime(2027, 1, 5, 16, tzinfo=UTC)
    assert final.due_at == datetime(2027, 1, 8, 16, tzinfo=UTC)
    assert (final.provisional, final.late) == (False, False)
    assert seen.breaches() == []


async def test_sup_02_a_provisional_deadline_met_after_its_final_date_is_breached_when_made_final(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    overrides = tmp_path / "calendar"
    cal, seen = WorkingDayCalendar.load(overrides), Seen()
    found = datetime(2026, 12, 29, 10, tzinfo=CHINA_TZ)
    clock.set(found)
    tracked = await start_answer(db, seen, cal, "referral:7", started_at=found)
    clock.set(datetime(2027, 1, 12, 12, tzinfo=CHINA_TZ))
    async with db.uow(actor=RECEIVER) as uow:
        await deadlines.satisfy(
            uow, subject="referral:7", action="answer", at=uow.now, mechanism="referral"
        )
        seen.add(uow)
    fixture = tmp_path / "FIXTURE-2027.yaml"
    fixture.write_text(
        "year: 2027\nholidays:\n  - {name: test-holiday, start: 2027-01-01, end: 2027-01-05}\n",
        encoding="utf-8",
    )
    install_schedule(fixture, overrides)
    cal.reload_if_changed()
    async with db.uow(actor=SYSTEM) as uow:
        await deadlines.recompute_provisional(uow, calendar=cal, mechanism="referral")
        seen.add(uow)
    assert seen.kinds(tracked.id) == ["started", "met", "made-final", "breached"]
    assert seen.facts(tracked.id)[2].late is True
    (breach,) = seen.breaches()
    assert (breach.kind, breach.provisional) == ("late-action", False)


@pytest.mark.parametrize("end", ["cancel", "close"])
async def test_sup_02_a_provisional_deadline_ended_after_its_final_date_is_breached_when_made_final(
    db: Database, clock: FakeClock, tmp_path: Path, end: str
) -> None:
    """Dodging a miss while the holiday year is unknown: a provisional date counts in no
    breach, so ending the case then records none. Once the year is installed, one ended after
    its final date was missed (no-action); one ended after its provisional date but before
    its final one was not (the provisional date was never the law)."""
    overrides = tmp_path / "calendar"
    cal, seen = WorkingDayCalendar.load(overrides), Seen()
    found = datetime(2026, 12, 29, 10, tzinfo=CHINA_TZ)
    clock.set(found)
    in_time = await start_answer(db, seen, cal, "referral:8", started_at=found)
    too_late = await start_answer(db, seen, cal, "referral:9", started_at=found)
    ending = deadlines.cancel if end == "cancel" else deadlines.close
    # Provisional due Tue 2027-01-05 24:00 (weekends only); the final one is Fri 01-08 24:00.
    for subject, at in (("referral:8", (2027, 1, 7, 12)), ("referral:9", (2027, 1, 11, 9))):
        clock.set(datetime(*at, tzinfo=CHINA_TZ))
        async with db.uow(actor=RECEIVER) as uow:
            await ending(
                uow,
                subject=subject,
                action="answer",
                reason="draft-withdrawn",
                mechanism="referral",
            )
            seen.add(uow)
    assert seen.breaches() == []  # nobody knew the final date yet
    fixture = tmp_path / "FIXTURE-2027.yaml"  # TEST FIXTURE, not the real 2027 schedule
    fixture.write_text(
        "year: 2027\nholidays:\n  - {name: test-holiday, start: 2027-01-01, end: 2027-01-05}\n",
        encoding="utf-8",
    )
    install_schedule(fixture, overrides)
    assert cal.reload_if_changed()
    async with db.uow(actor=SYSTEM) as uow:
        assert await deadlines.recompute_provisional(uow, calendar=cal, mechanism="referral") == 2
        seen.add(uow)
    kind = "cancelled" if end == "cancel" else "closed"
    assert seen.kinds(in_time.id) == ["started", kind, "made-final"]
    assert seen.kinds(too_late.id) == ["started", kind, "made-final", "breached"]
    (breach,) = seen.breaches()
    assert (breach.deadline_id, breach.kind, breach.provisional) == (
        str(too_late.id),
        "no-action",
        False,
    )
    assert breach.due_at == datetime(2027, 1, 8, 16, tzinfo=UTC)
    async with db.uow(actor=SYSTEM) as uow:  # made final once: a second run finds nothing
        assert await deadlines.recompute_provisional(uow, calendar=cal, mechanism="referral") == 0
        assert await deadlines.sweep(uow, now=uow.now, mechanism="referral") == 0


async def test_sup_02_deadlines_tracked_before_facts_existed_are_replayed_once_in_order(
    db: Database, clock: FakeClock
) -> None:
    """Rows from before backbone step 7 (`announced` false) get their facts published once,
    from the row, marked `replayed`, so a ledger counts them too."""
    ids = [uuid.uuid4() for _ in range(3)]
    rows = [
        # met late after the sweep had flagged it
        (ids[0], DUE + timedelta(days=2), None, DUE + timedelta(minutes=1), "no-action"),
        # ended (cancelled) before its date
        (ids[1], None, RECEIVED + timedelta(days=1), None, None),
        # still open
        (ids[2], None, None, None, None),
    ]
    async with db.uow(actor=SYSTEM) as uow:
        for deadline_id, satisfied, cancelled, breached, breach_kind in rows:
            await uow.session.execute(
                sa.insert(table).values(
                    id=deadline_id,
                    subject=f"referral:{deadline_id}",
                    action="answer",
                    rule="REF-07",
                    organisation="dept:water",
                    unit="working_days",
                    amount=5,
                    started_at=RECEIVED,
                    due_at=DUE,
                    provisional=False,
                    satisfied_at=satisfied,
                    cancelled_at=cancelled,
                    breached_at=breached,
                    breach_kind=breach_kind,
                )
            )
    seen = Seen()
    async with db.uow(actor=SYSTEM) as uow:
        assert await deadlines.announce_earlier(uow, mechanism="referral") == 3
        seen.add(uow)
    async with db.uow(actor=SYSTEM) as uow:
        assert await deadlines.announce_earlier(uow, mechanism="referral") == 0
    assert seen.kinds(ids[0]) == ["started", "breached", "met"]
    assert seen.kinds(ids[1]) == ["started", "cancelled"]
    assert seen.kinds(ids[2]) == ["started"]
    assert all(f.replayed and f.actor is None for f in seen.facts())
    assert seen.facts(ids[0])[-1].late is True
    assert seen.breaches() == []  # the alert was published when it happened


def breaches_counted() -> float:
    found = REGISTRY.get_sample_value(
        "xietong_deadline_breaches_total", {"service": "referral", "rule": "REF-07"}
    )
    return found or 0.0


async def test_sup_02_a_breach_rolled_back_and_swept_again_is_counted_once(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    """`xietong_deadline_breaches_total` moves with the breach's commit: a sweep that fails
    after recording it (rolled back: no breach, no event) and runs again counts one."""
    cal, seen = WorkingDayCalendar.load(tmp_path), Seen()
    await start_answer(db, seen, cal, "referral:1")
    clock.set(DUE + timedelta(minutes=1))
    before = breaches_counted()

    async def sweep(*, fail: bool) -> None:
        async with db.uow(actor=SYSTEM) as uow:
            assert await deadlines.sweep(uow, now=uow.now, mechanism="referral") == 1
            if fail:
                raise RuntimeError("the sweep fails after recording the breach")

    with pytest.raises(RuntimeError, match="after recording the breach"):
        await sweep(fail=True)
    assert breaches_counted() == before
    await sweep(fail=False)  # the next turn
    assert breaches_counted() == before + 1
    async with db.session() as s:
        assert (await s.execute(sa.select(table.c.breach_kind))).scalar_one() == "no-action"
