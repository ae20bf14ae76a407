"""The backbone schema every service database holds, as numbered steps frozen in SQL.

Each service's migrations apply the steps in order (`0001_backbone` applies step 1, later
revisions the later steps), so a database created today and one created a year ago end
up with the same tables: a step, once released, is never edited; a change is a new step.
`xietong_common.tables` describes the result for queries, and a test migrates a fresh
database through every step and compares it with those table definitions.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

GENESIS = "0" * 64

_STEP_1 = (
    """
    CREATE TABLE outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY,
        event_id UUID NOT NULL,
        topic TEXT NOT NULL,
        key TEXT NOT NULL,
        envelope JSONB NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        published_at TIMESTAMP WITH TIME ZONE,
        attempts INTEGER DEFAULT '0' NOT NULL,
        last_error TEXT,
        CONSTRAINT pk_outbox PRIMARY KEY (id),
        CONSTRAINT uq_outbox_event_id UNIQUE (event_id)
    )
    """,
    "CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL",
    "CREATE INDEX ix_outbox_key_unpublished ON outbox (key, id) WHERE published_at IS NULL",
    """
    CREATE TABLE inbox (
        event_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        event_type TEXT NOT NULL,
        partition INTEGER NOT NULL,
        "offset" BIGINT NOT NULL,
        handled_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        CONSTRAINT pk_inbox PRIMARY KEY (event_id)
    )
    """,
    """
    CREATE TABLE audit_log (
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        at TIMESTAMP WITH TIME ZONE NOT NULL,
        actor TEXT NOT NULL,
        org TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        rule TEXT,
        detail JSONB DEFAULT '{}'::jsonb NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        CONSTRAINT pk_audit_log PRIMARY KEY (seq),
        CONSTRAINT uq_audit_log_hash UNIQUE (hash)
    )
    """,
    "CREATE INDEX ix_audit_log_subject ON audit_log (subject)",
    """
    CREATE TABLE deadlines (
        id UUID NOT NULL,
        subject TEXT NOT NULL,
        action TEXT NOT NULL,
        rule TEXT NOT NULL,
        organisation TEXT NOT NULL,
        unit TEXT NOT NULL,
        amount INTEGER NOT NULL,
        started_at TIMESTAMP WITH TIME ZONE NOT NULL,
        due_at TIMESTAMP WITH TIME ZONE NOT NULL,
        provisional BOOLEAN NOT NULL,
        satisfied_at TIMESTAMP WITH TIME ZONE,
        cancelled_at TIMESTAMP WITH TIME ZONE,
        breached_at TIMESTAMP WITH TIME ZONE,
        breach_kind TEXT,
        CONSTRAINT pk_deadlines PRIMARY KEY (id)
    )
    """,
    "CREATE INDEX ix_deadlines_open_due ON deadlines (due_at)"
    " WHERE satisfied_at IS NULL AND cancelled_at IS NULL",
    "CREATE INDEX ix_deadlines_subject ON deadlines (subject)",
    "CREATE UNIQUE INDEX uq_deadlines_open_subject_action ON deadlines (subject, action)"
    " WHERE satisfied_at IS NULL AND cancelled_at IS NULL",
    # The audit log is append-only even for the service's own role: an edit has to
    # disable the trigger first, and then `xietong audit verify` still sees the edit.
    """
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """,
)

# Step 2: the head of the audit chain, one row. A unit of work locks it (SELECT … FOR
# UPDATE, which returns the newest committed head even after waiting) just before COMMIT,
# so the chain lock is held from there to COMMIT rather than across the request.
_STEP_2 = (
    """
    CREATE TABLE audit_head (
        id SMALLINT NOT NULL,
        last_seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        CONSTRAINT pk_audit_head PRIMARY KEY (id),
        CONSTRAINT ck_audit_head_one_row CHECK (id = 1)
    )
    """,
    f"""
    INSERT INTO audit_head (id, last_seq, hash)
    SELECT 1, coalesce(max(seq), 0),
           coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '{GENESIS}')
    FROM audit_log
    """,
)

# Step 3: Idempotency-Key of every create, per organisation and operation: the fingerprint
# of the first request and what it created, so a retry returns it and a different request
# under the same key is refused.
_STEP_3 = (
    """
    CREATE TABLE idempotency_keys (
        scope TEXT NOT NULL,
        org TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT,
        resource_id TEXT,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (scope, org, key)
    )
    """,
    "CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at)",
)

# Step 4: an audit trail an outsider can check (docs/audit.md). Each row names the hash
# function that chained it (`audit_hash_algorithm`: sha256, or sm3 for a 商用密码 site); rows
# written before, and rows from a replica still on the old code, are SHA-256 by the default.
# The head gets the chain's identity, which every signed checkpoint names; the service keeps
# its own record of the checkpoints it signed (what it last signed; the outbox publishes them
# to the never-deleting `audit.checkpoint` topic, where they are the evidence).
_STEP_4 = (
    "ALTER TABLE audit_log ADD COLUMN hash_alg TEXT DEFAULT 'sha256' NOT NULL",
    "ALTER TABLE audit_head ADD COLUMN chain_id UUID DEFAULT gen_random_uuid() NOT NULL",
    """
    CREATE TABLE audit_checkpoints (
        id BIGINT GENERATED ALWAYS AS IDENTITY,
        event_id UUID NOT NULL,
        service TEXT NOT NULL,
        chain_id UUID NOT NULL,
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        hash_alg TEXT NOT NULL,
        signed_at TIMESTAMP WITH TIME ZONE NOT NULL,
        key_id TEXT NOT NULL,
        signature_alg TEXT NOT NULL,
        signature TEXT NOT NULL,
        CONSTRAINT pk_audit_checkpoints PRIMARY KEY (id),
        CONSTRAINT uq_audit_checkpoints_event_id UNIQUE (event_id)
    )
    """,
)

# Step 5: a checkpoint names the deployment that signed it (XIETONG_DEPLOYMENT_ID), so a
# staging and a production system sharing a broker never judge each other's chains.
_STEP_5 = ("ALTER TABLE audit_checkpoints ADD COLUMN deployment TEXT",)

# Step 6: official documents (公文, docs/documents.md). A document number (发文字号) series per
# issuing organisation, kind and year, counted in the issuing transaction (so a rolled-back
# issue leaves no gap and no number is given twice); each issued document once, immutable:
# its content (the JSON it was rendered from), the SHA-256 of its file and of its content.
# A correction is a new document that supersedes the old one; both are kept, and the only
# change a row ever takes is being marked superseded, once.
_STEP_6 = (
    """
    CREATE TABLE document_counters (
        org TEXT NOT NULL,
        kind TEXT NOT NULL,
        year INTEGER NOT NULL,
        last INTEGER NOT NULL,
        CONSTRAINT pk_document_counters PRIMARY KEY (org, kind, year),
        CONSTRAINT ck_document_counters_positive CHECK (last > 0)
    )
    """,
    """
    CREATE TABLE documents (
        id UUID NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        instance TEXT DEFAULT '' NOT NULL,
        org TEXT NOT NULL,
        year INTEGER NOT NULL,
        serial INTEGER NOT NULL,
        number TEXT NOT NULL,
        title TEXT NOT NULL,
        signed_on DATE NOT NULL,
        content JSONB NOT NULL,
        content_digest TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size BIGINT NOT NULL,
        media_type TEXT NOT NULL,
        pages INTEGER NOT NULL,
        issued_at TIMESTAMP WITH TIME ZONE NOT NULL,
        issued_by TEXT NOT NULL,
        supersedes UUID,
        correction_reason TEXT,
        superseded_by UUID,
        superseded_at TIMESTAMP WITH TIME ZONE,
        CONSTRAINT pk_documents PRIMARY KEY (id),
        CONSTRAINT uq_documents_number UNIQUE (number),
        CONSTRAINT uq_documents_sha256 UNIQUE (sha256),
        CONSTRAINT uq_documents_content_digest UNIQUE (content_digest),
        CONSTRAINT uq_documents_org UNIQUE (org, kind, year, serial),
        CONSTRAINT fk_documents_supersedes_documents FOREIGN KEY (supersedes)
            REFERENCES documents (id)
    )
    """,
    "CREATE INDEX ix_documents_subject ON documents (subject)",
    "CREATE UNIQUE INDEX uq_documents_current ON documents (subject, kind, instance)"
    " WHERE superseded_by IS NULL",
    """
    CREATE OR REPLACE FUNCTION documents_immutable() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.superseded_by IS NULL AND NEW.superseded_by IS NOT NULL
         AND NEW.superseded_at IS NOT NULL
         AND to_jsonb(NEW) - 'superseded_by' - 'superseded_at'
             = to_jsonb(OLD) - 'superseded_by' - 'superseded_at' THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'an issued document is immutable (a correction supersedes it)';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER documents_no_change BEFORE UPDATE OR DELETE ON documents
      FOR EACH ROW EXECUTE FUNCTION documents_immutable()
    """,
)

# Step 7: a deadline tells what happened to it (docs/architecture.md, "Deadlines"). It names
# the other party of its record (`counterparty`: the referral's sender when the receiver owes
# REF-07), the record's human reference (a receipt or case number) and the person the record
# names as owing it (`assignee`); who met it or ended it, and why it ended (`end_kind`
# cancelled or closed, `end_reason`); the due-soon reminders already handled and when the next
# one is due (issue 24); `announced`: its lifecycle facts were published. Rows from before
# this step were never announced: the sweep publishes their facts once, as they stand; open
# ones get their reminders planned at the next sweep.
_STEP_7 = (
    "ALTER TABLE deadlines ADD COLUMN counterparty TEXT",
    "ALTER TABLE deadlines ADD COLUMN reference TEXT",
    "ALTER TABLE deadlines ADD COLUMN assignee TEXT",
    "ALTER TABLE deadlines ADD COLUMN satisfied_by TEXT",
    "ALTER TABLE deadlines ADD COLUMN cancelled_by TEXT",
    "ALTER TABLE deadlines ADD COLUMN end_kind TEXT",
    "ALTER TABLE deadlines ADD COLUMN end_reason TEXT",
    "ALTER TABLE deadlines ADD COLUMN reminded TEXT[] DEFAULT '{}' NOT NULL",
    "ALTER TABLE deadlines ADD COLUMN next_reminder_at TIMESTAMP WITH TIME ZONE",
    "ALTER TABLE deadlines ADD COLUMN announced BOOLEAN DEFAULT false NOT NULL",
    """
    UPDATE deadlines SET next_reminder_at = now()
    WHERE satisfied_at IS NULL AND cancelled_at IS NULL AND due_at > now()
    """,
    "CREATE INDEX ix_deadlines_next_reminder ON deadlines (next_reminder_at)"
    " WHERE next_reminder_at IS NOT NULL AND satisfied_at IS NULL AND cancelled_at IS NULL",
    "CREATE INDEX ix_deadlines_owed ON deadlines (organisation, due_at)"
    " WHERE satisfied_at IS NULL AND cancelled_at IS NULL",
    "CREATE INDEX ix_deadlines_unannounced ON deadlines (started_at) WHERE NOT announced",
)

# Step 8: a checkpoint names the one it follows (the chain's previous checkpoint in this
# deployment, its row and hash), signed with it: an outsider that never received a
# checkpoint the service signed (dropped from the topic) sees the gap at the next one.
_STEP_8 = (
    "ALTER TABLE audit_checkpoints ADD COLUMN previous_seq BIGINT",
    "ALTER TABLE audit_checkpoints ADD COLUMN previous_hash TEXT",
)

STEPS: dict[int, tuple[str, ...]] = {
    1: _STEP_1,
    2: _STEP_2,
    3: _STEP_3,
    4: _STEP_4,
    5: _STEP_5,
    6: _STEP_6,
    7: _STEP_7,
    8: _STEP_8,
}
_DOWN: dict[int, tuple[str, ...]] = {
    1: (
        "DROP TABLE IF EXISTS deadlines",
        "DROP TABLE IF EXISTS audit_log",
        "DROP TABLE IF EXISTS inbox",
        "DROP TABLE IF EXISTS outbox",
        "DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE",
    ),
    2: ("DROP TABLE IF EXISTS audit_head",),
    3: ("DROP TABLE IF EXISTS idempotency_keys",),
    4: (
        # Without the column every row would be verified as SHA-256: refuse while SM3 rows exist.
        """
        DO $$
        BEGIN
          IF EXISTS (SELECT 1 FROM audit_log WHERE hash_alg <> 'sha256') THEN
            RAISE EXCEPTION 'audit_log holds rows not chained with SHA-256: cannot go below step 4';
          END IF;
        END
        $$
        """,
        "DROP TABLE IF EXISTS audit_checkpoints",
        "ALTER TABLE audit_head DROP COLUMN IF EXISTS chain_id",
        "ALTER TABLE audit_log DROP COLUMN IF EXISTS hash_alg",
    ),
    5: ("ALTER TABLE audit_checkpoints DROP COLUMN IF EXISTS deployment",),
    8: (
        "ALTER TABLE audit_checkpoints DROP COLUMN IF EXISTS previous_hash",
        "ALTER TABLE audit_checkpoints DROP COLUMN IF EXISTS previous_seq",
    ),
    6: (
        "DROP TABLE IF EXISTS documents",
        "DROP FUNCTION IF EXISTS documents_immutable() CASCADE",
        "DROP TABLE IF EXISTS document_counters",
    ),
    7: (
        "DROP INDEX IF EXISTS ix_deadlines_unannounced",
        "DROP INDEX IF EXISTS ix_deadlines_owed",
        "DROP INDEX IF EXISTS ix_deadlines_next_reminder",
        *(
            f"ALTER TABLE deadlines DROP COLUMN IF EXISTS {column}"
            for column in (
                "announced",
                "next_reminder_at",
                "reminded",
                "end_reason",
                "end_kind",
                "cancelled_by",
                "satisfied_by",
                "assignee",
                "reference",
                "counterparty",
            )
        ),
    ),
}
LATEST = max(STEPS)


def apply_step(bind: Connection, step: int) -> None:
    for statement in STEPS[step]:
        bind.exec_driver_sql(statement)


def revert_step(bind: Connection, step: int) -> None:
    for statement in _DOWN[step]:
        bind.exec_driver_sql(statement)


def create_backbone_schema(bind: Connection) -> None:
    """Every step in order: what a service's migrations build (tests use it directly)."""
    for step in sorted(STEPS):
        apply_step(bind, step)


def drop_backbone_schema(bind: Connection) -> None:
    for step in sorted(STEPS, reverse=True):
        revert_step(bind, step)
