"""Wiring of the 信息互享 (information sharing) service: `uvicorn info_sharing.main:app`."""

from __future__ import annotations

from pathlib import Path

from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name="info-sharing",
    title="xietong 信息互享 — information sharing",
    description=(
        "信息互享 (information sharing), section 二(一) of 涪陵府办〔2024〕1号. "
        "Rules INFO-xx of RULES.md. The mechanism's endpoints arrive with its own issue; "
        "this shell runs the backbone (database, outbox relay, inbox consumer, health, metrics)."
    ),
    routers=[],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
)

app = create_app(SPEC)
