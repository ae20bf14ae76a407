"""The ledger (SUP-02): every accountability fact once, from the service that owns it.

A fact is keyed by what makes it the same fact (`fact_key`), not by the event that told it:
a deadline's breach is `<deadline_id>:breached` whether it came on `deadline.breached` or
`deadline.lifecycle`, first or replayed, so it is counted once. A deadline's later facts
never undo an earlier breach (a late `met`, a `closed` after the date: the breach stays),
and the organisation that owed it is the one first told (responsibility does not move).

Deadline facts come in batches (`record_deadline_facts`: the inbox's batch of one partition,
in order): a few statements for the batch, each fact applied as if alone. Every change is
counted in the day counts (`days`) in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from oversight import domain
from oversight.errors import NotItsFact
from oversight.models import LedgerDeadline, LedgerFact
from oversight.service import arrays
from oversight.service.common import DEADLINE
from oversight.service.days import DayCounts, DeadlineState
from xietong_common.contracts.deadlines import (
    DeadlineBreached,
    DeadlineLifecycle,
    LifecycleKind,
)
from xietong_common.uow import UnitOfWork

SOURCE_PREFIX = "/xietong/"
UNTOLD = ""
"""The unit of a deadline known so far only from its breach alert (`deadline.breached` v1
may lack the length and start); its first lifecycle fact fills them in."""

DeadlineFact = DeadlineLifecycle | DeadlineBreached
CHANGING = (
    "counterparty",
    "reference",
    "assignee",
    "unit",
    "amount",
    "started_at",
    "due_at",
    "provisional",
    "met_at",
    "met_late",
    "breached_at",
    "breach_kind",
    "breach_actual_at",
    "ended_at",
    "end_kind",
    "end_reason",
    "updated_at",
)
"""What the facts of a deadline may change on its row (`_apply`)."""


def source_service(source: str) -> str:
    """`/xietong/referral` → `referral` (the inbox has checked the type's producers)."""
    return source.removeprefix(SOURCE_PREFIX)


@dataclass(frozen=True)
class Fact:
    """One accountability fact as the ledger keeps it."""

    source: str
    fact_key: str
    kind: str
    rule: str | None
    organisation: str
    counterparty: str | None
    subject: str | None
    occurred_at: datetime
    detail: dict[str, Any]


async def record_fact(uow: UnitOfWork, fact: Fact, *, event_id: str, audit: bool = True) -> bool:
    """Add `fact` unless the ledger holds it already (from this or an earlier event); True
    if it is new. Audited (unless the caller audits it on its record) with its rule."""
    added = (
        await uow.session.execute(
            insert(LedgerFact)
            .values(
                id=uuid.uuid4(),
                source=fact.source,
                fact_key=fact.fact_key,
                kind=fact.kind,
                event_id=event_id,
                rule=fact.rule,
                organisation=fact.organisation,
                counterparty=fact.counterparty,
                subject=fact.subject,
                occurred_at=fact.occurred_at,
                recorded_at=uow.now,
                detail=fact.detail,
            )
            .on_conflict_do_nothing(constraint="uq_ledger_facts_source_key")
            .returning(LedgerFact.id)
        )
    ).scalar_one_or_none()
    if added is None:
        return False
    counts = DayCounts()
    counts.fact(fact)
    await counts.write(uow.session)
    if audit:
        uow.audit(
            action=f"ledger.{fact.kind}",
            subject=f"ledger-fact:{added}",
            rule=fact.rule,
            detail={
                "source": fact.source,
                "fact_key": fact.fact_key,
                "organisation": fact.organisation,
                "counterparty": fact.counterparty,
                "subject": fact.subject,
                "event_id": event_id,
            },
        )
    return True


def _check_owner(event: DeadlineFact, source: str) -> None:
    """Each service reports its own deadlines only: the `mechanism` it names is its own, and
    the rule is one of its mechanism's rules."""
    if event.mechanism != source:
        raise NotItsFact(
            f"{source} reported a deadline of {event.mechanism!r}",
            zh=f"{source} 报送了属于 {event.mechanism} 的期限",
            source=source,
            mechanism=event.mechanism,
        )
    if not domain.rule_belongs_to(event.rule, source):
        raise NotItsFact(
            f"{source} does not track deadlines of {event.rule}",
            zh=f"{source} 不负责 {event.rule} 的期限",
            source=source,
            rule=event.rule,
        )


def _occurred_at(event: DeadlineFact, kind: LifecycleKind) -> datetime:
    if kind is LifecycleKind.STARTED and event.started_at is not None:
        return event.started_at
    if kind is LifecycleKind.MET and isinstance(event, DeadlineLifecycle) and event.satisfied_at:
        return event.satisfied_at
    if kind is LifecycleKind.BREACHED:
        return event.due_at  # missed when it fell due
    recorded = getattr(event, "recorded_at", None)
    return recorded if isinstance(recorded, datetime) else event.due_at


@dataclass(frozen=True)
class DeadlineReport:
    """A deadline fact as told: the event, the service that told it, and the event's id."""

    event: DeadlineFact
    source: str
    event_id: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.event.mechanism, self.event.deadline_id)

    @property
    def kind(self) -> LifecycleKind:
        return (
            LifecycleKind.BREACHED if isinstance(self.event, DeadlineBreached) else self.event.kind
        )

    def fact(self) -> Fact:
        """The fact as the ledger keeps it: keyed by the deadline and what befell it."""
        event, kind = self.event, self.kind
        detail: dict[str, Any] = {
            "action": event.action,
            "due_at": event.due_at.isoformat(),
            "provisional": event.provisional,
        }
        if isinstance(event, DeadlineLifecycle):
            detail |= event.model_dump(
                mode="json",
                include={"actor", "actor_org", "late", "reason", "breach_kind", "replayed"},
                exclude_none=True,
            )
        return Fact(
            source=self.source,
            fact_key=f"{event.deadline_id}:{kind.value}",
            kind=f"deadline.{kind.value}",
            rule=event.rule,
            organisation=event.organisation,
            counterparty=event.counterparty,
            subject=event.subject,
            occurred_at=_occurred_at(event, kind),
            detail=detail,
        )


