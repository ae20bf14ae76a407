"""What the oversight API answers: the assessment table (SUP-02) and the ledger's rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from xietong_common.timeline import DeadlineOut


class PeriodOut(BaseModel):
    """The China calendar days the figures cover (both included)."""

    label: str = Field(examples=["2026-Q4"])
    kind: str = Field(examples=["quarter"])
    first: date = Field(examples=["2026-10-01"])
    last: date = Field(examples=["2026-12-31"])
    start: datetime = Field(description="00:00 China time of `first`, in UTC")
    end: datetime = Field(description="00:00 China time of the day after `last`, in UTC")


class DeadlineFigures(BaseModel):
    """Deadlines falling due in the period (China time), each counted once (docs: oversight)."""

    due: int = Field(
        ge=0,
        description="what was owed: met on time + breached + open (the denominator of the rates)",
    )
    met_on_time: int = Field(ge=0, description="done by the deadline, never breached")
    met_late: int = Field(ge=0, description="done after a breach (also counted in `breached`)")
    breached: int = Field(ge=0, description="missed: a breach was recorded, whatever came after")
    open: int = Field(ge=0, description="neither met, breached nor ended yet")
    open_overdue: int = Field(
        ge=0,
        description="open and past due, with no breach reported yet (the service's sweep has "
        "not reached it): a lagging or silent service shows here",
    )
    ended: int = Field(
        ge=0,
        description="no longer owed before the date passed (replaced or the case ended "
        "otherwise): outside `due`, shown so that ending cases to escape deadlines is visible",
    )
    provisional: int = Field(
        ge=0, description="its holiday year is not yet known: counted in no breach yet"
    )
    on_time_rate: float | None = Field(
        description="met_on_time / due (null when nothing was due)", examples=[0.9]
    )
    breach_rate: float | None = Field(description="breached / due (null when nothing was due)")


class RuleFigures(DeadlineFigures):
    rule: str = Field(examples=["REF-07"])


class AssessmentRow(DeadlineFigures):
    """One organisation in the period (SUP-02): its deadlines, refusals and flags."""

    organisation: str = Field(examples=["dept:ecology-environment"])
    organisation_name: str = Field(examples=["区生态环境局"])
    organisation_kind: str | None = Field(examples=["dept"])
    started: int = Field(ge=0, description="deadlines whose clock started in the period")
    refusals: int = Field(
        ge=0,
        description="refusals in the period: of assistance (ASSIST-03), of support asked "
        "for a joint inspection (INSP-03), cooperation a sender did not give the party handling "
        "its referred case (REF-10); by kind in `refusals_by_kind`",
    )
    refusals_owned_matter: int = Field(
        ge=0,
        description="ASSIST-03: of its assistance refusals, those of a matter the catalogue "
        "assigns to it (counted apart; the justice bureau rules on them in assistance)",
    )
    refusals_by_kind: dict[str, int] = Field(
        description="refusals per kind of fact",
        examples=[{"assistance.refused": 1, "inspection.support-refused": 0}],
    )
    flags: int = Field(
        ge=0,
        description="flags in the period: 推诿/刁难 raised by towns (ASSIST-02), referrals held "
        "as suspected onward referrals (REF-08, against the sender) and disputes of jurisdiction "
        "reported to the district government (REF-08, against the receiver); by kind in "
        "`flags_by_kind`",
    )
    flags_by_kind: dict[str, int] = Field(
        description="flags per kind of fact",
        examples=[
            {
                "assistance.obstruction-flagged": 1,
                "referral.onward-referral-suspected": 1,
                "referral.escalated": 0,
            }
        ],
    )
    records_by_kind: dict[str, int] = Field(
        description="facts recorded, not failings in themselves, per kind (and outcome, "
        "`<kind>:<outcome>`): refusals contested by the town and assistance's ruling on them "
        "(ASSIST-03), the district government's decisions on held referrals and on disputed "
        "jurisdiction (REF-08), serious findings reported to it (INSP-08), guidance given "
        "(SEC-05)",
        examples=[
            {
                "assistance.refusal-ruled:not-upheld": 1,
                "referral.onward-referral-decided:barred": 1,
                "secondment.guidance-recorded": 2,
            }
        ],
    )
    unread_overdue: int = Field(
        ge=0, description="INFO-03 shared items it left unread past the setting, in the period"
    )
    breached_after_rulings: int = Field(
        ge=0, description="SUP-01: `breached` less the breaches the justice bureau excused"
    )
    refusals_after_rulings: int = Field(ge=0, description="`refusals` less those excused")
    flags_after_rulings: int = Field(ge=0, description="`flags` less those excused")
    unread_overdue_after_rulings: int = Field(
        ge=0, description="`unread_overdue` less those excused"
    )
    confirmed: int = Field(
        ge=0, description="SUP-01: of its breaches, refusals, flags and unread items, confirmed"
    )
    excused: int = Field(ge=0, description="SUP-01: excused (予以免责), with a stated reason")
    referred: int = Field(ge=0, description="SUP-01: referred for accountability (移送追责)")
    not_ruled: int = Field(ge=0, description="SUP-01: not ruled on yet")
    by_rule: list[RuleFigures] = Field(description="the same deadline figures per rule ID")


class AssessmentOut(BaseModel):
    """The assessment table (SUP-02): one row per organisation with figures in the period."""

    period: PeriodOut
    items: list[AssessmentRow]
    total: int = Field(ge=0, description="how many organisations")
    totals: DeadlineFigures = Field(description="the deadline figures of every row together")


class FactOut(BaseModel):
    """One fact of the ledger: what happened, to whom, under which rule, when (UTC)."""

    id: str
    source: str = Field(description="the service that reported it", examples=["assistance"])
    kind: str = Field(examples=["assistance.refused"])
    rule: str | None = Field(examples=["ASSIST-03"])
    organisation: str = Field(description="the organisation held to account")
    counterparty: str | None = None
    subject: str | None = Field(description="the record, `<kind>:<id>`")
    occurred_at: datetime
    recorded_at: datetime = Field(description="when oversight recorded it")
    detail: dict[str, Any]
    ruling: str | None = Field(
        default=None,
        description="SUP-01: the current ruling on it (`GET /items/{id}`), if any",
        examples=["confirmed"],
    )


class OrganisationAssessment(BaseModel):
    """One unit in the period: its figures and the facts behind its refusals and flags."""

    period: PeriodOut
    assessment: AssessmentRow
    facts: list[FactOut] = Field(
        description="its refusals, flags, unread items and records, latest first"
    )


class LedgerDeadlineOut(BaseModel):
    """A deadline as the ledger holds it: who owed what to whom, and what became of it."""

    id: str = Field(description="the ledger's id (GET /deadlines/{id})")
    mechanism: str = Field(examples=["referral"])
    deadline_id: str = Field(description="the deadline's id in its service")
    rule: str
    action: str
    organisation: str = Field(description="who owed it")
    counterparty: str | None = Field(description="who was kept waiting")
    subject: str
    reference: str | None
    started_at: datetime
    deadline: DeadlineOut = Field(description="the due date, in UTC and China time")
    met_at: datetime | None
    met_late: bool | None
    breached_at: datetime | None = Field(description="when the breach was recorded")
    breach_kind: str | None = Field(examples=["no-action"])
    ended_at: datetime | None
    end_kind: str | None = Field(examples=["closed"])
    end_reason: str | None = Field(examples=["request-withdrawn"])


class BreachOut(LedgerDeadlineOut):
    """A missed deadline (SUP-02), with the fact of its breach that rulings are given on."""

    breach_fact_id: str | None = Field(
        default=None, description="SUP-01: the breach's fact, ruled on at `/items/{id}`"
    )
    ruling: str | None = Field(
        default=None, description="SUP-01: the current ruling on the breach, if any"
    )


class RulingOut(BaseModel):
    """One ruling of the justice bureau on a fact (SUP-01)."""

    version: int = Field(ge=1, description="1 for the first ruling, +1 for each revision")
    outcome: str = Field(examples=["excused"])
    reason: str | None
    ruled_by: str = Field(description="the person who ruled (justice-bureau)")
    ruled_at: datetime


class ReplyOut(BaseModel):
    """The organisation's statement on the fact (陈述申辩)."""

    organisation: str
    text: str
    replied_by: str
    replied_at: datetime


