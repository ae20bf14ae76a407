"""INSP-02: the seeded, risk-weighted draw of a plan round, done in PostgreSQL over the whole
register in one statement (never by loading the targets into Python); the seed, the inputs and
the ranked list of every candidate are recorded, and anyone may re-run it.

The statement is `domain.selection`'s rule word for word: md5 of "<seed>:<target id>" (its
first 60 bits as a bigint), priority sampling by `h / (1 + risk)` in integers, exact decimal
shares. The register is read as of the draw's time: target versions valid then, signals
recorded before it and not yet withdrawn. 守法诚信 (clean) is `domain.is_law_abiding`: not
class C or D, watched since max(supervised_since, the day the target was registered here) for
the whole clean period, no signal in it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from joint_inspection import events
from joint_inspection.domain import (
    ALGORITHM,
    AdjustmentKind,
    PlanStep,
    check_round,
)
from joint_inspection.errors import RoundNotCommitted, SelectionExists
from joint_inspection.models import Plan, PlanAdjustment, Selection, SelectionEntry, Target
from joint_inspection.service.commitments import (
    commitment_for,
    ensure_commitment,
    register_changes,
    waiting_round,
)
from joint_inspection.service.common import PLAN, SELECTION, WRITE_ROLES, lock_register
from joint_inspection.service.plans import rules_of
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.uow import UnitOfWork

DRAW_SCOPE = "inspection.selection.draw"
ORDER_SCOPE = "inspection.selection.order"
MAX_DIFFERENCES = 20
MAX_LISTED = 500

RULES = """
WITH rules AS (
    SELECT r.position, r.value, r.proportion
    FROM jsonb_to_recordset(CAST(:rules AS jsonb))
         AS r(position int, value text, frequency int, proportion numeric)
    WHERE r.frequency >= :round
),
"""

LEGACY_SCORED = """
cand AS (
    SELECT v.target_id, v.supervision_level,
           CASE WHEN CAST(:watched_from_registration AS boolean)
                THEN GREATEST(v.supervised_since,
                              CAST(timezone('Asia/Shanghai', t.created_at) AS date))
                ELSE v.supervised_since END AS watched_since,
           CASE WHEN :basis = 'industry' THEN v.industry ELSE v.supervision_level END AS grp
    FROM target_versions v
    JOIN targets t ON t.id = v.target_id
    WHERE v.town = :town AND v.active
      AND v.valid_from <= :as_of AND (v.valid_to IS NULL OR v.valid_to > :as_of)
),
grouped AS (
    SELECT c.target_id, c.supervision_level, c.watched_since,
           COALESCE(e.position, d.position) AS rule_position,
           COALESCE(e.proportion, d.proportion) AS proportion
    FROM cand c
    LEFT JOIN rules e ON e.value = c.grp
    LEFT JOIN rules d ON d.value IS NULL
    WHERE COALESCE(e.position, d.position) IS NOT NULL
),
risk AS (
    SELECT s.target_id,
           COALESCE(sum(s.weight) FILTER (WHERE s.observed_on > CAST(:risk_from AS date)), 0)
               AS risk,
           bool_or(s.observed_on > CAST(:clean_from AS date)) AS recent
    FROM risk_signals s
    JOIN grouped g ON g.target_id = s.target_id
    WHERE s.recorded_at <= :as_of
      AND (s.withdrawn_at IS NULL OR s.withdrawn_at > :as_of)
      AND s.observed_on <= CAST(:day AS date)
      AND s.observed_on > LEAST(CAST(:risk_from AS date), CAST(:clean_from AS date))
    GROUP BY s.target_id
),
scored AS (
    SELECT g.target_id, g.rule_position, g.proportion,
           COALESCE(r.risk, 0) AS risk,
           (g.watched_since <= CAST(:clean_from AS date) AND NOT COALESCE(r.recent, false)
            AND NOT g.supervision_level = ANY(CAST(:never_clean AS text[])))
               AS clean,
           ('x' || substr(md5(:seed || ':' || g.target_id::text), 1, 15))::bit(60)::bigint AS h
    FROM grouped g
    LEFT JOIN risk r ON r.target_id = g.target_id
),
"""

FROZEN_SCORED = """
grouped AS (
    SELECT s.target_id, s.risk, s.clean,
           COALESCE(e.position, d.position) AS rule_position,
           COALESCE(e.proportion, d.proportion) AS proportion
    FROM snapshot_entries s
    LEFT JOIN rules e
           ON e.value = CASE WHEN :basis = 'industry' THEN s.industry ELSE s.supervision_level END
    LEFT JOIN rules d ON d.value IS NULL
    WHERE s.commitment_id = :commitment_id AND COALESCE(e.position, d.position) IS NOT NULL
),
scored AS (
    SELECT g.target_id, g.rule_position, g.proportion, g.risk, g.clean,
           ('x' || substr(md5(:seed || ':' || g.target_id::text), 1, 15))::bit(60)::bigint AS h
    FROM grouped g
),
"""

TAIL = """
keyed AS (
    SELECT s.*,
           CASE WHEN s.clean THEN 2
                WHEN s.target_id = ANY(CAST(:adjusted AS uuid[])) THEN 0
                WHEN CAST(:threshold AS bigint) IS NOT NULL
                     AND s.risk >= CAST(:threshold AS bigint) THEN 1
                ELSE 2 END AS tier,
           s.h / (1 + s.risk) AS draw_key
    FROM scored s
),
ranked AS (
    SELECT k.*,
           row_number() OVER w AS rank,
           count(*) OVER p AS pool,
           count(*) FILTER (WHERE k.tier < 2) OVER p AS forced
    FROM keyed k
    WINDOW p AS (PARTITION BY k.rule_position, k.clean),
           w AS (PARTITION BY k.rule_position, k.clean
                 ORDER BY k.tier, k.draw_key, k.h, k.target_id)
),
result AS (
    SELECT target_id, rule_position, risk, clean, tier, draw_key, rank,
           (rank <= forced
            OR (rank - 1) * 100 < pool * CASE WHEN clean THEN CAST(:clean_pct AS numeric)
                                             ELSE proportion END) AS drawn
    FROM ranked
)
"""

DIGEST = """
encode(sha256(convert_to(coalesce(
    string_agg(target_id::text, ',' ORDER BY rule_position, clean, rank) FILTER (WHERE drawn),
    ''), 'UTF8')), 'hex')
