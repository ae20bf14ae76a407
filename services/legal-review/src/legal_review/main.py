"""Wiring of the 法制审核 (legal review) service: `uvicorn legal_review.main:app`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from legal_review import api, handlers
from legal_review.models import Review
from legal_review.service.common import MECHANISM
from legal_review.settings import ReviewSettings
from xietong_common.contracts.inspection import InspectionReviewRequested
from xietong_common.jobs import deadline_sweep_job
from xietong_common.todo import RecordLink
from xietong_common.web import ServiceSpec, create_app
from xietong_common.web.documents import verification_router

SPEC = ServiceSpec(
    name="legal-review",
    title="xietong 法制审核 — legal review of major enforcement decisions",
    description=(
        "法制审核 (legal review), section 二(四) of 涪陵府办〔2024〕1号, rules REV-01..REV-09: before a "
        "town decides a major enforcement case its brigade submits the proposed decision; the review "
        "body examines nine points and gives one of five written opinions; the agency head decides. "
        "Handling, review and decision are done by different people; missing materials are notified "
        "once, with a deadline on the working-day calendar. A joint inspection's finding whose proposed "
        "decision needs review (INSP-08) arrives as a review request the town fulfils by "
        "submitting the review naming it; the decision names the finding."
    ),
    routers=[api.router, verification_router()],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=ReviewSettings,
    handlers={InspectionReviewRequested: handlers.on_review_requested},
    jobs=[deadline_sweep_job(MECHANISM)],
    records=[
        RecordLink(
            "review",
            "/reviews/{id}",
            "法制审核",
            "legal review",
            id_column=Review.id,
            title=sa.func.concat_ws(
                " ", Review.case_number, Review.matter_code, Review.party["name"].astext
            ),
        )
    ],
    openapi_tags=[
        {
            "name": "reviews",
            "description": "法制审核: triggers, submission, review, opinion, decision",
        },
        {
            "name": "documents",
            "description": "公文: verify a document this service issued by its SHA-256",
        },
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
