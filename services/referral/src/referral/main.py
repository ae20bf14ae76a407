"""Wiring of the 案件移送 (case referral) service: `uvicorn referral.main:app`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from referral import api, handlers
from referral.models import Referral
from referral.service import MECHANISM
from referral.settings import ReferralSettings
from xietong_common.contracts.inspection import InspectionFindingRecorded
from xietong_common.contracts.review import ReviewDecided, ReviewOpinionGiven
from xietong_common.jobs import deadline_sweep_job
from xietong_common.todo import RecordLink
from xietong_common.web import ServiceSpec, create_app
from xietong_common.web.documents import verification_router

SPEC = ServiceSpec(
    name="referral",
    title="xietong 案件移送 — case referral",
    description=(
        "案件移送 (case referral), section 二(三) of 涪陵府办〔2024〕1号, rules REF-01..REF-10: "
        "a town or department that finds a violation outside its jurisdiction refers it to the "
        "party with jurisdiction; the receiver signs a 送达回证, answers within 5 working days, "
        "reports jurisdiction disputes to the district government (never refers on), files and "
        "concludes the case. Deadlines run on the working-day calendar; breaches are recorded."
    ),
    routers=[api.router, verification_router()],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=ReferralSettings,
    handlers={
        ReviewOpinionGiven: handlers.on_review_opinion,
        ReviewDecided: handlers.on_review_decided,
        InspectionFindingRecorded: handlers.on_inspection_finding,
    },
    jobs=[deadline_sweep_job(MECHANISM)],
    records=[
        RecordLink(
            "referral",
            "/referrals/{id}",
            "案件移送",
            "case referral",
            id_column=Referral.id,
            title=sa.func.concat_ws(
                " ",
                Referral.matter_code,
                Referral.party["name"].astext,
                sa.func.left(Referral.facts, 40),
            ),
        )
    ],
    openapi_tags=[
        {
            "name": "referrals",
            "description": "案件移送: drafting, sending, receipt, answer, filing",
        },
        {
            "name": "documents",
            "description": "公文: verify a document this service issued by its SHA-256",
        },
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
