"""Wiring of the 案件移送 (case referral) service: `uvicorn referral.main:app`."""

from __future__ import annotations

from pathlib import Path

from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name="referral",
    title="xietong 案件移送 — case referral",
    description=(
        "案件移送 (case referral), section 二(三) of 涪陵府办〔2024〕1号. "
        "Rules REF-xx of RULES.md. The mechanism's endpoints arrive with its own issue; "
        "this shell runs the backbone (database, outbox relay, inbox consumer, health, metrics)."
    ),
    routers=[],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
)

app = create_app(SPEC)
