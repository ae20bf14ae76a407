"""INSP-02: commit, then reveal. Before a round can be drawn the register is frozen and the
round's seed made; only the seed's SHA-256 and the snapshot's digest go into the signed audit
chain (`inspection.selection.committed`). Round 1 is committed when the plan is adopted, each
next round when the one before is drawn (or when an adjustment gives the plan more rounds).

The snapshot is written in PostgreSQL in one statement over the town's register and hashed
there, line by line, exactly as `domain.selection.snapshot_digest` hashes it.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from joint_inspection.domain import NEVER_CLEAN_LEVELS
from joint_inspection.domain.selection import canonical_json, seed_commitment
from joint_inspection.models import DrawCommitment, Plan, Selection
from joint_inspection.service.common import PLAN, lock_register
from joint_inspection.service.targets import china_day, risk_policy
from xietong_common.context import ServiceContext
from xietong_common.uow import UnitOfWork

SNAPSHOT_FORMAT = "insp-02/snapshot-v1"

# The town's register as the draw reads it at `:as_of`: each supervised target (of the
# scenario's industries, if the plan has a scenario) with its class, since when it is watched,
# its risk (signal weights in the risk window) and whether a signal falls in the clean period.
REGISTER = """
cand AS (
    SELECT v.target_id, v.industry, v.supervision_level,
           GREATEST(v.supervised_since,
                    CAST(timezone('Asia/Shanghai', t.created_at) AS date)) AS watched_since
    FROM target_versions v
    JOIN targets t ON t.id = v.target_id
    WHERE v.town = :town AND v.active
      AND v.valid_from <= :as_of AND (v.valid_to IS NULL OR v.valid_to > :as_of)
      AND (CAST(:industries AS text[]) IS NULL OR v.industry = ANY(CAST(:industries AS text[])))
),
risk AS (
    SELECT s.target_id,
           COALESCE(sum(s.weight) FILTER (WHERE s.observed_on > CAST(:risk_from AS date)), 0)
               AS risk,
           bool_or(s.observed_on > CAST(:clean_from AS date)) AS recent
    FROM risk_signals s
    JOIN cand c ON c.target_id = s.target_id
    WHERE s.recorded_at <= :as_of
      AND (s.withdrawn_at IS NULL OR s.withdrawn_at > :as_of)
      AND s.observed_on <= CAST(:day AS date)
      AND s.observed_on > LEAST(CAST(:risk_from AS date), CAST(:clean_from AS date))
    GROUP BY s.target_id
),
register AS (
    SELECT c.target_id, c.industry, c.supervision_level, c.watched_since,
           COALESCE(r.risk, 0) AS risk, COALESCE(r.recent, false) AS recent,
           (c.watched_since <= CAST(:clean_from AS date) AND NOT COALESCE(r.recent, false)
            AND NOT c.supervision_level = ANY(CAST(:never_clean AS text[]))) AS clean
    FROM cand c
    LEFT JOIN risk r ON r.target_id = c.target_id
)
"""

SNAPSHOT = f"""
WITH {REGISTER}
INSERT INTO snapshot_entries
    (commitment_id, target_id, industry, supervision_level, watched_since, risk, recent, clean)
SELECT :commitment_id, target_id, industry, supervision_level, watched_since, risk, recent, clean
FROM register
"""

# One canonical JSON line per entry, keys sorted (`domain.selection.SnapshotEntry.line`).
LINE = """
'{"clean":' || clean::text
|| ',"industry":' || to_json(industry)::text
|| ',"level":' || to_json(supervision_level)::text
|| ',"recent_signal":' || recent::text
|| ',"risk":' || risk::text
|| ',"target_id":"' || target_id::text
|| '","watched_since":"' || to_char(watched_since, 'YYYY-MM-DD') || '"}'
"""

SNAPSHOT_DIGEST = f"""
SELECT count(*) AS candidates,
       encode(sha256(convert_to(
           CAST(:header AS text) || E'\\n'
           || coalesce(string_agg({LINE} || E'\\n', '' ORDER BY target_id::text), ''),
           'UTF8')), 'hex') AS digest