class ItemOut(BaseModel):
    """A fact under review (SUP-01): the fact as recorded (never changed by a ruling), the
    organisation's reply, the current ruling and every ruling given before it."""

    fact: FactOut
    rulable: bool = Field(description="a breach, refusal, flag or unread item: can be ruled on")
    version: int = Field(
        ge=0, description='how many rulings were given (0: none); the ETag, `"<version>"`'
    )
    reply: ReplyOut | None
    ruling: RulingOut | None = Field(description="the current ruling")
    history: list[RulingOut] = Field(description="every ruling given, first first")


class AlarmOut(BaseModel):
    """An alarm oversight raised (SUP-01 the outsider, SUP-02 the calendar watch)."""

    id: str
    source: str = Field(description="`audit` (the outsider) or `calendar` (the calendar watch)")
    kind: str = Field(
        description="audit: bad-signature, gap, rollback or chain-replaced; calendar: "
        "holiday-schedule-missing",
        examples=["bad-signature"],
    )
    service: str | None = Field(default=None, description="whose audit chain (audit alarms)")
    detail: str
    detail_zh: str
    facts: dict[str, Any] = Field(
        description="what it is about: the checkpoint (chain, row, hash, key, event id, the "
        "newest trusted row before) or the missing year and the day"
    )
    raised_at: datetime


class WatchedChainOut(BaseModel):
    """SUP-01, the outsider: the newest trusted checkpoint of one service's audit chain."""

    service: str
    chain_id: str
    seq: int = Field(description="the row the newest trusted checkpoint named")
    hash: str
    signed_at: datetime
    checkpoints: int = Field(ge=0, description="trusted checkpoints read of this chain")
    updated_at: datetime
