"""INSP-02: a draw's export (the frozen snapshot and the ranked list, JSON and CSV, for anyone
to recompute it with the reference rule) and a round's drawn-vs-inspected report."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from joint_inspection.errors import RoundNotCommitted
from joint_inspection.models import (
    DrawCommitment,
    FrozenTarget,
    Selection,
    SelectionEntry,
    Target,
    Visit,
)

CSV_COLUMNS = (
    "target_id",
    "industry",
    "level",
    "watched_since",
    "risk",
    "recent_signal",
    "clean",
    "rule_position",
    "tier",
    "draw_key",
    "rank",
    "drawn",
)


async def export(session: AsyncSession, selection: Selection) -> dict[str, Any]:
    """Every target of the snapshot the draw used, with its place in the ranked list."""
    if selection.commitment_id is None:
        raise RoundNotCommitted(
            "this draw was made before rounds were committed: it has no frozen snapshot to "
            "export (re-run it instead)",
            zh="该次抽取早于名录快照固定机制，没有可导出的快照（可重新运行核验）",
            rule="INSP-02",
        )
    commitment = (
        await session.execute(
            sa.select(DrawCommitment).where(DrawCommitment.id == selection.commitment_id)
        )
    ).scalar_one()
    f, e = FrozenTarget, SelectionEntry
    rows = await session.execute(
        sa.select(f, e.rule_position, e.tier, e.draw_key, e.rank, e.drawn)
        .outerjoin(e, sa.and_(e.selection_id == selection.id, e.target_id == f.target_id))
        .where(f.commitment_id == commitment.id)
        .order_by(sa.cast(f.target_id, sa.Text))
    )
    p = selection.parameters
    return {
        "selection_id": selection.id,
        "plan_id": selection.plan_id,
        "round": selection.round,
        "algorithm": selection.algorithm,
        "seed": selection.seed,
        "seed_commitment": commitment.seed_commitment,
        "snapshot_digest": commitment.snapshot_digest,
        "snapshot_header": commitment.snapshot_header,
        "rules": p["rules"],
        "clean_proportion": p["clean_proportion"],
        "targeting_threshold": p["targeting_threshold"],
        "adjusted": p["adjusted"],
        "candidates": selection.candidates,
        "drawn": selection.drawn,
        "digest": selection.digest,
        "drawn_at": selection.drawn_at,
        "entries": [
            {
                "target_id": str(t.target_id),
                "snapshot": {
                    "target_id": str(t.target_id),
                    "industry": t.industry,
                    "level": t.supervision_level,
                    "watched_since": t.watched_since.isoformat(),
                    "risk": t.risk,
                    "recent_signal": t.recent,
                    "clean": t.clean,
                },
                "rule_position": position,
                "tier": tier,
                "draw_key": key,
                "rank": rank,
                "drawn": bool(drawn),
            }
            for t, position, tier, key, rank, drawn in rows
        ],
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def export_csv(data: dict[str, Any]) -> str:
    """The same entries, one row each (the header and parameters are in the JSON export)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in data["entries"]:
        row = {**entry["snapshot"], **{k: v for k, v in entry.items() if k != "snapshot"}}
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


async def round_report(session: AsyncSession, selection: Selection) -> dict[str, Any]:
    """INSP-02: each drawn target: inspected, in an order and not inspected yet, dropped from
    its order (with the reason), or never put into an order."""
    e = SelectionEntry
    rows = await session.execute(
        sa.select(e, Target.name, Visit.inspected_at)
        .join(Target, Target.id == e.target_id)
        .outerjoin(Visit, sa.and_(Visit.order_id == e.order_id, Visit.target_id == e.target_id))
        .where(e.selection_id == selection.id, e.drawn)
        .order_by(e.rule_position, e.clean, e.rank)
    )
    targets: list[dict[str, Any]] = []
    for entry, name, inspected_at in rows:
        if inspected_at is not None:
            status = "inspected"
        elif entry.order_id is not None:
            status = "ordered"
        elif entry.dropped_reason is not None:
            status = "dropped"
        else:
            status = "not-ordered"
        targets.append(
            {
                "target_id": entry.target_id,
                "target_name": name,
                "rule_position": entry.rule_position,
                "rank": entry.rank,
                "status": status,
                "order_id": entry.order_id,
                "inspected_at": inspected_at,
                "dropped_reason": entry.dropped_reason,
                "dropped_at": entry.dropped_at,
            }
        )

    def count(status: str) -> int:
        return sum(t["status"] == status for t in targets)

    return {
        "selection_id": selection.id,
        "plan_id": selection.plan_id,
        "town": selection.plan.town,
        "round": selection.round,
        "drawn": len(targets),
        "inspected": count("inspected"),
        "ordered": count("ordered"),
        "dropped": count("dropped"),
        "in_no_order": count("not-ordered"),
        "not_yet_inspected": len(targets) - count("inspected") - count("dropped"),
        "targets": targets,
    }
