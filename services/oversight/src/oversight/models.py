"""Tables of the 督察 (oversight) service: the ledger of accountability facts.

`ledger_facts` holds every fact once, as reported by the service that owns it (one row per
fact, unique per `(source, fact_key)`, so a re-published or replayed event adds nothing).
`ledger_deadlines` is each tracked deadline as the facts tell it, one row per deadline of a
service (`(mechanism, deadline_id)`), from which the assessment is counted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xietong_common.tables import NAMING_CONVENTION

TZ = sa.DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LedgerFact(Base):
    """One accountability fact (SUP-02): a deadline started, met, breached, cancelled,
    closed or made final; an assistance refusal; a 推诿/刁难 flag; an item left unread."""

    __tablename__ = "ledger_facts"
    __table_args__ = (
        sa.UniqueConstraint("source", "fact_key", name="uq_ledger_facts_source_key"),
        sa.Index("ix_ledger_facts_org_kind_occurred", "organisation", "kind", "occurred_at"),
        sa.Index("ix_ledger_facts_kind_occurred", "kind", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    source: Mapped[str] = mapped_column(sa.String(40))  # the service that reported it
    fact_key: Mapped[str] = mapped_column(sa.String(200))  # what makes it the same fact
    kind: Mapped[str] = mapped_column(sa.String(60))  # e.g. deadline.breached, assistance.refused
    event_id: Mapped[str] = mapped_column(sa.String(100))  # the first event that told it
    rule: Mapped[str | None] = mapped_column(sa.String(20))
    organisation: Mapped[str] = mapped_column(sa.String(80))  # the one held to account
    counterparty: Mapped[str | None] = mapped_column(sa.String(80))
    subject: Mapped[str | None] = mapped_column(sa.String(200))  # the record, <kind>:<id>
    occurred_at: Mapped[datetime] = mapped_column(TZ)  # when it happened (UTC)
    recorded_at: Mapped[datetime] = mapped_column(TZ)  # when oversight recorded it
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class LedgerDeadline(Base):
    """A statutory deadline of one of the six services, as its lifecycle facts tell it."""

    __tablename__ = "ledger_deadlines"
    __table_args__ = (
        sa.UniqueConstraint("mechanism", "deadline_id", name="uq_ledger_deadlines_source_id"),
        sa.Index("ix_ledger_deadlines_org_due", "organisation", "due_at"),
        sa.Index("ix_ledger_deadlines_due", "due_at"),
        sa.Index(
            "ix_ledger_deadlines_breached_due",
            "due_at",
            postgresql_where=sa.text("breached_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    mechanism: Mapped[str] = mapped_column(sa.String(40))
    deadline_id: Mapped[str] = mapped_column(sa.String(100))
    rule: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(60))
    organisation: Mapped[str] = mapped_column(sa.String(80))  # owes the action, first told
    counterparty: Mapped[str | None] = mapped_column(sa.String(80))
    subject: Mapped[str] = mapped_column(sa.String(200))
    reference: Mapped[str | None] = mapped_column(sa.String(200))
    assignee: Mapped[str | None] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[datetime] = mapped_column(TZ)
    due_at: Mapped[datetime] = mapped_column(TZ)
    provisional: Mapped[bool] = mapped_column(sa.Boolean)
    met_at: Mapped[datetime | None] = mapped_column(TZ)
    met_late: Mapped[bool | None] = mapped_column(sa.Boolean)
    breached_at: Mapped[datetime | None] = mapped_column(TZ)  # never cleared once set
    breach_kind: Mapped[str | None] = mapped_column(sa.String(20))
    breach_actual_at: Mapped[datetime | None] = mapped_column(TZ)
    ended_at: Mapped[datetime | None] = mapped_column(TZ)
    end_kind: Mapped[str | None] = mapped_column(sa.String(20))  # cancelled or closed
    end_reason: Mapped[str | None] = mapped_column(sa.String(80))
    updated_at: Mapped[datetime] = mapped_column(TZ)


class DeadlineCounts:
    """The counts of deadlines kept per day and per month: those due by outcome, those
    started."""

    due: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    breached: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    met_late: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    met_on_time: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    ended: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    provisional: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    open: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    started: Mapped[int] = mapped_column(sa.Integer, server_default="0")


class LedgerDeadlineDay(DeadlineCounts, Base):
    """SUP-02, the assessment's pre-aggregate: the deadlines of one organisation, mechanism
    and rule by China day — those due that day by outcome (as `ledger_deadlines` tells them
    now), and those started that day. Kept in the transaction that changes a deadline (its
    count moved from what it was to what it is); the assessment sums days, not deadlines."""

    __tablename__ = "ledger_deadline_days"

    organisation: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    mechanism: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # China calendar day


class LedgerDeadlineMonth(DeadlineCounts, Base):
    """The same counts per China calendar month (`month`: its first day), kept with the
    days: a year's assessment sums twelve months, and days only at a period's ragged ends
    and in the current month."""

    __tablename__ = "ledger_deadline_months"

    organisation: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    mechanism: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)


class LedgerFactDay(Base):
    """SUP-02, the assessment's pre-aggregate: the facts of one organisation by kind, source,
    rule, outcome and China day of occurrence (`''` where a fact has no rule or outcome);
    counted in the transaction that records the fact (facts never change). A deadline's own
    facts (`deadline.*`) are not: its row in `ledger_deadline_days` counts it."""

    __tablename__ = "ledger_fact_days"

    organisation: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    rule: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    outcome: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    owned_matter: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    n: Mapped[int] = mapped_column(sa.Integer, server_default="0")


class LedgerRuling(Base):
    """SUP-01: the justice bureau's current ruling on one fact (督察认定). The fact itself is
    never changed; each ruling given, the first and every revision, stays in
    `ledger_ruling_history`. `version` counts the rulings given (the ETag of the item)."""

    __tablename__ = "ledger_rulings"
    __table_args__ = (
        sa.UniqueConstraint("fact_id", name="uq_ledger_rulings_fact"),
        sa.Index("ix_ledger_rulings_org_ruled", "organisation", "ruled_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    fact_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("ledger_facts.id"))
    organisation: Mapped[str] = mapped_column(sa.String(80))  # the fact's, held to account
    outcome: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(sa.Integer)
    ruled_by: Mapped[str] = mapped_column(sa.String(200))
    ruled_at: Mapped[datetime] = mapped_column(TZ)
    first_ruled_at: Mapped[datetime] = mapped_column(TZ)


class LedgerRulingHistory(Base):
    """Every ruling given on a fact, in order: a revised ruling adds a row, none is lost."""

    __tablename__ = "ledger_ruling_history"
    __table_args__ = (
        sa.UniqueConstraint("fact_id", "version", name="uq_ledger_ruling_history_fact_version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    fact_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("ledger_facts.id"))
    version: Mapped[int] = mapped_column(sa.Integer)
    outcome: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    ruled_by: Mapped[str] = mapped_column(sa.String(200))
    ruled_at: Mapped[datetime] = mapped_column(TZ)


class LedgerReply(Base):
    """SUP-01: the organisation's statement on a fact before it is ruled on (陈述申辩), once."""

    __tablename__ = "ledger_replies"
    __table_args__ = (sa.UniqueConstraint("fact_id", name="uq_ledger_replies_fact"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    fact_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("ledger_facts.id"))
    organisation: Mapped[str] = mapped_column(sa.String(80))
    text: Mapped[str] = mapped_column(sa.Text)
    replied_by: Mapped[str] = mapped_column(sa.String(200))
    replied_at: Mapped[datetime] = mapped_column(TZ)


class WatchedCheckpoint(Base):
    """SUP-01, the outsider: one checkpoint of a service's audit chain as oversight read it
    from `audit.checkpoint`, with its verdict. The same checkpoint told again (a replay, a
    redelivery under a new event id) is kept once (`(service, key_id, signature)`)."""

    __tablename__ = "watched_checkpoints"
    __table_args__ = (
        sa.UniqueConstraint(
            "service", "key_id", "signature", name="uq_watched_checkpoints_signature"
        ),
        sa.Index("ix_watched_checkpoints_service_received", "service", "received_at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(always=True), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(100))
    service: Mapped[str] = mapped_column(sa.String(40))
    deployment: Mapped[str | None] = mapped_column(sa.String(64))
    chain_id: Mapped[str] = mapped_column(sa.String(64))
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.String(64))
    hash_algorithm: Mapped[str] = mapped_column(sa.String(10))
    signed_at: Mapped[datetime] = mapped_column(TZ)
    key_id: Mapped[str] = mapped_column(sa.String(64))
    signature_algorithm: Mapped[str] = mapped_column(sa.String(10))
    signature: Mapped[str] = mapped_column(sa.String(512))
    previous_seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    previous_hash: Mapped[str | None] = mapped_column(sa.String(64))
    verdict: Mapped[str] = mapped_column(sa.String(20))  # ok, repeated, or the alarm's kind
    received_at: Mapped[datetime] = mapped_column(TZ)


class WatchedHead(Base):
    """SUP-01, the outsider: the newest trusted checkpoint of each service's chain, against
    which the next one is judged (continuity: no gap, no rollback, the same chain)."""

    __tablename__ = "watched_heads"

    service: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    chain_id: Mapped[str] = mapped_column(sa.String(64))
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(TZ)
    checkpoints: Mapped[int] = mapped_column(sa.BigInteger)  # trusted ones of this chain
    updated_at: Mapped[datetime] = mapped_column(TZ)


class Alarm(Base):
    """An alarm oversight raised: the outsider's on a checkpoint it cannot trust (SUP-01), or
    the calendar watch's while next year's holiday schedule is missing (SUP-02). Each once:
    `alarm_key` names what it is about (the checkpoint; the missing year and the day)."""

    __tablename__ = "oversight_alarms"
    __table_args__ = (
        sa.UniqueConstraint("alarm_key", name="uq_oversight_alarms_key"),
        sa.Index("ix_oversight_alarms_raised", "raised_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    alarm_key: Mapped[str] = mapped_column(sa.String(300))
    source: Mapped[str] = mapped_column(sa.String(20))  # audit or calendar
    kind: Mapped[str] = mapped_column(sa.String(40))
    service: Mapped[str | None] = mapped_column(sa.String(40))  # whose chain (audit)
    checkpoint_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("watched_checkpoints.id")
    )
    detail: Mapped[str] = mapped_column(sa.Text)
    detail_zh: Mapped[str] = mapped_column(sa.Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # what it is about
    raised_at: Mapped[datetime] = mapped_column(TZ)
