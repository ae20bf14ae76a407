"""Wiring of the 综合查一次 (joint inspection) service: `uvicorn joint_inspection.main:app`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from joint_inspection import api, handlers
from joint_inspection.models import ImportJob, Shortcoming, WorkOrder
from joint_inspection.service import MECHANISM
from joint_inspection.settings import InspectionSettings
from xietong_common.contracts.referral import (
    CaseConcluded,
    CaseDraftWithdrawn,
    CaseFiled,
    CaseReferred,
)
from xietong_common.contracts.review import ReviewDecided, ReviewRequestWithdrawn
from xietong_common.contracts.secondment import RosterChanged
from xietong_common.import_jobs import import_job_sweep
from xietong_common.jobs import deadline_sweep_job
from xietong_common.todo import RecordLink
from xietong_common.web import ServiceSpec, create_app
from xietong_common.web.documents import verification_router

SPEC = ServiceSpec(
    name=MECHANISM,
    title="xietong 综合查一次 — joint inspection",
    description=(
        "综合查一次 (joint inspection, 'inspect once'), section 二(五) of 涪陵府办〔2024〕1号, "
        "rules INSP-01..INSP-09: a register of targets with risk signals; towns' plans per "
        "application scenario with frequency and proportion by type or supervision level; a "
        "seeded, risk-weighted, reproducible draw that leaves 守法诚信 targets alone (无事不扰); "
        "work orders with the town's brigade and seconded officers under its command (SEC-04 "
        "checked), departments' inspections agreed with the town first, the justice bureau "
        "dispatching; advance notice unless exempt with its reason; the closed loop per target "
        "(on-site record, handling, feedback) into an immutable archive; findings to referral, "
        "serious ones reported to the district government, service shortcomings to the "
        "departments concerned; and one visit instead of many (merge proposals, figures, "
        "re-inspections flagged). Deadlines run on the working-day calendar."
    ),
    routers=[api.router, verification_router()],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=InspectionSettings,
    handlers={
        RosterChanged: handlers.on_roster_changed,
        CaseReferred: handlers.on_case_referred,
        CaseFiled: handlers.on_case_filed,
        CaseConcluded: handlers.on_case_concluded,
        CaseDraftWithdrawn: handlers.on_case_draft_withdrawn,
        ReviewDecided: handlers.on_review_decided,
        ReviewRequestWithdrawn: handlers.on_review_request_withdrawn,
    },
    jobs=[deadline_sweep_job(MECHANISM), import_job_sweep(ImportJob)],
    worker_modules=["joint_inspection.schemas"],
    records=[
        RecordLink(
            "inspection",
            "/orders/{id}",
            "综合查一次工单",
            "inspection work order",
            id_column=WorkOrder.id,
            title=sa.func.concat_ws(" ", WorkOrder.number, WorkOrder.title),
        ),
        RecordLink(
            "inspection-shortcoming",
            "/shortcomings/{id}",
            "政务服务短板",
            "government service shortcoming",
            id_column=Shortcoming.id,
            title=sa.func.left(Shortcoming.description, 60),
        ),
    ],
    openapi_tags=[
        {"name": "targets", "description": "监管对象: the register and its risk signals (INSP-02)"},
        {"name": "plans", "description": "检查计划 and the draw of targets (INSP-01, INSP-02)"},
        {
            "name": "orders",
            "description": "检查任务工单: consultation, people, notice, closed loop (INSP-03..08)",
        },
        {
            "name": "reports",
            "description": "政务服务短板 (INSP-09); one visit instead of many: merges and figures",
        },
        {
            "name": "documents",
            "description": "公文: verify a document this service issued by its SHA-256",
        },
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
)

app = create_app(SPEC)
