"""Wiring of the 执法协助 (enforcement assistance) service: `uvicorn assistance.main:app`."""

from __future__ import annotations

from pathlib import Path

from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name="assistance",
    title="xietong 执法协助 — enforcement assistance",
    description=(
        "执法协助 (enforcement assistance), section 二(二) of 涪陵府办〔2024〕1号. "
        "Rules ASSIST-xx of RULES.md. The mechanism's endpoints arrive with its own issue; "
        "this shell runs the backbone (database, outbox relay, inbox consumer, health, metrics)."
    ),
    routers=[],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
)

app = create_app(SPEC)