FROM snapshot_entries WHERE commitment_id = :commitment_id
"""


def rounds_of(plan: Plan) -> int:
    return max((r.frequency for r in plan.rules), default=0)


LATE_NOTE = (
    "committed late, after the plan was adopted: the plan was adopted before rounds were "
    "committed or named no catalogue scenario; the register is frozen as it is now"
)


async def commit_round(
    uow: UnitOfWork,
    ctx: ServiceContext,
    plan: Plan,
    round_number: int,
    *,
    by: str,
    late: bool = False,
) -> DrawCommitment:
    """Freeze the town's register for a round and publish the commitment to its seed (`late`:
    by its town's step, not at adoption or at the draw before, and the audit says so)."""
    as_of = await lock_register(uow, ctx, plan.town, exclusive=True)
    day = china_day(as_of)
    policy = risk_policy(ctx)
    seed = secrets.token_hex(16)
    commitment_hash = seed_commitment(seed)
    header: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "plan_id": str(plan.id),
        "round": round_number,
        "town": plan.town,
        "basis": plan.basis,
        "as_of": as_of.isoformat(),
        "day": day.isoformat(),
        "risk_window_days": policy.risk_window_days,
        "clean_record_days": policy.clean_record_days,
        "risk_from": policy.risk_from(day).isoformat(),
        "clean_from": policy.clean_from(day).isoformat(),
        "never_clean": sorted(NEVER_CLEAN_LEVELS),
        "seed_commitment": commitment_hash,
    }
    if plan.scenario_industries is not None:  # INSP-01: the scenario's targets only
        header["scenario_code"] = plan.scenario_code
        header["industries"] = sorted(plan.scenario_industries)
    commitment = DrawCommitment(
        id=uuid.uuid4(),
        plan_id=plan.id,
        round=round_number,
        seed=seed,
        seed_commitment=commitment_hash,
        snapshot_header=header,
        snapshot_digest="",
        candidates=0,
        committed_at=as_of,
        committed_by=by,
    )
    uow.session.add(commitment)
    await uow.session.flush()
    await uow.session.execute(
        sa.text(SNAPSHOT),
        {
            **register_inputs(
                ctx, town=plan.town, as_of=as_of, industries=plan.scenario_industries
            ),
            "commitment_id": commitment.id,
        },
    )
    stats = (
        await uow.session.execute(
            sa.text(SNAPSHOT_DIGEST),
            {"commitment_id": commitment.id, "header": canonical_json(header)},
        )
    ).one()
    commitment.candidates, commitment.snapshot_digest = int(stats.candidates), str(stats.digest)
    PLAN.audit(
        uow,
        plan,
        "selection.committed",
        rule="INSP-02",
        commitment_id=str(commitment.id),
        round=round_number,
        seed_commitment=commitment_hash,
        snapshot_digest=commitment.snapshot_digest,
        snapshot_format=SNAPSHOT_FORMAT,
        snapshot_at=as_of.isoformat(),
        candidates=commitment.candidates,
        scenario_code=plan.scenario_code,
        **({"late": True, "note": LATE_NOTE} if late else {}),
    )
    return commitment


async def ensure_commitment(
    uow: UnitOfWork, ctx: ServiceContext, plan: Plan, *, by: str, late: bool = False
) -> DrawCommitment | None:
    """Commit the plan's next round if none is waiting to be drawn and the plan has one.
    INSP-01: never for a plan naming no catalogue scenario (its pool is undefined): its town
    names one when it commits the round late (`service.plans.commit_late`)."""
    if plan.scenario_code is None:
        return None
    rows = (
        await uow.session.execute(
            sa.select(DrawCommitment.round, Selection.id)
            .outerjoin(Selection, Selection.commitment_id == DrawCommitment.id)
            .where(DrawCommitment.plan_id == plan.id)
        )
    ).all()
    if any(selection is None for _, selection in rows):
        return None  # a round is committed and not drawn yet
    drawn_rounds = (
        await uow.session.execute(
            sa.select(sa.func.max(Selection.round)).where(Selection.plan_id == plan.id)
        )
    ).scalar_one_or_none()
    following = max([r for r, _ in rows] + [drawn_rounds or 0]) + 1
    if following > rounds_of(plan):
        return None
    return await commit_round(uow, ctx, plan, following, by=by, late=late)


