"""The backbone tables every service database holds beside its own: the transactional
outbox, the inbox of handled events, the hash-chained audit log (its head and signed
checkpoints) and tracked deadlines.

These describe the tables for queries; `xietong_common.backbone` creates them, step by step.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

backbone_metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

outbox = sa.Table(
    "outbox",
    backbone_metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("envelope", JSONB, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
    sa.Index(
        "ix_outbox_key_unpublished", "key", "id", postgresql_where=sa.text("published_at IS NULL")
    ),
)

inbox = sa.Table(
    "inbox",
    backbone_metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("partition", sa.Integer, nullable=False),
    sa.Column("offset", sa.BigInteger, nullable=False),
    sa.Column(
        "handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

audit_log = sa.Table(
    "audit_log",
    backbone_metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("org", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("rule", sa.Text),
    sa.Column("detail", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False, unique=True),
    # The hash function that chained the row: sha256 (rows before backbone step 4) or sm3.
    sa.Column("hash_alg", sa.Text, nullable=False, server_default=sa.text("'sha256'")),
    sa.Index("ix_audit_log_subject", "subject"),
)

# The head of the audit chain (one row): locked just before COMMIT by a unit of work that
# appends audit rows, so appends are serialised only from there to COMMIT.
audit_head = sa.Table(
    "audit_head",
    backbone_metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
    # The chain's identity, named by every signed checkpoint (docs/audit.md).
    sa.Column(
        "chain_id", UUID(as_uuid=True), nullable=False, server_default=sa.text("gen_random_uuid()")
    ),
    sa.CheckConstraint("id = 1", name="one_row"),
)

# The checkpoints this service signed (its chain head, signed with its own key) and published
# to `audit.checkpoint` through the outbox: what it last signed, and a copy of the evidence.
audit_checkpoints = sa.Table(
    "audit_checkpoints",
    backbone_metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("service", sa.Text, nullable=False),
    sa.Column("chain_id", UUID(as_uuid=True), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
    sa.Column("hash_alg", sa.Text, nullable=False),
    sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_id", sa.Text, nullable=False),
    sa.Column("signature_alg", sa.Text, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("deployment", sa.Text),
    # Backbone step 8: the checkpoint it follows (the chain's previous one in this deployment).
    sa.Column("previous_seq", sa.BigInteger),
    sa.Column("previous_hash", sa.Text),
)

# Idempotency-Key of creates (per operation and organisation): what the first request was
# (its fingerprint) and what it created.
idempotency_keys = sa.Table(
    "idempotency_keys",
    backbone_metadata,
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("org", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.Text),
    sa.Column("resource_id", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_idempotency_keys_created_at", "created_at"),
)

# Statutory deadlines every mechanism tracks (REF-03, REF-07, REV-05, ASSIST-04 …):
# one row per (subject, action) owed by an organisation, closed when the action happens.
deadlines = sa.Table(
    "deadlines",
    backbone_metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("organisation", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),  # "working_days" | "calendar_days" | "hours"
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("provisional", sa.Boolean, nullable=False),
    sa.Column("satisfied_at", sa.DateTime(timezone=True)),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    sa.Column("breached_at", sa.DateTime(timezone=True)),
    sa.Column("breach_kind", sa.Text),
    # Backbone step 7: the deadline's record and parties, who acted, how it ended, reminders.
    sa.Column("counterparty", sa.Text),  # the other party of the record
    sa.Column("reference", sa.Text),  # the record's human reference (a case number)
    sa.Column("assignee", sa.Text),  # the person the record names as owing it
    sa.Column("satisfied_by", sa.Text),
    sa.Column("cancelled_by", sa.Text),
    sa.Column("end_kind", sa.Text),  # "cancelled" | "closed"
    sa.Column("end_reason", sa.Text),
    sa.Column(
        "reminded", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")
    ),  # the lead times handled (a reminder sent, or skipped)
    sa.Column("next_reminder_at", sa.DateTime(timezone=True)),
    sa.Column("announced", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_deadlines_subject", "subject"),
    sa.Index(
        "ix_deadlines_open_due",
        "due_at",
        postgresql_where=sa.text("satisfied_at IS NULL AND cancelled_at IS NULL"),
    ),
    sa.Index(
        "uq_deadlines_open_subject_action",
        "subject",
        "action",
        unique=True,
        postgresql_where=sa.text("satisfied_at IS NULL AND cancelled_at IS NULL"),
    ),
    sa.Index(
        "ix_deadlines_next_reminder",
        "next_reminder_at",
        postgresql_where=sa.text(
            "next_reminder_at IS NOT NULL AND satisfied_at IS NULL AND cancelled_at IS NULL"
        ),
    ),
    sa.Index(
        "ix_deadlines_owed",
        "organisation",
        "due_at",
        postgresql_where=sa.text("satisfied_at IS NULL AND cancelled_at IS NULL"),
    ),
    sa.Index("ix_deadlines_unannounced", "started_at", postgresql_where=sa.text("NOT announced")),
)

# Official documents (公文, xietong_common.documents): the 发文字号 series per organisation,
# kind and year, and every document issued, immutable once written (a trigger refuses any
# change but being marked superseded, once).
document_counters = sa.Table(
    "document_counters",
    backbone_metadata,
    sa.Column("org", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
    sa.CheckConstraint("last > 0", name="positive"),
)

documents = sa.Table(
    "documents",
    backbone_metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("instance", sa.Text, nullable=False, server_default=sa.text("''")),
    sa.Column("org", sa.Text, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("serial", sa.Integer, nullable=False),
    sa.Column("number", sa.Text, nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("signed_on", sa.Date, nullable=False),
    sa.Column("content", JSONB, nullable=False),
    sa.Column("content_digest", sa.Text, nullable=False, unique=True),
    sa.Column("sha256", sa.Text, nullable=False, unique=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("pages", sa.Integer, nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("issued_by", sa.Text, nullable=False),
    sa.Column("supersedes", UUID(as_uuid=True), sa.ForeignKey("documents.id")),
    sa.Column("correction_reason", sa.Text),
    sa.Column("superseded_by", UUID(as_uuid=True)),
    sa.Column("superseded_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("org", "kind", "year", "serial", name="uq_documents_org"),
    sa.Index("ix_documents_subject", "subject"),
    sa.Index(
        "uq_documents_current",
        "subject",
        "kind",
        "instance",
        unique=True,
        postgresql_where=sa.text("superseded_by IS NULL"),
    ),
)

# Committed outbox rows wake the relay through this NOTIFY channel.
OUTBOX_CHANNEL = "xietong_outbox"