async def _new_facts(
    uow: UnitOfWork, told: Sequence[tuple[Fact, str]]
) -> list[tuple[Fact, uuid.UUID] | None]:
    """Each of `told` (a fact and the id of the event that told it) added unless the ledger
    holds it already — from before, or from earlier in `told`: per item, the new row's id,
    or None. Unaudited (the caller audits it on its record)."""
    first: dict[tuple[str, str], int] = {}
    for i, (fact, _) in enumerate(told):
        first.setdefault((fact.source, fact.fact_key), i)
    rows = [
        {
            "source": fact.source,
            "fact_key": fact.fact_key,
            "kind": fact.kind,
            "event_id": event_id,
            "rule": fact.rule,
            "organisation": fact.organisation,
            "counterparty": fact.counterparty,
            "subject": fact.subject,
            "occurred_at": fact.occurred_at,
            "detail": json.dumps(fact.detail),
        }
        for fact, event_id in (told[i] for i in sorted(first.values(), key=lambda i: _key(told[i])))
    ]
    result = await uow.session.execute(
        _ADD_FACTS, {**arrays.columns(rows, _FACT_COLUMNS), "recorded_at": uow.now}
    )
    added = {(source, key): id_ for source, key, id_ in result.all()}
    return [
        (fact, added[key])
        if (key := (fact.source, fact.fact_key)) in added and first[key] == i
        else None
        for i, (fact, _) in enumerate(told)
    ]


_FACTS = cast("sa.Table", LedgerFact.__table__)
_FACT_COLUMNS = (
    "source",
    "fact_key",
    "kind",
    "event_id",
    "rule",
    "organisation",
    "counterparty",
    "subject",
    "occurred_at",
    "detail",
)
# The facts of a batch in one statement of arrays (prepared once), in the order given (by
# key: concurrent batches take the unique index's locks in one order).
_ADD_FACTS = sa.text(
    f"""
    INSERT INTO ledger_facts (id, {", ".join(_FACT_COLUMNS)}, recorded_at)
    SELECT gen_random_uuid(), {", ".join(_FACT_COLUMNS)}, CAST(:recorded_at AS timestamptz)
    FROM {arrays.unnest(_FACTS, _FACT_COLUMNS)}
    ORDER BY {arrays.ORDINAL}
    ON CONFLICT ON CONSTRAINT uq_ledger_facts_source_key DO NOTHING
    RETURNING source, fact_key, id
    """
).columns(_FACTS.c.source, _FACTS.c.fact_key, _FACTS.c.id)


