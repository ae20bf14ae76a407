"""Wiring of the 下沉指导 (secondment and guidance) service: `uvicorn secondment.main:app`."""

from __future__ import annotations

from pathlib import Path

from secondment import api
from secondment.service import MECHANISM
from secondment.settings import SecondmentSettings
from xietong_common.jobs import deadline_sweep_job
from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name=MECHANISM,
    title="xietong 下沉指导 — secondment and guidance",
    description=(
        "下沉指导 (secondment and guidance), section 二(六) of 涪陵府办〔2024〕1号, rules SEC-xx "
        "of RULES.md. The mechanism's endpoints arrive with its own issue; the service runs the "
        "backbone (database, outbox relay, inbox consumer, deadline sweep, health, metrics)."
    ),
    routers=[api.router],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=SecondmentSettings,
    handlers={},
    jobs=[deadline_sweep_job(MECHANISM)],
    openapi_tags=[
        {"name": "secondment", "description": "下沉指导: secondment and guidance"},
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
