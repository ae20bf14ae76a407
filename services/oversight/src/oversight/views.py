"""The ledger's rows and the assessment's figures as the API answers them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from oversight import domain
from oversight.domain import (
    RULABLE_KINDS,
    Counts,
    OrganisationFigures,
    RulingOutcome,
    outcome_field,
)
from oversight.models import (
    LedgerDeadline,
    LedgerFact,
    LedgerReply,
    LedgerRuling,
    LedgerRulingHistory,
)
from oversight.schemas import (
    AssessmentOut,
    AssessmentRow,
    DeadlineFigures,
    FactOut,
    ItemOut,
    LedgerDeadlineOut,
    PeriodOut,
    ReplyOut,
    RuleFigures,
    RulingOut,
)
from xietong_common.reference import kind_of_code
from xietong_common.timeline import DeadlineOut

NameOf = Callable[[str], str]


def period_out(period: domain.Period) -> PeriodOut:
    return PeriodOut(
        label=period.label,
        kind=period.kind.value,
        first=period.first,
        last=period.last,
        start=period.start,
        end=period.end,
    )


def _figures(counts: Counts) -> dict[str, int | float | None]:
    due = counts.due
    return {
        **counts.values,
        "due": due,
        "on_time_rate": domain.rate(counts.values["met_on_time"], due),
        "breach_rate": domain.rate(counts.values["breached"], due),
    }


def row_of(figures: OrganisationFigures, name_of: NameOf) -> AssessmentRow:
    kind = kind_of_code(figures.organisation)
    return AssessmentRow.model_validate(
        {
            "organisation": figures.organisation,
            "organisation_name": name_of(figures.organisation),
            "organisation_kind": kind.value if kind else None,
            **_figures(figures.deadlines),
            "started": figures.started,
            **figures.facts,
            **figures.by_kind,
            "refusals_owned_matter": figures.refusals_owned_matter,
            **_after_rulings(figures),
            "by_rule": [
                RuleFigures.model_validate({"rule": rule, **_figures(counts)})
                for rule, counts in sorted(figures.by_rule.items())
            ],
        }
    )


def _after_rulings(figures: OrganisationFigures) -> dict[str, int]:
    """SUP-01: each rulable figure less what the justice bureau excused, and the rulings by
    outcome; what is neither ruled on is `not_ruled`."""
    recorded = {"breached": figures.deadlines.values["breached"], **figures.facts}
    out = {
        f"{name}_after_rulings": n - figures.excused.get(name, 0) for name, n in recorded.items()
    }
    outcomes = {outcome_field(o): figures.rulings.get(outcome_field(o), 0) for o in RulingOutcome}
    return {
        **out,
        **outcomes,
        "not_ruled": max(sum(recorded.values()) - sum(outcomes.values()), 0),
    }


def assessment_of(
    period: domain.Period, found: Iterable[OrganisationFigures], name_of: NameOf
) -> AssessmentOut:
    rows = list(found)
    totals = Counts()
    for figures in rows:
        totals.add(figures.deadlines.values)
    return AssessmentOut(
        period=period_out(period),
        items=[row_of(f, name_of) for f in rows],
        total=len(rows),
        totals=DeadlineFigures.model_validate(_figures(totals)),
    )


def deadline_of(row: LedgerDeadline) -> LedgerDeadlineOut:
    return LedgerDeadlineOut(
        id=str(row.id),
        mechanism=row.mechanism,
        deadline_id=row.deadline_id,
        rule=row.rule,
        action=row.action,
        organisation=row.organisation,
        counterparty=row.counterparty,
        subject=row.subject,
        reference=row.reference,
        started_at=row.started_at,
        deadline=DeadlineOut(
            rule=row.rule,
            action=row.action,
            organisation=row.organisation,
            due_at=row.due_at,
            provisional=row.provisional,
            satisfied_at=row.met_at,
            breached_at=row.breached_at,
        ),
        met_at=row.met_at,
        met_late=row.met_late,
        breached_at=row.breached_at,
        breach_kind=row.breach_kind,
        ended_at=row.ended_at,
        end_kind=row.end_kind,
        end_reason=row.end_reason,
    )


def fact_of(row: LedgerFact, ruling: str | None = None) -> FactOut:
    return FactOut(
        id=str(row.id),
        source=row.source,
        kind=row.kind,
        rule=row.rule,
        organisation=row.organisation,
        counterparty=row.counterparty,
        subject=row.subject,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        detail=row.detail,
        ruling=ruling,
    )


def ruling_of(row: LedgerRuling | LedgerRulingHistory) -> RulingOut:
    return RulingOut(
        version=row.version,
        outcome=row.outcome,
        reason=row.reason,
        ruled_by=row.ruled_by,
        ruled_at=row.ruled_at,
    )


def reply_of(row: LedgerReply) -> ReplyOut:
    return ReplyOut(
        organisation=row.organisation,
        text=row.text,
        replied_by=row.replied_by,
        replied_at=row.replied_at,
    )


def item_of(
    fact: LedgerFact,
    reply: LedgerReply | None,
    ruling: LedgerRuling | LedgerRulingHistory | None,
    history: Iterable[LedgerRulingHistory],
) -> ItemOut:
    return ItemOut(
        fact=fact_of(fact, ruling.outcome if ruling else None),
        rulable=fact.kind in RULABLE_KINDS,
        version=ruling.version if ruling else 0,
        reply=reply_of(reply) if reply else None,
        ruling=ruling_of(ruling) if ruling else None,
        history=[ruling_of(h) for h in history],
    )