def _key(item: tuple[Fact, str]) -> tuple[str, str]:
    return (item[0].source, item[0].fact_key)


_DEADLINE_COLUMNS = (
    "mechanism",
    "deadline_id",
    "rule",
    "action",
    "organisation",
    "counterparty",
    "subject",
    "reference",
    "assignee",
    "unit",
    "amount",
    "started_at",
    "due_at",
    "provisional",
)
# The deadlines of a batch not in the ledger yet, in one statement of arrays, in key order.
_ADD_DEADLINES = sa.text(
    f"""
    INSERT INTO ledger_deadlines (id, {", ".join(_DEADLINE_COLUMNS)}, updated_at)
    SELECT gen_random_uuid(), {", ".join(_DEADLINE_COLUMNS)}, CAST(:updated_at AS timestamptz)
    FROM {arrays.unnest(cast("sa.Table", LedgerDeadline.__table__), _DEADLINE_COLUMNS)}
    ORDER BY {arrays.ORDINAL}
    ON CONFLICT ON CONSTRAINT uq_ledger_deadlines_source_id DO NOTHING
    RETURNING mechanism, deadline_id
    """
)


async def _deadline_rows(
    uow: UnitOfWork, reports: Sequence[DeadlineReport]
) -> tuple[dict[tuple[str, str], Deadline], set[tuple[str, str]]]:
    """The ledger's rows of the deadlines `reports` tell of, locked, each made from the
    first fact told about it (any fact carries the whole deadline, so one that arrives
    first, or alone, still makes it); and the keys of those made now."""
    firsts: dict[tuple[str, str], DeadlineFact] = {}
    for report in reports:
        firsts.setdefault(report.key, report.event)
    rows = [
        {
            "mechanism": event.mechanism,
            "deadline_id": event.deadline_id,
            "rule": event.rule,
            "action": event.action,
            "organisation": event.organisation,
            "counterparty": event.counterparty,
            "subject": event.subject,
            "reference": event.reference,
            "assignee": event.assignee,
            "unit": event.unit.value if event.unit is not None else UNTOLD,
            "amount": event.amount or 0,
            "started_at": event.started_at or event.due_at,
            "due_at": event.due_at,
            "provisional": event.provisional,
        }
        for _, event in sorted(firsts.items())
    ]
    result = await uow.session.execute(
        _ADD_DEADLINES, {**arrays.columns(rows, _DEADLINE_COLUMNS), "updated_at": uow.now}
    )
    made = {(m, i) for m, i in result.all()}
    keys = sorted(firsts)
    locked = await uow.session.execute(
        _LOCK_DEADLINES,
        {"mechanism": [k[0] for k in keys], "deadline_id": [k[1] for k in keys]},
    )
    found = {(row.mechanism, row.deadline_id): Deadline(**row._asdict()) for row in locked.all()}
    return found, made


@dataclass(slots=True)
class Deadline:
    """A ledger deadline's row as read (locked) for a batch of facts, changed by them in
    Python and written back in one statement (`_UPDATE_DEADLINES`): the ORM's identity map,
    change tracking and flush are not needed for rows read, changed and written once."""

    id: uuid.UUID
    mechanism: str
    deadline_id: str
    rule: str
    action: str
    organisation: str
    counterparty: str | None
    subject: str
    reference: str | None
    assignee: str | None
    unit: str
    amount: int
    started_at: datetime
    due_at: datetime
    provisional: bool
    met_at: datetime | None
    met_late: bool | None
    breached_at: datetime | None
    breach_kind: str | None
    breach_actual_at: datetime | None
    ended_at: datetime | None
    end_kind: str | None
    end_reason: str | None
    updated_at: datetime


_DEADLINES = cast("sa.Table", LedgerDeadline.__table__)
_READ = [field.name for field in fields(Deadline)]
# The rows of the batch's deadlines, locked in key order (concurrent batches never deadlock),
# in one statement whatever their number.
_LOCK_DEADLINES = sa.text(
    f"""
    SELECT {", ".join(f"d.{name}" for name in _READ)} FROM ledger_deadlines AS d
    JOIN {arrays.unnest(_DEADLINES, ("mechanism", "deadline_id"), alias="k")}
      ON d.mechanism = k.mechanism AND d.deadline_id = k.deadline_id
    ORDER BY d.mechanism, d.deadline_id
    FOR UPDATE OF d
    """
).columns(*(_DEADLINES.c[name] for name in _READ))
# The batch's deadlines as the facts left them, in one statement of arrays.
_UPDATE_DEADLINES = sa.text(
    f"""
    UPDATE ledger_deadlines AS d
    SET {", ".join(f"{c} = r.{c}" for c in CHANGING)}
    FROM {arrays.unnest(_DEADLINES, ("id", *CHANGING))}
    WHERE d.id = r.id
    """
)


