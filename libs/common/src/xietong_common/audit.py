"""Append-only, hash-chained audit log: who did what, when, under which rule."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from xietong_common.db import audit_log

GENESIS = "0" * 64
# Appends are serialised per database so each row chains to the one before it.
_AUDIT_LOCK_KEY = 0x58494554  # "XIET"


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


async def append(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    org: str,
    action: str,
    subject: str,
    rule: str | None,
    detail: dict[str, Any],
) -> str:
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_AUDIT_LOCK_KEY)))
    prev = (
        await session.execute(sa.select(audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1))
    ).scalar_one_or_none() or GENESIS
    # Round-trip through JSON so the hash covers exactly what JSONB will store.
    stored_detail = json.loads(json.dumps(detail, default=str, ensure_ascii=False))
    digest = row_hash(
        prev_hash=prev,
        at=at,
        actor=actor,
        org=org,
        action=action,
        subject=subject,
        rule=rule,
        detail=stored_detail,
    )
    await session.execute(
        sa.insert(audit_log).values(
            at=at,
            actor=actor,
            org=org,
            action=action,
            subject=subject,
            rule=rule,
            detail=stored_detail,
            prev_hash=prev,
            hash=digest,
        )
    )
    return digest


@dataclass(frozen=True)
class ChainReport:
    rows: int
    ok: bool
    problems: list[str]


async def verify_chain(conn: AsyncConnection | AsyncSession) -> ChainReport:
    """Recompute every hash in order; report edited, deleted or reordered rows."""
    result = await conn.stream(sa.select(audit_log).order_by(audit_log.c.seq))
    problems: list[str] = []
    expected_prev = GENESIS
    rows = 0
    # Sequence gaps are normal (rolled-back transactions); the chain itself shows
    # a deleted row, because the row after it no longer links to its predecessor.
    async for row in result.mappings():
        rows += 1
        seq = int(row["seq"])
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
    return ChainReport(rows=rows, ok=not problems, problems=problems)
