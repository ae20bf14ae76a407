"""What a deadline tells the others (SUP-01/02): its lifecycle facts and its one breach, each
carrying the deadline as it stands (contracts/deadlines.py). Published through the unit of
work's outbox, keyed by the deadline's id, so one deadline's events keep their order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from xietong_common.contracts.deadlines import (
    BreachKind,
    DeadlineBreached,
    DeadlineLifecycle,
    DeadlineUnit,
    LifecycleKind,
)
from xietong_common.metrics import DEADLINE_BREACHES
from xietong_common.tables import deadlines
from xietong_common.uow import UnitOfWork

_d = deadlines.c


def facts_of(row: Mapping[Any, Any], mechanism: str) -> dict[str, Any]:
    """The fields every deadline event carries, from its row."""
    return {
        "deadline_id": str(row["id"]),
        "mechanism": mechanism,
        "rule": row["rule"],
        "action": row["action"],
        "organisation": row["organisation"],
        "counterparty": row["counterparty"],
        "subject": row["subject"],
        "reference": row["reference"],
        "assignee": row["assignee"],
        "unit": DeadlineUnit(row["unit"]),
        "amount": row["amount"],
        "started_at": row["started_at"],
        "due_at": row["due_at"],
        "provisional": row["provisional"],
    }


def person(uow: UnitOfWork) -> tuple[str | None, str | None]:
    """Who is acting in this unit of work: a person, or (None, None) for the service itself."""
    actor = uow.actor
    if actor is None or actor.org.startswith("system:"):
        return None, None
    return actor.user, actor.org


def late(row: Mapping[Any, Any]) -> bool | None:
    """Was the action late? Undecided (None) while the date is provisional."""
    if row["satisfied_at"] is None or row["provisional"]:
        return None
    return bool(row["satisfied_at"] > row["due_at"])


def tell(
    uow: UnitOfWork,
    row: Mapping[Any, Any],
    kind: LifecycleKind,
    *,
    mechanism: str,
    actor: tuple[str | None, str | None] | None = None,
    replayed: bool = False,
    **fields: Any,
) -> None:
    """Publish one lifecycle fact of the deadline `row` (as it stands after the change)."""
    who, org = actor if actor is not None else person(uow)
    uow.publish(
        DeadlineLifecycle(
            **facts_of(row, mechanism),
            kind=kind,
            recorded_at=uow.now,
            actor=who,
            actor_org=org,
            replayed=replayed,
            **fields,
        ),
        key=str(row["id"]),
        subject=row["subject"],
    )


async def record_breach(
    uow: UnitOfWork,
    deadline_id: Any,
    *,
    kind: BreachKind,
    actual_at: datetime | None,
    mechanism: str,
) -> sa.RowMapping | None:
    """Record that the deadline was missed, once: the row is marked only if it was not
    already (whoever finds the miss first, the sweep, a late action, a recomputed date or the
    end of the case, records it; the others find it marked and publish nothing). Publishes
    the `breached` fact and `deadline.breached`, and audits it. None if it was marked."""
    row = (
        (
            await uow.session.execute(
                sa.update(deadlines)
                .where(_d.id == deadline_id, _d.breached_at.is_(None))
                .values(breached_at=uow.now, breach_kind=kind.value)
                .returning(deadlines)
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    tell(
        uow,
        row,
        LifecycleKind.BREACHED,
        mechanism=mechanism,
        actor=(None, None),
        breach_kind=kind,
        actual_at=actual_at,
    )
    uow.publish(
        DeadlineBreached(
            **facts_of(row, mechanism), kind=kind, actual_at=actual_at, recorded_at=uow.now
        ),
        key=str(row["id"]),
        subject=row["subject"],
    )
    uow.audit(
        action=f"deadline.breached.{kind.value}",
        subject=row["subject"],
        rule=row["rule"],
        detail={
            "deadline_id": str(row["id"]),
            "organisation": row["organisation"],
            "counterparty": row["counterparty"],
            "action": row["action"],
            "due_at": row["due_at"].isoformat(),
            "actual_at": actual_at.isoformat() if actual_at else None,
        },
    )
    uow.after_commit(DEADLINE_BREACHES.labels(mechanism, row["rule"]).inc)
    found: sa.RowMapping = row
    return found


def replay(uow: UnitOfWork, row: sa.RowMapping, *, mechanism: str) -> None:
    """The facts of a deadline tracked before its facts were published (backbone step 7),
    as its row tells them, in their order: started, breached, met, ended."""
    none = (None, None)
    tell(uow, row, LifecycleKind.STARTED, mechanism=mechanism, actor=none, replayed=True)
    steps: list[tuple[datetime, int, LifecycleKind, dict[str, Any]]] = []
    if row["breached_at"] is not None:
        how = BreachKind(row["breach_kind"] or BreachKind.NO_ACTION.value)
        actual = row["satisfied_at"] if how is BreachKind.LATE_ACTION else None
        steps.append(
            (
                row["breached_at"],
                0,
                LifecycleKind.BREACHED,
                {"breach_kind": how, "actual_at": actual},
            )
        )
    if row["satisfied_at"] is not None:
        steps.append(
            (
                row["satisfied_at"],
                1,
                LifecycleKind.MET,
                {"satisfied_at": row["satisfied_at"], "late": late(row)},
            )
        )
    if row["cancelled_at"] is not None:
        ended = LifecycleKind(row["end_kind"] or LifecycleKind.CANCELLED.value)
        steps.append(
            (
                row["cancelled_at"],
                2,
                ended,
                {"reason": row["end_reason"] or "recorded-before-lifecycle-facts"},
            )
        )
    for _, _, fact, fields in sorted(steps, key=lambda s: (s[0], s[1])):
        tell(uow, row, fact, mechanism=mechanism, actor=none, replayed=True, **fields)