"""


async def _tune(session: AsyncSession) -> None:
    """For this transaction only: the draw's window sort fits in memory, and JIT compiling
    (triggered by a pessimistic row estimate) would cost more than the whole statement."""
    await session.execute(sa.text("SET LOCAL jit = off"))
    await session.execute(sa.text("SET LOCAL work_mem = '32MB'"))


def _ranked(parameters: dict[str, Any]) -> str:
    """The statement up to `result`: on the frozen snapshot, or (draws made before rounds were
    committed) on the register as it stood at the draw."""
    scored = FROZEN_SCORED if parameters.get("commitment_id") else LEGACY_SCORED
    return RULES + scored + TAIL


def _params(parameters: dict[str, Any], seed: str) -> dict[str, Any]:
    """The statement's parameters from a selection's recorded inputs."""
    if parameters.get("commitment_id"):
        return {
            "rules": json.dumps(parameters["rules"]),
            "round": parameters["round"],
            "basis": parameters["basis"],
            "clean_pct": Decimal(parameters["clean_proportion"]),
            "threshold": parameters["targeting_threshold"],
            "adjusted": [uuid.UUID(a) for a in parameters["adjusted"]],
            "seed": seed,
            "commitment_id": uuid.UUID(parameters["commitment_id"]),
        }
    return {
        "rules": json.dumps(parameters["rules"]),
        "round": parameters["round"],
        "basis": parameters["basis"],
        "town": parameters["town"],
        "as_of": datetime.fromisoformat(parameters["as_of"]),
        "day": datetime.fromisoformat(parameters["day"]).date(),
        "risk_from": datetime.fromisoformat(parameters["risk_from"]).date(),
        "clean_from": datetime.fromisoformat(parameters["clean_from"]).date(),
        "clean_pct": Decimal(parameters["clean_proportion"]),
        "threshold": parameters["targeting_threshold"],
        "adjusted": [uuid.UUID(a) for a in parameters["adjusted"]],
        "seed": seed,
        # INSP-02 守法诚信 as the draw applied it: draws recorded before these two inputs
        # existed counted every level and supervised_since alone, and re-run so
        "never_clean": list(parameters.get("never_clean_levels", [])),
        "watched_from_registration": bool(parameters.get("watched_from_registration", False)),
    }


async def _adjustments_pending(session: AsyncSession, plan: Plan) -> list[PlanAdjustment]:
    """INSP-02: targets signals added to the plan and no draw has taken in yet."""
    taken: set[str] = set()
    for parameters in (
        await session.execute(sa.select(Selection.parameters).where(Selection.plan_id == plan.id))
    ).scalars():
        taken |= set(parameters.get("adjustment_ids", []))
    rows = (
        await session.execute(
            sa.select(PlanAdjustment)
            .where(
                PlanAdjustment.plan_id == plan.id,
                PlanAdjustment.kind == AdjustmentKind.ADD_TARGET.value,
                PlanAdjustment.target_id.is_not(None),
            )
            .order_by(PlanAdjustment.made_at, PlanAdjustment.id)
        )
    ).scalars()
    return [a for a in rows if str(a.id) not in taken]


async def _not_committed(uow: UnitOfWork, plan: Plan, round_number: int) -> RoundNotCommitted:
    """INSP-02: what to do about a round with no commitment: draw the one waiting first, or
    (none waiting: a plan adopted before rounds were committed, or naming no catalogue
    scenario) have the town's leader commit it late."""
    waiting = await waiting_round(uow.session, plan.id)
    if waiting is not None:
        return RoundNotCommitted(
            f"round {round_number} is not committed yet: round {waiting} is committed and "
            "waiting; a round is committed (its register frozen, its seed's hash published) "
            "when the round before it is drawn",
            zh=f"第 {round_number} 轮尚未固定名录快照和随机种子承诺：须先抽取第 {waiting} 轮",
            round=round_number,
            waiting_round=waiting,
            rule="INSP-02",
        )
    commit = f"POST /plans/{plan.id}/commitments"
    return RoundNotCommitted(
        f"no round of this plan is committed and waiting (a plan adopted before rounds were "
        f"committed, or one naming no catalogue scenario): the town's leader commits its next "
        f"round with {commit} (with the plan's scenario_code if it names none), which freezes "
        "the register now and audits a fresh seed's hash as committed late; then draw it",
        zh=f"本计划没有已固定名录快照和随机种子承诺的待抽取轮次（计划早于该机制印发，或未选定"
        f"目录中的应用场景）：请由乡镇（街道）负责人通过 {commit} 补作承诺（未选定场景的须同时"
        "填写 scenario_code），登记为事后补作，然后抽取",
        round=round_number,
        commit=commit,
        rule="INSP-02",
    )


