"""Wiring of the 执法协助 (enforcement assistance) service: `uvicorn assistance.main:app`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from assistance import api, handlers
from assistance.models import AssistanceRequest
from assistance.service import MECHANISM
from assistance.settings import AssistanceSettings
from xietong_common.contracts.secondment import RosterChanged
from xietong_common.jobs import deadline_sweep_job
from xietong_common.todo import RecordLink
from xietong_common.web import ServiceSpec, create_app
from xietong_common.web.documents import verification_router

SPEC = ServiceSpec(
    name=MECHANISM,
    title="xietong 执法协助 — enforcement assistance",
    description=(
        "执法协助 (enforcement assistance), section 二(二) of 涪陵府办〔2024〕1号, rules "
        "ASSIST-01..ASSIST-04: a town that cannot achieve its purpose alone asks a district "
        "department for help on one of four grounds; within its powers the department accepts, "
        "names its officers (a seconded one SEC-04-eligible) and a completion date, and delivers "
        "the result, which the town confirms; it refuses only on a legal ground with a written "
        "reason. 'Promptly' is a response deadline in working days (a setting); missed "
        "responses and completions, refusals and flags of shirking or obstruction (推诿、刁难) "
        "are recorded for oversight per organisation and period."
    ),
    routers=[api.router, verification_router()],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=AssistanceSettings,
    handlers={RosterChanged: handlers.on_roster_changed},
    jobs=[deadline_sweep_job(MECHANISM)],
    records=[
        RecordLink(
            "assistance",
            "/assistance-requests/{id}",
            "执法协助",
            "enforcement assistance",
            id_column=AssistanceRequest.id,
            title=sa.func.concat_ws(
                " ", AssistanceRequest.matter_code, sa.func.left(AssistanceRequest.needed, 40)
            ),
        )
    ],
    openapi_tags=[
        {
            "name": "assistance",
            "description": "执法协助: request, accept or refuse, deliver, confirm; oversight",
        },
        {
            "name": "documents",
            "description": "公文: verify a document this service issued by its SHA-256",
        },
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
