"""Wiring of the 下沉指导 (secondment and guidance) service: `uvicorn secondment.main:app`."""

from __future__ import annotations

from pathlib import Path

from secondment import api
from secondment.models import ImportJob
from secondment.service import MECHANISM
from secondment.settings import SecondmentSettings
from xietong_common.import_jobs import import_job_sweep
from xietong_common.jobs import deadline_sweep_job
from xietong_common.web import ServiceSpec, create_app

SPEC = ServiceSpec(
    name=MECHANISM,
    title="xietong 下沉指导 — secondment and guidance",
    description=(
        "下沉指导 (secondment and guidance), section 二(六) of 涪陵府办〔2024〕1号, rules "
        "SEC-01..SEC-05: each district department keeps its roster of seconded staff "
        "(attachments 1–11) as teams — stationed in one town (派驻) or covering a zone (划片), "
        "as the attachment fixes — imported from its sheets as versions with effective dates; "
        "towns see every officer serving them (共用共管); establishment, identity, assessment "
        "and pay stay with the department; an officer acts only on his department's empowered "
        "matters in his towns while team and certificate are valid (`GET /eligibility`, and "
        "`secondment.roster-changed` for every consumer's projection); departments record the "
        "guidance they give (`secondment.guidance-recorded`)."
    ),
    routers=[api.router],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=SecondmentSettings,
    handlers={},
    jobs=[deadline_sweep_job(MECHANISM), import_job_sweep(ImportJob)],
    worker_modules=["secondment.schemas"],
    openapi_tags=[
        {
            "name": "teams",
            "description": "指导队伍: stationed (派驻) and zone (划片) teams, SEC-02",
        },
        {"name": "rosters", "description": "下沉人员名单: imports, versions, differences, SEC-02"},
        {"name": "officers", "description": "下沉人员: who serves a town (SEC-01), SEC-03 records"},
        {"name": "eligibility", "description": "SEC-04: may this officer act here, on this"},
        {"name": "guidance", "description": "业务指导: guidance activities and counts, SEC-05"},
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
