"""Events the oversight service (督察, SUP-01/SUP-02) publishes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from xietong_common.contracts.base import IntegrationEvent, event


@event(
    "oversight.export-issued",
    producers=("oversight",),
    summary="SUP-02: an assessment table was issued as an .xlsx file, with its SHA-256",
    retained=True,
)
class OversightExportIssued(IntegrationEvent):
    """SUP-02: oversight issued the assessment table as an `.xlsx` download. The file's
    SHA-256 (`sha256`), the period, the filters and the totals are on the record, so a
    file (or a table printed from it, which names `export_id`) can be checked later against
    what was issued, by whom and when. Key = `export_id`. The topic never deletes (evidence,
    like the audit checkpoints); the same digest is in oversight's audit log."""

    export_id: str = Field(description="the export's id, printed on its summary sheet")
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the file (hex)")
    size: int = Field(ge=0, description="the file's length in bytes")
    period: str = Field(description="the period's label", examples=["2026-Q4"])
    first: date = Field(description="first China day of the period")
    last: date = Field(description="last China day of the period (included)")
    filters: dict[str, str] = Field(
        default_factory=dict,
        description="the filters asked for (organisation, organisation_kind, rule, mechanism)",
    )
    organisations: int = Field(ge=0, description="how many organisations' rows the file holds")
    totals: dict[str, int] = Field(
        default_factory=dict, description="the deadline figures of every row together"
    )
    issued_by: str = Field(description="the person who downloaded it")
    issued_by_org: str = Field(description="their organisation", examples=["justice-bureau"])
    issued_at: datetime = Field(description="when (UTC)")


AuditAlarmKind = Literal["bad-signature", "gap", "rollback", "chain-replaced"]


@event(
    "oversight.audit-alarm",
    producers=("oversight",),
    consumers=("the district justice bureau and the operators (alerting)",),
    summary="SUP-01: the outsider found a checkpoint of a service's audit chain it cannot "
    "trust: a bad signature, a gap, a rollback or a replaced chain",
    retained=True,
)
class OversightAuditAlarm(IntegrationEvent):
    """SUP-01, the outsider (docs/oversight.md): oversight reads every service's
    `audit.checkpoint`, checks each signature against the service's public keys and each
    chain's continuity, and raises this alarm, once per checkpoint, when one cannot be
    trusted: `bad-signature` (not signed by a trusted key of the service, or not verifying),
    `gap` (the checkpoint names a previous checkpoint oversight never saw), `rollback` (the
    head signed is behind the newest one seen, or the same row with another hash) or
    `chain-replaced` (a new chain after another one, as when a database is rebuilt). Key =
    the service. The topic never deletes (evidence, like the checkpoints)."""

    alarm_id: str = Field(description="the alarm's id (GET /alarms)")
    kind: AuditAlarmKind = Field(description="what is wrong with the checkpoint")
    service: str = Field(description="whose audit chain", examples=["referral"])
    chain_id: str = Field(description="the chain the checkpoint names")
    seq: int = Field(ge=1, description="the row the checkpoint names")
    hash: str = Field(description="the hash the checkpoint names for that row")
    key_id: str = Field(description="the key the checkpoint says signed it")
    signed_at: datetime = Field(description="when the checkpoint says it was signed (UTC)")
    checkpoint_event_id: str = Field(description="the CloudEvent id the checkpoint came in")
    expected_chain_id: str | None = Field(
        default=None, description="the chain of the newest trusted checkpoint seen before"
    )
    expected_seq: int | None = Field(
        default=None, description="the row of the newest trusted checkpoint seen before"
    )
    detail: str = Field(description="what was found, in English")
    detail_zh: str = Field(description="what was found, in Chinese")
    raised_at: datetime = Field(description="when oversight raised the alarm (UTC)")


@event(
    "oversight.calendar-alarm",
    producers=("oversight",),
    consumers=("the district justice bureau and the operators (alerting)",),
    summary="SUP-02: next year's holiday schedule is not loaded past the calendar watch's "
    "date; raised at most once a day",
)
class OversightCalendarAlarm(IntegrationEvent):
    """SUP-02, the calendar watch: from `XIETONG_CALENDAR_WATCH_FROM` (default 1 December)
    until next year's holiday schedule (节假日安排) is installed, every deadline reaching into
    that year is provisional and counts in no breach, so oversight raises this alarm, at most
    once per China day. Key = the missing year."""

    alarm_id: str = Field(description="the alarm's id (GET /alarms)")
    year: int = Field(ge=2000, le=2101, description="the year whose schedule is missing")
    day: date = Field(description="the China day the alarm is for (one per day at most)")
    watch_from: str = Field(description="the watch's start, MM-DD", examples=["12-01"])
    detail: str = Field(description="what is missing, in English")
    detail_zh: str = Field(description="what is missing, in Chinese")
    raised_at: datetime = Field(description="when oversight raised the alarm (UTC)")


RulingOutcomeName = Literal["confirmed", "excused", "referred-for-accountability"]


@event(
    "oversight.ruling-made",
    producers=("oversight",),
    consumers=("the organisation ruled on (its workbench)", "the district government"),
    summary="SUP-01: the justice bureau ruled on a fact of the ledger (督察认定), first or revised",
)
class OversightRulingMade(IntegrationEvent):
    """SUP-01: the district justice bureau ruled on one fact of the ledger (a breach, a
    refusal, a flag, an unread item): confirmed, excused (with its reason) or referred for
    accountability (追责). `version` counts the rulings on the fact (1: the first; more: a
    revision, `previous` the outcome it replaced). The fact itself is never changed. Key =
    the fact's id."""

    fact_id: str = Field(description="the ledger fact ruled on (GET /items/{fact_id})")
    fact_kind: str = Field(description="what the fact is", examples=["deadline.breached"])
    fact_rule: str | None = Field(default=None, description="the rule the fact is under")
    subject: str | None = Field(default=None, description="the record, `<kind>:<id>`")
    organisation: str = Field(description="the organisation held to account")
    counterparty: str | None = Field(default=None, description="the other party of the fact")
    outcome: RulingOutcomeName = Field(description="the ruling")
    reason: str | None = Field(default=None, description="its stated reason (an excuse has one)")
    previous: RulingOutcomeName | None = Field(
        default=None, description="the outcome this ruling replaced (a revision)"
    )
    version: int = Field(ge=1, description="the ruling's version (the item's ETag)")
    ruled_by: str = Field(description="the person who ruled")
    ruled_at: datetime = Field(description="when (UTC)")
