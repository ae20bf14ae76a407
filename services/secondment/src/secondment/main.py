"""Wiring of the 下沉指导 (secondment and guidance) service: `uvicorn secondment.main:app`."""

from __future__ import annotations

from pathlib import Path

from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name="secondment",
    title="xietong 下沉指导 — secondment and guidance",
    description=(
        "下沉指导 (secondment and guidance), section 二(六) of 涪陵府办〔2024〕1号. "
        "Rules SEC-xx of RULES.md. The mechanism's endpoints arrive with its own issue; "
        "this shell runs the backbone (database, outbox relay, inbox consumer, health, metrics)."
    ),
    routers=[],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
)

app = create_app(SPEC)
