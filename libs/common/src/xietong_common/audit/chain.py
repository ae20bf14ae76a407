"""Append-only, hash-chained audit log: who did what, when, under which rule.

Each row's hash covers its content and the hash of the row before it, so an edited or
deleted row breaks the chain (`verify_chain`). A unit of work collects its audit rows and
chains them at commit time (`append`): it locks the chain head, reads the previous hash
in the same statement, inserts the rows and moves the head, then commits; appends from
concurrent requests are therefore serialised only for that last moment.

Each row names its hash function (`hash_alg`: sha256, or sm3 where the site's setting says
so), so the chain may change function at any row and every row still verifies. What the
chain alone cannot show — its newest rows removed, or the whole chain recomputed — the
signed checkpoints show (`xietong_common.attestation.checkpoints`): `verify_chain` checks the
rows against the (seq, hash) pairs they name.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from xietong_common.audit.crypto import UnknownAlgorithm, hash_function
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
        # Round-trip through JSON so the hash covers exactly what JSONB will store. A detail
        # of plain values (text keys; text, whole numbers, booleans, None) comes back equal,
        # so it is copied as it is (most are: ids, codes, names).
        if all(type(key) is str and type(value) in _PLAIN for key, value in detail.items()):
            return cls(at, actor, org, action, subject, rule, dict(detail))
        stored = json.loads(json.dumps(detail, default=str, ensure_ascii=False))
        return cls(at, actor, org, action, subject, rule, stored)


_PLAIN = frozenset({str, int, bool, type(None)})
"""Values JSON gives back equal (not float: NaN; not a subclass: an enum comes back plain)."""


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
    algorithm: str = "sha256",
) -> str:
    """The row's hash: `algorithm` (sha256 or sm3) over the canonical JSON of its content and
    the previous row's hash (the same encoding whatever the function; docs/audit.md)."""
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
    return hash_function(algorithm)(canonical.encode())


_CANONICAL = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
).encode
"""`row_hash`'s encoding (`json.dumps` with its options), made once."""


def _canonical_around_prev(entry: AuditEntry) -> tuple[str, str, str]:
    """The canonical JSON `row_hash` hashes, as the text before the previous hash and the text
    after it: worked out before the chain head is locked, so that inside the lock only the
    hash itself is left to compute; and the detail's JSON (for its JSONB column). The object
    is written key by key in `row_hash`'s sorted order (`action`, `actor`, `at`, `detail`,
    `org`, `prev`, `rule`, `subject`), each value with its encoder, so `before + prev +
    after` is exactly its text."""
    encode = _CANONICAL
    detail = encode(entry.detail)
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    before = (
        f'{{"action":{encode(entry.action)},"actor":{encode(entry.actor)},"at":{encode(at)},'
        f'"detail":{detail},"org":{encode(entry.org)},"prev":"'
    )
    after = f'","rule":{encode(entry.rule)},"subject":{encode(entry.subject)}}}'
    return before, after, detail