async def waiting_round(session: AsyncSession, plan_id: uuid.UUID) -> int | None:
    """The round committed and not drawn yet, if any."""
    return (
        await session.execute(
            sa.select(sa.func.min(DrawCommitment.round))
            .outerjoin(Selection, Selection.commitment_id == DrawCommitment.id)
            .where(DrawCommitment.plan_id == plan_id, Selection.id.is_(None))
        )
    ).scalar_one_or_none()


async def commitment_for(
    session: AsyncSession, plan_id: uuid.UUID, round_number: int
) -> DrawCommitment | None:
    return (
        await session.execute(
            sa.select(DrawCommitment).where(
                DrawCommitment.plan_id == plan_id, DrawCommitment.round == round_number
            )
        )
    ).scalar_one_or_none()


REGISTER_CHANGES = f"""
WITH {REGISTER},
frozen AS (
    SELECT target_id, industry, supervision_level, risk, clean
    FROM snapshot_entries WHERE commitment_id = :commitment_id
)
SELECT coalesce(c.target_id, f.target_id) AS target_id,
       CASE WHEN f.target_id IS NULL THEN 'added'
            WHEN c.target_id IS NULL THEN 'removed'
            WHEN f.supervision_level <> c.supervision_level OR f.industry <> c.industry
                THEN 'relevelled'
            ELSE 'rescored' END AS change,
       f.supervision_level AS level_before, c.supervision_level AS level_after,
       f.industry AS industry_before, c.industry AS industry_after,
       f.risk AS risk_before, c.risk AS risk_after,
       f.clean AS clean_before, c.clean AS clean_after
FROM register c FULL JOIN frozen f ON f.target_id = c.target_id
WHERE f.target_id IS NULL OR c.target_id IS NULL
   OR f.supervision_level <> c.supervision_level OR f.industry <> c.industry
   OR f.risk <> c.risk OR f.clean <> c.clean
ORDER BY 2, 1
"""

MAX_CHANGES_LISTED = 200


def register_inputs(
    ctx: ServiceContext, *, town: str, as_of: datetime, industries: list[str] | None
) -> dict[str, Any]:
    """The parameters of `REGISTER`: the town's register as the draw reads it at `as_of`."""
    day = china_day(as_of)
    policy = risk_policy(ctx)
    return {
        "town": town,
        "as_of": as_of,
        "day": day,
        "risk_from": policy.risk_from(day),
        "clean_from": policy.clean_from(day),
        "never_clean": sorted(NEVER_CLEAN_LEVELS),
        "industries": industries,
    }


async def register_changes(
    session: AsyncSession,
    ctx: ServiceContext,
    commitment: DrawCommitment,
    *,
    town: str,
    as_of: datetime,
) -> dict[str, Any]:
    """INSP-02: targets added to the register the round draws from, removed from it
    (deactivated, moved away or out of the scenario's industries), re-levelled (another
    supervision level or industry) or re-scored (only their risk inputs changed: a signal
    recorded or withdrawn, so another risk or 守法诚信 status; the draw weights by risk) since
    the snapshot."""
    industries = commitment.snapshot_header.get("industries")
    rows = (
        await session.execute(
            sa.text(REGISTER_CHANGES),
            {
                **register_inputs(ctx, town=town, as_of=as_of, industries=industries),
                "commitment_id": commitment.id,
            },
        )
    ).all()
    counts = {"added": 0, "removed": 0, "relevelled": 0, "rescored": 0}
    for r in rows:
        counts[r.change] += 1
    return {
        **counts,
        "since": commitment.committed_at.isoformat(),
        "targets": [
            {
                "target_id": str(r.target_id),
                "change": r.change,
                "level_before": r.level_before,
                "level_after": r.level_after,
                "industry_before": r.industry_before,
                "industry_after": r.industry_after,
                "risk_before": r.risk_before,
                "risk_after": r.risk_after,
                "clean_before": r.clean_before,
                "clean_after": r.clean_after,
            }
            for r in rows[:MAX_CHANGES_LISTED]
        ],
    }
