"""Wiring of the 法制审核 (legal review of major enforcement decisions) service: `uvicorn legal_review.main:app`."""

from __future__ import annotations

from pathlib import Path

from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name="legal-review",
    title="xietong 法制审核 — legal review of major enforcement decisions",
    description=(
        "法制审核 (legal review of major enforcement decisions), section 二(四) of 涪陵府办〔2024〕1号. "
        "Rules REV-xx of RULES.md. The mechanism's endpoints arrive with its own issue; "
        "this shell runs the backbone (database, outbox relay, inbox consumer, health, metrics)."
    ),
    routers=[],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
)

app = create_app(SPEC)
