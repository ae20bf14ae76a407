"""Append-only, hash-chained audit log: who did what, when, under which rule.

Each row's hash covers its content and the hash of the row before it, so an edited or
deleted row breaks the chain (`verify_chain`). A unit of work collects its audit rows and
chains them at commit time (`append`): it locks the chain head, reads the previous hash
in the same statement, inserts the rows and moves the head, then commits; appends from
concurrent requests are therefore serialised only for that last moment.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from xietong_common.backbone import GENESIS
from xietong_common.tables import audit_head, audit_log


@dataclass(frozen=True)
class AuditEntry:
    """One audited change, waiting in a unit of work for its place in the chain."""

    at: datetime
    actor: str
    org: str
    action: str
    subject: str
    rule: str | None
    detail: dict[str, Any]

    @classmethod
    def of(
        cls,
        *,
        at: datetime,
        actor: str,
        org: str,
        action: str,
        subject: str,
        rule: str | None,
        detail: dict[str, Any],
    ) -> AuditEntry:
        # Round-trip through JSON so the hash covers exactly what JSONB will store.
        stored = json.loads(json.dumps(detail, default=str, ensure_ascii=False))
        return cls(at, actor, org, action, subject, rule, stored)


def row_hash(
    *,
    prev_hash: str,
    at: datetime,
    actor: str,
    org: str,
    action: str,
    subject: str,
    rule: str | None,
    detail: dict[str, Any],
) -> str:
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "org": org,
            "action": action,
            "subject": subject,
            "rule": rule,
            "detail": detail,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# FOR UPDATE waits for a concurrent appender and then returns the head it committed (READ
# COMMITTED re-reads the locked row), which a plain read at statement start would not.
_LOCK_HEAD = sa.select(audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()


async def append(session: AsyncSession, entries: list[AuditEntry]) -> str | None:
    """Chain `entries` after the current head and move the head; call last before COMMIT.

    Two statements: lock the head and read the previous hash; insert the rows and move the
    head. Returns the new head hash (None when there was nothing to append)."""
    if not entries:
        return None
    prev: str = (await session.execute(_LOCK_HEAD)).scalar_one()
    columns: dict[str, list[Any]] = {name: [] for name in _APPEND_COLUMNS}
    for entry in entries:
        digest = row_hash(
            prev_hash=prev,
            at=entry.at,
            actor=entry.actor,
            org=entry.org,
            action=entry.action,
            subject=entry.subject,
            rule=entry.rule,
            detail=entry.detail,
        )
        for name, value in (
            ("at", entry.at),
            ("actor", entry.actor),
            ("org", entry.org),
            ("action", entry.action),
            ("subject", entry.subject),
            ("rule", entry.rule),
            ("detail", json.dumps(entry.detail, ensure_ascii=False)),
            ("prev_hash", prev),
            ("hash", digest),
        ):
            columns[name].append(value)
        prev = digest
    await session.execute(_APPEND, {**columns, "head": prev})
    return prev


_APPEND_COLUMNS = ("at", "actor", "org", "action", "subject", "rule", "detail", "prev_hash", "hash")
# One statement for any number of rows (arrays unnested), so it is prepared once and reused:
# insert the rows and move the head to the last of them.
_APPEND = sa.text(
    """
    WITH inserted AS (
        INSERT INTO audit_log (at, actor, org, action, subject, rule, detail, prev_hash, hash)
        SELECT * FROM unnest(
            CAST(:at AS timestamptz[]), CAST(:actor AS text[]), CAST(:org AS text[]),
            CAST(:action AS text[]), CAST(:subject AS text[]), CAST(:rule AS text[]),
            CAST(:detail AS jsonb[]), CAST(:prev_hash AS text[]), CAST(:hash AS text[])
        )
        RETURNING seq
    )
    UPDATE audit_head SET last_seq = (SELECT max(seq) FROM inserted), hash = :head WHERE id = 1
    """
)


@dataclass(frozen=True)
class ChainReport:
    rows: int
    ok: bool
    problems: list[str]


async def verify_chain(conn: AsyncConnection | AsyncSession) -> ChainReport:
    """Recompute every hash in order; report edited, deleted or reordered rows, and a head
    that does not name the last row (rows removed from the end)."""
    result = await conn.stream(sa.select(audit_log).order_by(audit_log.c.seq))
    problems: list[str] = []
    expected_prev = GENESIS
    rows = 0
    last_seq = 0
    # Sequence gaps are normal (rolled-back transactions); the chain itself shows
    # a deleted row, because the row after it no longer links to its predecessor.
    async for row in result.mappings():
        rows += 1
        seq = last_seq = int(row["seq"])
        if row["prev_hash"] != expected_prev:
            problems.append(f"row {seq}: does not link to the row before it (deleted or reordered)")
        recomputed = row_hash(
            prev_hash=row["prev_hash"],
            at=row["at"],
            actor=row["actor"],
            org=row["org"],
            action=row["action"],
            subject=row["subject"],
            rule=row["rule"],
            detail=row["detail"],
        )
        if recomputed != row["hash"]:
            problems.append(f"row {seq}: content does not match its hash (edited)")
        expected_prev = row["hash"]
    head = (await conn.execute(sa.select(audit_head).where(audit_head.c.id == 1))).first()
    if head is None:
        problems.append("the chain head is missing")
    elif (head.hash, int(head.last_seq)) != (expected_prev, last_seq):
        problems.append(
            f"the chain head names row {head.last_seq}, the log ends at row {last_seq} "
            "(rows removed from the end, or the head edited)"
        )
    return ChainReport(rows=rows, ok=not problems, problems=problems)