# FOR UPDATE waits for a concurrent appender and then returns the head it committed (READ
# COMMITTED re-reads the locked row), which a plain read at statement start would not.
_LOCK_HEAD = sa.select(audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()


async def append(
    session: AsyncSession, entries: list[AuditEntry], *, algorithm: str = "sha256"
) -> str | None:
    """Chain `entries` after the current head with `algorithm` and move the head; call last
    before COMMIT.

    Two statements: lock the head and read the previous hash; insert the rows and move the
    head. Returns the new head hash (None when there was nothing to append)."""
    if not entries:
        return None
    hash_function(algorithm)  # an unknown name fails here, before the head is locked
    if algorithm == "sha256":
        return await _append_in_one_statement(session, entries)
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
            algorithm=algorithm,
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
    await session.execute(_APPEND, {**columns, "head": prev, "hash_alg": algorithm})
    return prev


_APPEND_COLUMNS = ("at", "actor", "org", "action", "subject", "rule", "detail", "prev_hash", "hash")
# One statement for any number of rows (arrays unnested), so it is prepared once and reused:
# insert the rows and move the head to the last of them. One unit of work's rows share one
# hash function, so it is one more parameter, not one more array.
_APPEND = sa.text(
    """
    WITH inserted AS (
        INSERT INTO audit_log (
            at, actor, org, action, subject, rule, detail, prev_hash, hash, hash_alg
        )
        SELECT *, CAST(:hash_alg AS text) FROM unnest(
            CAST(:at AS timestamptz[]), CAST(:actor AS text[]), CAST(:org AS text[]),
            CAST(:action AS text[]), CAST(:subject AS text[]), CAST(:rule AS text[]),
            CAST(:detail AS jsonb[]), CAST(:prev_hash AS text[]), CAST(:hash AS text[])
        )
        RETURNING seq
    )
    UPDATE audit_head SET last_seq = (SELECT max(seq) FROM inserted), hash = :head WHERE id = 1
    """
)


async def _append_in_one_statement(session: AsyncSession, entries: list[AuditEntry]) -> str:
    """SHA-256 chains in PostgreSQL (`sha256()`), in the statement that locks the head: the
    head stays locked from that statement to COMMIT, with no round trip — nor a wait for the
    event loop to come back to this request — in between. The text hashed is `row_hash`'s,
    byte for byte (`_canonical_around_prev`), so `verify_chain` recomputes the same hashes."""
    head: str = (await session.execute(_APPEND_SHA256, sha256_columns(entries))).scalar_one()
    return head


def sha256_columns(entries: list[AuditEntry]) -> dict[str, list[Any]]:
    """The parameters of a SHA-256 append of `entries` (`_APPEND_SHA256`, `sha256_append_after`):
    one array per column, the canonical text around each previous hash among them."""
    columns: dict[str, list[Any]] = {name: [] for name in (*_APPEND_COLUMNS[:7], "before", "after")}
    for entry in entries:
        before, after, detail = _canonical_around_prev(entry)
        for name, value in (
            ("at", entry.at),
            ("actor", entry.actor),
            ("org", entry.org),
            ("action", entry.action),
            ("subject", entry.subject),
            ("rule", entry.rule),
            ("detail", detail),  # JSONB keeps the value, not the text: the same row
            ("before", before),
            ("after", after),
        ):
            columns[name].append(value)
    return columns


def sha256_one(entry: AuditEntry) -> dict[str, Any]:
    """The parameters of a SHA-256 append of one entry (`sha256_append_after(one=True)`)."""
    return {name: values[0] for name, values in sha256_columns([entry]).items()}


# The chain's CTEs and the head's move: after `WITH RECURSIVE` and any CTEs of the caller's.
_SHA256_APPEND = """
    head AS (SELECT hash FROM audit_head WHERE id = 1 FOR UPDATE),
    entry AS (
        SELECT * FROM unnest(
            CAST(:at AS timestamptz[]), CAST(:actor AS text[]), CAST(:org AS text[]),
            CAST(:action AS text[]), CAST(:subject AS text[]), CAST(:rule AS text[]),
            CAST(:detail AS jsonb[]), CAST(:before AS text[]), CAST(:after AS text[])
        ) WITH ORDINALITY AS e(at, actor, org, action, subject, rule, detail, before, after, n)
    ),
    chain (n, prev_hash, hash) AS (
        SELECT CAST(0 AS bigint), CAST(NULL AS text), (SELECT hash FROM head)
        UNION ALL
        SELECT e.n, c.hash,
               encode(sha256(convert_to(e.before || c.hash || e.after, 'UTF8')), 'hex')
        FROM chain c JOIN entry e ON e.n = c.n + 1
    ),
    inserted AS (
        INSERT INTO audit_log (
            at, actor, org, action, subject, rule, detail, prev_hash, hash, hash_alg
        )
        SELECT e.at, e.actor, e.org, e.action, e.subject, e.rule, e.detail, c.prev_hash, c.hash,
               'sha256'
        FROM entry e JOIN chain c ON c.n = e.n
        ORDER BY e.n
        RETURNING seq
    )
    UPDATE audit_head
    SET last_seq = (SELECT max(seq) FROM inserted),
        hash = (SELECT hash FROM chain ORDER BY n DESC LIMIT 1)
    WHERE id = 1
    RETURNING hash"""

_APPEND_SHA256 = sa.text(f"WITH RECURSIVE{_SHA256_APPEND}")

# The same for one row: its columns as parameters of their own, not arrays of one. asyncpg
# checks each array and each of its elements against three abstract base classes — some 45
# Python calls for a row's nine columns, paid by every audited change (issue 22).
_ENTRY_OF_ARRAYS = _SHA256_APPEND[
    _SHA256_APPEND.index("    entry AS (") : _SHA256_APPEND.index("    chain (n, prev_hash")
]
_ONE_ENTRY = """    entry AS (
        SELECT CAST(:at AS timestamptz) AS at, CAST(:actor AS text) AS actor,
               CAST(:org AS text) AS org, CAST(:action AS text) AS action,
               CAST(:subject AS text) AS subject, CAST(:rule AS text) AS rule,
               CAST(:detail AS jsonb) AS detail, CAST(:before AS text) AS before,
               CAST(:after AS text) AS after, CAST(1 AS bigint) AS n
    ),
"""
_SHA256_APPEND_ONE = _SHA256_APPEND.replace(_ENTRY_OF_ARRAYS, _ONE_ENTRY, 1)


def sha256_append_after(
    ctes: str, *, first: Sequence[str] = (), returning: str = "", one: bool = False
) -> sa.TextClause:
    """The SHA-256 append as the last part of a statement that first makes the transaction's
    other writes (`ctes`: named common table expressions, comma-separated, whose names are
    not `head`, `entry`, `chain` or `inserted`; `first`: the names of those that write, each
    with a RETURNING, read before the chain head is locked — PostgreSQL would otherwise run a
    write nobody reads after the statement's own, inside the lock; `returning`: more of the
    result, after the new head hash — where a CTE that is not a write must be read to run).
    One round trip where there were two, and still the head is locked by the transaction's
    last statement, for no longer than before. Its parameters: `sha256_columns` and the
    CTEs' own — with `one`, for one entry, each column's value itself rather than an array
    of one (`sha256_one`). Build it once (a module constant)."""
    append = _SHA256_APPEND_ONE if one else _SHA256_APPEND
    if first:
        written = " AND ".join(f"(SELECT count(*) FROM {name}) >= 0" for name in first)
        append = append.replace(
            "WHERE id = 1 FOR UPDATE)", f"WHERE id = 1 AND {written} FOR UPDATE)", 1
        )
    statement = f"WITH RECURSIVE\n    {ctes.strip()},{append}"
    return sa.text(f"{statement}, {returning}" if returning else statement)


@dataclass(frozen=True)
class CheckpointClaim:
    """What a verified, signed checkpoint says of this chain: row `seq` has hash `hash`
    (`label` says which checkpoint, for the report)."""

    seq: int
    hash: str
    label: str


@dataclass(frozen=True)
class ChainReport:
    rows: int
    ok: bool
    problems: list[str]
    last_seq: int = 0
    head_seq: int | None = None
    claims_matched: int = 0
    newest_matched_seq: int | None = None
    algorithms: dict[str, int] = field(default_factory=dict)


# Rows read per statement while verifying: memory stays bounded on a long chain.
VERIFY_BATCH = 5000


async def _in_order(conn: AsyncConnection | AsyncSession) -> AsyncIterator[RowMapping]:
    """Every row of the log in `seq` order, a batch at a time (keyset on `seq`: it works in a
    transaction or outside one, and holds no cursor open)."""
    after: int | None = None
    while True:
        query = sa.select(audit_log).order_by(audit_log.c.seq).limit(VERIFY_BATCH)
        if after is not None:
            query = query.where(audit_log.c.seq > after)
        batch = (await conn.execute(query)).mappings().all()
        for row in batch:
            yield row
        if len(batch) < VERIFY_BATCH:
            return
        after = int(batch[-1]["seq"])


async def verify_chain(
    conn: AsyncConnection | AsyncSession, claims: Iterable[CheckpointClaim] = ()
) -> ChainReport:
    """Recompute every hash in order, each with its row's function; report edited, deleted or
    reordered rows, a head that does not name the last row, and — against the signed
    checkpoints' `claims` — rows that no longer match what was signed (a chain rewritten
    end to end) or are gone (the newest rows truncated)."""
    expected: dict[int, list[CheckpointClaim]] = {}
    for claim in claims:
        expected.setdefault(claim.seq, []).append(claim)
    problems: list[str] = []
    algorithms: dict[str, int] = {}
    expected_prev = GENESIS
    rows = 0
    last_seq = 0
    matched = 0
    newest_matched: int | None = None
    # Sequence gaps are normal (rolled-back transactions); the chain itself shows
    # a deleted row, because the row after it no longer links to its predecessor.
    async for row in _in_order(conn):
        rows += 1
        seq = last_seq = int(row["seq"])
        algorithm = row["hash_alg"]
        algorithms[algorithm] = algorithms.get(algorithm, 0) + 1
        if row["prev_hash"] != expected_prev:
            problems.append(f"row {seq}: does not link to the row before it (deleted or reordered)")
        try:
            recomputed = row_hash(
                prev_hash=row["prev_hash"],
                at=row["at"],
                actor=row["actor"],
                org=row["org"],
                action=row["action"],
                subject=row["subject"],
                rule=row["rule"],
                detail=row["detail"],
                algorithm=algorithm,
            )
        except UnknownAlgorithm:
            problems.append(f"row {seq}: unknown hash algorithm {algorithm!r} (edited)")
        else:
            if recomputed != row["hash"]:
                problems.append(f"row {seq}: content does not match its hash (edited)")
        for claim in expected.pop(seq, ()):
            if claim.hash == row["hash"]:
                matched += 1
                newest_matched = seq
            else:
                problems.append(
                    f"row {seq}: its hash {row['hash'][:16]}… is not the {claim.hash[:16]}… "
                    f"signed by {claim.label}: the chain was rewritten (up to row {seq} at least)"
                )
        expected_prev = row["hash"]
    for seq, missing in sorted(expected.items()):
        for claim in missing:
            if seq > last_seq:
                problems.append(
                    f"{claim.label} names row {seq}, but the chain ends at row {last_seq}: the "
                    f"newest rows were truncated ({seq - last_seq} or more removed)"
                )
            else:
                problems.append(f"{claim.label} names row {seq}, which is gone (deleted)")
    head = (await conn.execute(sa.select(audit_head).where(audit_head.c.id == 1))).first()
    if head is None:
        problems.append("the chain head is missing")
    elif (head.hash, int(head.last_seq)) != (expected_prev, last_seq):
        problems.append(
            f"the chain head names row {head.last_seq}, the log ends at row {last_seq} "
            "(rows removed from the end, or the head edited)"
        )
    return ChainReport(
        rows=rows,
        ok=not problems,
        problems=problems,
        last_seq=last_seq,
        head_seq=None if head is None else int(head.last_seq),
        claims_matched=matched,
        newest_matched_seq=newest_matched,
        algorithms=algorithms,
    )