def _apply(row: Deadline, event: DeadlineFact, kind: LifecycleKind) -> None:
    lifecycle = event if isinstance(event, DeadlineLifecycle) else None
    # What the record says now (its reference once signed, the counterparty once known);
    # who owed it, under which rule, from when, never moves.
    row.counterparty = event.counterparty or row.counterparty
    row.reference = event.reference or row.reference
    row.assignee = event.assignee or row.assignee
    if row.unit == UNTOLD and lifecycle is not None:
        # Made from a breach alert that did not say the length and the start.
        row.unit, row.amount = lifecycle.unit.value, lifecycle.amount
        row.started_at = lifecycle.started_at
    if kind is LifecycleKind.MADE_FINAL:
        row.due_at, row.provisional = event.due_at, False
    if kind in (LifecycleKind.MET, LifecycleKind.MADE_FINAL) and lifecycle is not None:
        if lifecycle.satisfied_at is not None:
            row.met_at = row.met_at or lifecycle.satisfied_at
        if lifecycle.late is not None:
            row.met_late = lifecycle.late
    if kind is LifecycleKind.BREACHED and row.breached_at is None:
        # The breach is for good: nothing told later (met, closed, cancelled) clears it.
        row.provisional = False
        row.due_at = event.due_at
        row.breached_at = getattr(event, "recorded_at", None) or event.due_at
        breach_kind = (
            event.kind
            if isinstance(event, DeadlineBreached)
            else getattr(event, "breach_kind", None)
        )
        row.breach_kind = breach_kind.value if breach_kind is not None else None
        row.breach_actual_at = getattr(event, "actual_at", None)
    if row.breached_at is not None and row.met_at is not None:
        row.met_late = True  # met after a breach is late, whatever a fact says
    if kind in (LifecycleKind.CANCELLED, LifecycleKind.CLOSED) and row.ended_at is None:
        row.ended_at = (lifecycle.recorded_at if lifecycle else None) or event.due_at
        row.end_kind = kind.value
        row.end_reason = lifecycle.reason if lifecycle else None


async def record_deadline_facts(
    uow: UnitOfWork, reports: Sequence[DeadlineReport]
) -> list[DeadlineReport]:
    """SUP-02: deadline facts from the services that track them (`deadline.lifecycle`, or
    the `deadline.breached` alert, which is the same breach), in the order told, each as if
    told alone, in a few statements for them all. Returns those the ledger learnt from; a
    fact it holds already (a redelivery, a replay, the alert after the lifecycle fact, the
    same fact twice in `reports`) changes nothing. Any of them not from the service that
    tracks it refuses them all (NotItsFact)."""
    for report in reports:
        _check_owner(report.event, report.source)
    told = await _new_facts(uow, [(report.fact(), report.event_id) for report in reports])
    learnt = [report for report, new in zip(reports, told, strict=True) if new is not None]
    if not learnt:
        return []
    rows, made = await _deadline_rows(uow, learnt)
    before = {key: None if key in made else DeadlineState.of(row) for key, row in rows.items()}
    for report in learnt:
        row = rows[report.key]
        _apply(row, report.event, report.kind)
        row.updated_at = uow.now
        DEADLINE.audit(
            uow,
            cast("Any", row),  # what the audit reads of it: its id and `audit_detail`'s
            report.kind.value,
            rule=report.event.rule,
            source=report.source,
            event_id=report.event_id,
            record=row.subject,
        )
    counts = DayCounts()
    for fact in told:
        if fact is not None:
            counts.fact(fact[0])
    for key, row in rows.items():
        counts.moved(before[key], DeadlineState.of(row))
    # The rows as they now are, in one UPDATE for them all.
    changed = [
        {"id": row.id, **{c: getattr(row, c) for c in CHANGING}} for _, row in sorted(rows.items())
    ]
    await uow.session.execute(_UPDATE_DEADLINES, arrays.columns(changed, ("id", *CHANGING)))
    await counts.write(uow.session)
    return learnt