async def draw(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    plan_id: uuid.UUID,
    round_number: int,
    idempotency_key: str | None = None,
) -> Selection:
    """INSP-02: draw a round's targets on the register frozen when the round was committed,
    revealing the seed committed then; one draw per round. The register changes since the
    snapshot are reported with it, the next round is committed, the result is published."""
    plan = await PLAN.load_for(uow, plan_id, actor)
    actor.require_role(*WRITE_ROLES)
    actor.require_org(plan.town)
    PLAN.check(plan, PlanStep.DRAW)
    replay = await idempotency.claim(
        uow,
        scope=DRAW_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={"plan": str(plan.id), "round": round_number},
    )
    if replay is not None:
        return await SELECTION.get(uow, uuid.UUID(replay), lock=False)
    check_round(round_number, rules_of(plan))
    existing = (
        await uow.session.execute(
            sa.select(Selection.id).where(
                Selection.plan_id == plan.id, Selection.round == round_number
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise SelectionExists(
            f"round {round_number} of this plan was drawn already; re-run it to check it",
            zh=f"本计划第 {round_number} 轮已抽取；可重新运行以核验",
            selection_id=str(existing),
            rule="INSP-02",
        )
    commitment = await commitment_for(uow.session, plan.id, round_number)
    if commitment is None:
        raise await _not_committed(uow, plan, round_number)
    as_of = await lock_register(uow, ctx, plan.town, exclusive=True)
    pending = await _adjustments_pending(uow.session, plan)
    header = commitment.snapshot_header
    parameters: dict[str, Any] = {
        **{k: header[k] for k in ("town", "as_of", "day", "risk_from", "clean_from")},
        "round": round_number,
        "basis": plan.basis,
        "rules": [
            {
                "position": r.position,
                "value": r.value,
                "frequency": r.frequency,
                "proportion": str(r.proportion),
            }
            for r in plan.rules
        ],
        "clean_proportion": str(plan.clean_proportion),
        "targeting_threshold": plan.targeting_threshold,
        "adjusted": sorted({str(a.target_id) for a in pending}),
        "adjustment_ids": [str(a.id) for a in pending],
        "risk_window_days": header["risk_window_days"],
        "clean_record_days": header["clean_record_days"],
        "never_clean_levels": header["never_clean"],
        "watched_from_registration": True,
        "commitment_id": str(commitment.id),
        "seed_commitment": commitment.seed_commitment,
        "snapshot_digest": commitment.snapshot_digest,
        "register_changes": await register_changes(
            uow.session, ctx, commitment, town=plan.town, as_of=as_of
        ),
    }
    seed = commitment.seed
    selection = Selection(
        id=uuid.uuid4(),
        plan_id=plan.id,
        round=round_number,
        seed=seed,
        algorithm=ALGORITHM,
        parameters=parameters,
        drawn_at=as_of,
        drawn_by=actor.user,
        candidates=0,
        drawn=0,
        digest="",
        commitment_id=commitment.id,
    )
    uow.session.add(selection)
    await uow.session.flush()
    params = {**_params(parameters, seed), "selection_id": selection.id}
    await _tune(uow.session)
    await uow.session.execute(
        sa.text(
            _ranked(parameters)
            + """
            INSERT INTO selection_entries
                (selection_id, target_id, rule_position, risk, clean, tier, draw_key, rank, drawn)
            SELECT :selection_id, target_id, rule_position, risk, clean, tier, draw_key, rank, drawn
            FROM result
            """
        ),
        params,
    )
    stats = (
        await uow.session.execute(
            sa.text(
                f"""SELECT count(*) AS candidates, count(*) FILTER (WHERE drawn) AS drawn,
                           {DIGEST} AS digest
                    FROM selection_entries WHERE selection_id = :selection_id"""
            ),
            {"selection_id": selection.id},
        )
    ).one()
    selection.candidates, selection.drawn, selection.digest = (
        int(stats.candidates),
        int(stats.drawn),
        str(stats.digest),
    )
    await idempotency.remember(
        uow, scope=DRAW_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(selection.id)
    )
    changes = parameters["register_changes"]
    PLAN.audit(
        uow,
        plan,
        "selection.drawn",
        rule="INSP-02",
        selection_id=str(selection.id),
        round=round_number,
        seed=seed,
        seed_commitment=commitment.seed_commitment,
        snapshot_digest=commitment.snapshot_digest,
        algorithm=ALGORITHM,
        candidates=selection.candidates,
        drawn=selection.drawn,
        digest=selection.digest,
        register_changes={
            k: changes[k] for k in ("added", "removed", "relevelled", "rescored", "since")
        },
    )
    drawn_targets = (
        await uow.session.execute(
            sa.select(Target, SelectionEntry.rule_position, SelectionEntry.rank)
            .join(SelectionEntry, SelectionEntry.target_id == Target.id)
            .where(SelectionEntry.selection_id == selection.id, SelectionEntry.drawn)
            .order_by(SelectionEntry.rule_position, SelectionEntry.clean, SelectionEntry.rank)
            .limit(events.MAX_DRAWN_LISTED)
        )
    ).all()
    uow.publish(
        events.selection_drawn(plan, selection, [(t, p, r) for t, p, r in drawn_targets]),
        key=str(plan.id),
    )
    await ensure_commitment(uow, ctx, plan, by=actor.user)
    return selection


@dataclass(frozen=True)
class Rerun:
    seed: str
    candidates: int
    drawn: int
    digest: str
    differences: list[dict[str, Any]]
    drawn_targets: list[uuid.UUID]


async def rerun(session: AsyncSession, *, selection: Selection, seed: str | None) -> Rerun:
    """INSP-02: the same statement on the snapshot the draw used (or, for a draw made before
    rounds were committed, the register as it stood at the draw), with the recorded seed (it
    must give the recorded list) or another one (it gives another list)."""
    used = seed or selection.seed
    params = {**_params(selection.parameters, used), "selection_id": selection.id}
    compare = (
        _ranked(selection.parameters)
        + """,
        recorded AS (SELECT * FROM selection_entries WHERE selection_id = :selection_id),
        diff AS (
            SELECT coalesce(f.target_id, e.target_id) AS target_id,
                   e.rank AS recorded_rank, f.rank AS rank,
                   e.drawn AS recorded_drawn, f.drawn AS drawn,
                   e.risk AS recorded_risk, f.risk AS risk
            FROM result f FULL JOIN recorded e ON e.target_id = f.target_id
            WHERE f.target_id IS NULL OR e.target_id IS NULL
               OR f.rank <> e.rank OR f.drawn <> e.drawn OR f.draw_key <> e.draw_key
               OR f.rule_position <> e.rule_position OR f.clean <> e.clean OR f.risk <> e.risk
        )
        """
    )
    await _tune(session)
    stats = (
        await session.execute(
            sa.text(
                compare
                + f"""SELECT (SELECT count(*) FROM result) AS candidates,
                             (SELECT count(*) FROM result WHERE drawn) AS drawn,
                             (SELECT {DIGEST} FROM result) AS digest,
                             (SELECT count(*) FROM diff) AS differences,
                             ARRAY(SELECT target_id FROM result WHERE drawn
                                   ORDER BY rule_position, clean, rank LIMIT :limit) AS listed"""
            ),
            {**params, "limit": MAX_LISTED},
        )
    ).one()
    differences: list[dict[str, Any]] = []
    if stats.differences:
        rows = await session.execute(
            sa.text(compare + "SELECT * FROM diff ORDER BY target_id LIMIT :limit"),
            {**params, "limit": MAX_DIFFERENCES},
        )
        differences = [
            {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in r._mapping.items()}
            for r in rows
        ]
    return Rerun(
        seed=used,
        candidates=int(stats.candidates),
        drawn=int(stats.drawn),
        digest=str(stats.digest),
        differences=differences,
        drawn_targets=list(stats.listed),
    )
