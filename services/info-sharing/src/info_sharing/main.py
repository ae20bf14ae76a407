"""Wiring of the 信息互享 (information sharing) service: `uvicorn info_sharing.main:app`."""

from __future__ import annotations

from pathlib import Path

from info_sharing import api, handlers
from info_sharing import service as info_service
from info_sharing.service import MECHANISM
from info_sharing.settings import InfoSettings
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import (
    InspectionClosed,
    InspectionFindingRecorded,
    InspectionSelectionDrawn,
)
from xietong_common.contracts.review import ReviewDecided
from xietong_common.contracts.secondment import GuidanceRecorded
from xietong_common.jobs import Job, PeriodicJob, deadline_sweep_job
from xietong_common.settings import ServiceSettings
from xietong_common.uow import UnitOfWork
from xietong_common.web import ServiceSpec, create_app


def _unread_report(ctx: ServiceContext) -> Job:
    async def run(uow: UnitOfWork) -> None:
        await info_service.report_unread_overdue(uow, ctx=ctx)

    return run


def _report_interval(settings: ServiceSettings) -> float:
    return settings.info_unread_report_every_s if isinstance(settings, InfoSettings) else 900.0


UNREAD_REPORT = PeriodicJob(name="unread-overdue", interval=_report_interval, job=_unread_report)

SPEC = ServiceSpec(
    name=MECHANISM,
    title="xietong 信息互享 — information sharing",
    description=(
        "信息互享 (information sharing), section 二(一) of 涪陵府办〔2024〕1号, rules INFO-01..04 "
        "of RULES.md: items in exactly the nine categories of the notice, with their fields, "
        "attachments and versions; anything marked 绝密/机密/秘密 refused and never stored "
        "(INFO-02); subscriptions, inboxes with unread counts, read receipts, and items unread "
        "past a setting listed for oversight (INFO-03); items made from legal review, joint "
        "inspection and complaint platforms without retyping (INFO-04); search in Chinese."
    ),
    routers=[api.router],
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    settings_class=InfoSettings,
    handlers={
        ReviewDecided: handlers.on_review_decided,
        InspectionFindingRecorded: handlers.on_inspection_finding,
        InspectionClosed: handlers.on_inspection_closed,
        InspectionSelectionDrawn: handlers.on_selection_drawn,
        GuidanceRecorded: handlers.on_guidance_recorded,
    },
    jobs=[deadline_sweep_job(MECHANISM), UNREAD_REPORT],
    openapi_tags=[
        {"name": "information", "description": "信息互享: items, search, versions, receipts"},
        {"name": "complaints", "description": "投诉举报: records from intake platforms (INFO-04)"},
        {"name": "inbox", "description": "订阅与收件箱: subscriptions, inbox, read (INFO-03)"},
        {"name": "feedback-requests", "description": "要求反馈: category 4 (INFO-01 (4))"},
        {"name": "oversight", "description": "督查: items unread past the setting (SUP-01)"},
        {"name": "operations", "description": "health, readiness, metrics"},
    ],
    worker_modules=["info_sharing.domain.secrecy"],
)

app = create_app(SPEC)
