"""Wiring of the 综合查一次 (joint inspection) service: `uvicorn joint_inspection.main:app`."""

from __future__ import annotations

from pathlib import Path

from joint_inspection import api
from joint_inspection.service import MECHANISM
from joint_inspection.settings import InspectionSettings
from xietong_common.jobs import deadline_sweep_job
from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name=MECHANISM,
    title="xietong 综合查一次 — joint inspection",
    description=(
        "综合查一次 (joint inspection), section 二(五) of 涪陵府办〔2024〕1号, rules INSP-xx "
        "of RULES.md. The mechanism's endpoints arrive with its own issue; the service runs the "
        "backbone (database, outbox relay, inbox consumer, deadline sweep, health, metrics)."
    ),
    routers=[api.router],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=InspectionSettings,
    handlers={},
    jobs=[deadline_sweep_job(MECHANISM)],
    openapi_tags=[
        {"name": "inspections", "description": "综合查一次: joint inspection"},
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
