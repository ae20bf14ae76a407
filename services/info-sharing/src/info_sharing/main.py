"""Wiring of the 信息互享 (information sharing) service: `uvicorn info_sharing.main:app`."""

from __future__ import annotations

from pathlib import Path

from info_sharing import api
from info_sharing.service import MECHANISM
from info_sharing.settings import InfoSettings
from xietong_common.jobs import deadline_sweep_job
from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name=MECHANISM,
    title="xietong 信息互享 — information sharing",
    description=(
        "信息互享 (information sharing), section 二(一) of 涪陵府办〔2024〕1号, rules INFO-xx "
        "of RULES.md. The mechanism's endpoints arrive with its own issue; the service runs the "
        "backbone (database, outbox relay, inbox consumer, deadline sweep, health, metrics)."
    ),
    routers=[api.router],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=InfoSettings,
    handlers={},
    jobs=[deadline_sweep_job(MECHANISM)],
    openapi_tags=[
        {"name": "information", "description": "信息互享: information sharing"},
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
