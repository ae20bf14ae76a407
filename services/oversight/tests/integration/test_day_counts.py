"""SUP-02: the assessment reads day counts kept with the ledger (`ledger_deadline_days`,
`ledger_deadline_months`, `ledger_fact_days`), and they always say what the ledger's rows say: the assessment summed
from them equals the one counted deadline by deadline, before and after rulings, for
years, quarters, months, ranges and today; and a recount of the ledger makes the same rows.

The facts come through Kafka all at once, so the inbox hands them to the ledger in batches,
some twice (a redelivery, a replay under a new event id, a breach told twice)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from oversight import domain
from oversight.models import LedgerDeadlineDay, LedgerDeadlineMonth, LedgerFact, LedgerFactDay
from oversight.service import assessment, days

from xietong_common.auth import Principal
from xietong_common.contracts.assistance import (
    AssistanceObstructionFlagged,
    AssistanceRefusalRuled,
    AssistanceRefused,
)
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.deadlines import DeadlineLifecycle, LifecycleKind
from xietong_common.reference import OrgKind

from .conftest import Deadline, Ledger, dump

TOWN, OTHER_TOWN = "town:lizhi", "town:baitao"
DEPT, OTHER_DEPT = "dept:ecology-environment", "dept:water"
BUREAU = Principal(
    org="justice-bureau", user="justice-bureau/officer", roles=frozenset({"handler"})
)
RULES = {"REF-07": "referral", "REF-03": "referral", "ASSIST-03": "assistance"}


def deadline(due: datetime, org: str, rule: str = "REF-07", **kw: Any) -> Deadline:
    return Deadline(
        mechanism=RULES[rule],
        rule=rule,
        organisation=org,
        counterparty=TOWN if org != TOWN else DEPT,
        due_at=due,
        started_at=due - timedelta(days=9),
        **kw,
    )


def china(y: int, m: int, d: int, hour: int = 12) -> datetime:
    """A moment of a China day, in UTC."""
    return datetime(y, m, d, hour, tzinfo=UTC) - timedelta(hours=8)


def stories(now: datetime) -> list[tuple[Deadline, list[IntegrationEvent]]]:
    """Deadlines of 2024 and of today, each with what its service tells, in order."""
    told: list[tuple[Deadline, list[IntegrationEvent]]] = []
    for i, org in enumerate((DEPT, OTHER_DEPT, TOWN, OTHER_TOWN) * 3):
        rule = ("REF-07", "REF-03", "ASSIST-03")[i % 3]
        due = china(2024, 1 + i % 12, 3 + i)
        met_on_time, late = deadline(due, org, rule), deadline(due, org, rule)
        breached, open_, cancelled = (deadline(due, org, rule) for _ in range(3))
        closed = deadline(due + timedelta(days=1), org, rule)
        told += [
            (met_on_time, [met_on_time.started(), met_on_time.met(due - timedelta(days=1), late=False)]),
            (late, [late.started(), late.breached(), late.alert(), late.met(due + timedelta(days=2), late=True)]),
            (breached, [breached.started(), breached.alert(), breached.breached()]),
            (open_, [open_.started()]),
            (cancelled, [cancelled.started(), cancelled.ended(LifecycleKind.CANCELLED, "withdrawn", due - timedelta(days=2))]),
            (closed, [closed.started(), closed.ended(LifecycleKind.CLOSED, "concluded", due + timedelta(days=3))]),
        ]  # fmt: skip
    # China midnight: 23:59 of 31 March is March's, 00:00 of 1 April April's.
    for due in (china(2024, 3, 31, 23) + timedelta(minutes=59), china(2024, 4, 1, 0)):
        edge = deadline(due, DEPT)
        told.append((edge, [edge.started(), edge.breached()]))
    # Provisional, then made final on another day of another month (it moves).
    moved = deadline(china(2024, 12, 30), TOWN, provisional=True)
    final = DeadlineLifecycle(
        **moved.facts() | {"due_at": china(2025, 1, 3), "provisional": False},
        kind=LifecycleKind.MADE_FINAL,
        previous_due_at=moved.due_at,
        recorded_at=china(2024, 12, 1),
    )
    still = deadline(china(2024, 12, 31), OTHER_TOWN, provisional=True)
    told += [(moved, [moved.started(), final]), (still, [still.started()])]
    # Today: open ones due before now (overdue) and after (not yet).
    for due in (now - timedelta(minutes=30), now + timedelta(minutes=30)):
        if days.china_day(due) == days.china_day(now):
            today = deadline(due, DEPT)
            told.append((today, [today.started()]))
    return told


def facts_of_2024() -> list[tuple[IntegrationEvent, str, str]]:
    """Refusals, a ruling on one, a flag: (event, source, key)."""
    events: list[tuple[IntegrationEvent, str, str]] = []
    for month, owned in ((2, True), (5, False), (5, True)):
        request_id = str(uuid.uuid4())
        at = china(2024, month, 7)
        events.append(
            (
                AssistanceRefused(
                    request_id=request_id,
                    town=TOWN,
                    department=DEPT,
                    matter_code="ENV-002",
                    proposed_department=OTHER_DEPT,
                    ground="outside-powers",
                    reason="不属于本部门职权范围",
                    after_acceptance=False,
                    refused_at=at,
                    late=False,
                    owned_matter=owned,
                ),
                "assistance",
                request_id,
            )
        )
        if owned:
            events.append(
                (
                    AssistanceRefusalRuled(
                        request_id=request_id,
                        town=TOWN,
                        department=DEPT,
                        matter_code="ENV-002",
                        ground="outside-powers",
                        owned_matter=True,
                        contested=False,
                        decision="not-upheld",
                        reason="所引条款并不禁止提供",
                        ruled_at=at + timedelta(days=10),
                    ),
                    "assistance",
                    request_id,
                )
            )
    request_id = str(uuid.uuid4())
    at = china(2024, 6, 1)
    events.append(
        (
            AssistanceObstructionFlagged(
                request_id=request_id,
                flag_id=str(uuid.uuid4()),
                town=TOWN,
                department=OTHER_DEPT,
                kind="shirking",
                reason="多次催办无答复",
                state="requested",
                flagged_at=at,
                source="assistance",
                updated_at=at,
            ),
            "assistance",
            request_id,
        )
    )
    return events


async def _feed(ledger: Ledger) -> None:
    """Every story told at once (batches), some events twice."""
    now = datetime.now(UTC)
    ids: list[str] = []
    for d, events in stories(now):
        for n, event in enumerate(events):
            event_id = await ledger.publish(event, source=d.mechanism, key=d.deadline_id)
            ids.append(event_id)
            if n == 0:  # redelivered: the same event id again
                await ledger.publish(
                    event, source=d.mechanism, key=d.deadline_id, event_id=event_id
                )
        # replayed: the last fact again under a new event id
        ids.append(await ledger.publish(events[-1], source=d.mechanism, key=d.deadline_id))
    for event, source, key in facts_of_2024():
        ids.append(await ledger.publish(event, source=source, key=key))
    await ledger.until_handled(*ids)


async def _rule_some(ledger: Ledger) -> None:
    """SUP-01: an excused breach, a confirmed one, an excused refusal."""
    async with ledger.svc.ctx.db.session() as session:
        breaches = (
            (
                await session.execute(
                    sa.select(LedgerFact.id)
                    .where(LedgerFact.kind == "deadline.breached", LedgerFact.organisation == DEPT)
                    .order_by(LedgerFact.occurred_at)
                    .limit(2)
                )
            )
            .scalars()
            .all()
        )
        refusal = (
            await session.execute(
                sa.select(LedgerFact.id)
                .where(LedgerFact.kind == "assistance.refused")
                .order_by(LedgerFact.occurred_at)
                .limit(1)
            )
        ).scalar_one()
    for fact, outcome in (
        (breaches[0], "excused"),
        (breaches[1], "confirmed"),
        (refusal, "excused"),
    ):
        body = {"outcome": outcome} | (
            {"reason": "节假日安排发布晚"} if outcome == "excused" else {}
        )
        r = await ledger.svc.client.post(
            f"/items/{fact}/rulings", json=body, headers=ledger.h("justice-bureau")
        )
        assert r.status_code == 200, r.text


PERIODS: list[tuple[str | None, date | None, date | None]] = [
    ("2024", None, None),
    ("2024-Q1", None, None),
    ("2024-03", None, None),
    ("2024-04", None, None),
    ("2024-12", None, None),
    ("2025-01", None, None),
    (None, date(2024, 3, 31), date(2024, 4, 1)),
    (None, date(2024, 2, 10), date(2024, 9, 20)),
]
FILTERS = [
    assessment.AssessmentFilters(),
    assessment.AssessmentFilters(organisation=DEPT),
    assessment.AssessmentFilters(organisation_kind=OrgKind.TOWN),
    assessment.AssessmentFilters(rules=("REF-07", "ASSIST-03")),
    assessment.AssessmentFilters(mechanism="assistance"),
]


async def _both(
    ledger: Ledger, period: domain.Period, filters: assessment.AssessmentFilters, now: datetime
) -> tuple[list[domain.OrganisationFigures], list[domain.OrganisationFigures]]:
    async with ledger.svc.ctx.db.session() as session:
        args: dict[str, Any] = {
            "principal": BUREAU,
            "period": period,
            "filters": filters,
            "now": now,
        }
        return (
            await assessment.assess(session, **args),
            await assessment.assess_from_ledger(session, **args),
        )


async def test_sup_02_the_assessment_from_the_day_counts_equals_the_one_counted_from_the_ledger(
    ledger: Ledger,
) -> None:
    await _feed(ledger)
    now = datetime.now(UTC)
    today = days.china_day(now)
    periods = [
        *(domain.choose_period(p, f, t, today=today) for p, f, t in PERIODS),
        domain.choose_period(None, today, today, today=today),
        domain.choose_period(str(today.year), None, None, today=today),
    ]
    for ruled in (False, True):
        if ruled:
            await _rule_some(ledger)
        for period in periods:
            for filters in FILTERS:
                from_days, from_ledger = await _both(ledger, period, filters, now)
                assert from_days == from_ledger, (
                    period,
                    filters,
                    dump(from_days),
                    dump(from_ledger),
                )
    # The table is not empty and shows the rulings, the moves and today's overdue deadline.
    year, _ = await _both(ledger, periods[0], FILTERS[1], now)
    (dept,) = year
    assert dept.deadlines.values["breached"] >= 3, dump(dept)
    assert dept.rulings, dump(dept)
    assert dept.excused == {"breached": 1, "refusals": 1}, dump(dept)
    if days.china_day(now - timedelta(minutes=30)) == today:
        (mine,) = (await _both(ledger, periods[-2], FILTERS[1], now))[0]
        assert mine.deadlines.values["open_overdue"] == 1, dump(mine)
    # Through the REST API too (it reads the day counts).
    r = await ledger.svc.client.get(
        "/assessment", params={"period": "2024"}, headers=ledger.h("justice-bureau")
    )
    assert r.status_code == 200, r.text
    assert {row["organisation"] for row in r.json()["items"]} == {
        DEPT,
        OTHER_DEPT,
        TOWN,
        OTHER_TOWN,
    }


async def test_sup_02_the_day_counts_kept_with_each_fact_equal_a_recount_of_the_ledger(
    ledger: Ledger,
) -> None:
    await _feed(ledger)

    async def rows(session: Any) -> list[set[tuple[Any, ...]]]:
        found = []
        for model in (LedgerDeadlineDay, LedgerDeadlineMonth):
            found.append(
                {
                    tuple(r)
                    for r in (await session.execute(sa.select(model.__table__))).all()
                    if any(r[4:])  # a day whose deadlines all moved away counts nothing
                }
            )
        facts = (await session.execute(sa.select(LedgerFactDay.__table__))).all()
        return [*found, {tuple(r) for r in facts}]

    async with ledger.svc.ctx.db.session() as session, session.begin():
        kept = await rows(session)
        await days.recount(session)
        recounted = await rows(session)
        await session.rollback()
    assert kept == recounted
    assert all(kept)
    assert all(min(r[4:]) >= 0 for table in kept[:2] for r in table)
