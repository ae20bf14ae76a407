"""Wiring of the 执法协助 (enforcement assistance) service: `uvicorn assistance.main:app`."""

from __future__ import annotations

from pathlib import Path

from assistance import api
from assistance.service import MECHANISM
from assistance.settings import AssistanceSettings
from xietong_common.jobs import deadline_sweep_job
from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name=MECHANISM,
    title="xietong 执法协助 — enforcement assistance",
    description=(
        "执法协助 (enforcement assistance), section 二(二) of 涪陵府办〔2024〕1号, rules ASSIST-xx "
        "of RULES.md. The mechanism's endpoints arrive with its own issue; the service runs the "
        "backbone (database, outbox relay, inbox consumer, deadline sweep, health, metrics)."
    ),
    routers=[api.router],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=AssistanceSettings,
    handlers={},
    jobs=[deadline_sweep_job(MECHANISM)],
    openapi_tags=[
        {"name": "assistance", "description": "执法协助: enforcement assistance"},
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
