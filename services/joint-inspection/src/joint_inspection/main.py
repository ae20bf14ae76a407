"""Wiring of the 综合查一次 (joint inspection (inspect once)) service: `uvicorn joint_inspection.main:app`."""

from __future__ import annotations

from pathlib import Path

from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name="joint-inspection",
    title="xietong 综合查一次 — joint inspection (inspect once)",
    description=(
        "综合查一次 (joint inspection (inspect once)), section 二(五) of 涪陵府办〔2024〕1号. "
        "Rules INSP-xx of RULES.md. The mechanism's endpoints arrive with its own issue; "
        "this shell runs the backbone (database, outbox relay, inbox consumer, health, metrics)."
    ),
    routers=[],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
)

app = create_app(SPEC)
